"""Test overlay: only what tests need differs from the real settings."""

import os

# Tests never touch the development queue.
os.environ.setdefault("CELERY_QUEUE", "platform-test")
# A test run is a local run even against a DATABASE_URL: it needs no secret key of its own.
os.environ.setdefault("DJANGO_ENV", "local")

from platform_site.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
AXES_ENABLED = True
