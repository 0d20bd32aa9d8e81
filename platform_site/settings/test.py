"""Test overlay: only what tests need differs from the real settings.

Python runs the package's settings before this module, so what must already hold while they are read (a test run is a
local run even against a DATABASE_URL; tests never touch the development queue) is set by the test session first
(tests/session.py), and the processes tests start inherit it.
"""

from platform_site.settings import *  # noqa: F403
from platform_site.settings.base import env

CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="platform-test")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
AXES_ENABLED = True
