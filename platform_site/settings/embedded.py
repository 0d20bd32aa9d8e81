"""The database and the shared cache: named by DATABASE_URL and CACHE_URL, or the embedded servers' defaults.

Without DATABASE_URL the settings describe the embedded PostgreSQL + pgvector and Redis (their sockets are fixed by
the data folder) without starting them: each entry point starts or joins them with
`platform_site.embedded.ensure_started()`.
"""

from pathlib import Path
from urllib.parse import unquote

from platform_site import embedded
from platform_site.settings.base import BASE_DIR, env

# --- Database -----------------------------------------------------------------
# Without DATABASE_URL, an embedded PostgreSQL + pgvector and an embedded Redis (broker) run inside the project.
EMBEDDED = None
if env("DATABASE_URL", default=""):
    _default_db = env.db("DATABASE_URL")
    # Allow unix-socket hosts written percent-encoded in the URL.
    _default_db["HOST"] = unquote(str(_default_db.get("HOST", "")))
else:
    _database = env("EMBEDDED_DATABASE", default="platform")
    EMBEDDED = embedded.describe(
        Path(env("EMBEDDED_PGDATA", default=str(BASE_DIR / ".pgdata"))),
        tcp_port=env.int("EMBEDDED_PG_PORT", default=None),
        database=_database,
    )
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
