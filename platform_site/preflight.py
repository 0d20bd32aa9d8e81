"""Start-up checks: a process that cannot work stops at once with one line saying what to fix.

`make run`, gunicorn (on_starting) and every Celery worker (celeryd_init) call `run_or_exit()` before they start
anything, so a wrong DATABASE_URL, a database without pgvector, an unreachable broker or cache, or a missing model
folder ends start-up with

    platform: <what is wrong> — <what to do>

on stderr and exit status 1, instead of a traceback or a site that starts and then answers 500.

    python -m platform_site.preflight      # the same checks on their own
"""

import os
import re
import sys
from pathlib import Path

# What sentence-transformers reads from a model folder: one of these must be there.
MODEL_CONFIG_FILES = ("modules.json", "config_sentence_transformers.json", "config.json")
CHECK_TIMEOUT_SECONDS = 5


class Problem(Exception):
    """Something the operator must fix before anything can start."""

    def __init__(self, wrong: str, fix: str):
        super().__init__(f"{wrong} — {fix}")


def _first_line(error: BaseException) -> str:
    return next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__)


def _settings():
    """The settings, loaded: a missing or contradictory variable is reported in the settings' own words."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.DATABASES  # noqa: B018 - loads the settings module
    except ImproperlyConfigured as error:
        message = _first_line(error).rstrip(".")
        wrong, _, fix = message.partition(": " if ": " in message else "; ")
        raise Problem(wrong, fix or "fix that environment variable") from None
    except ValueError as error:  # a variable that does not parse (a port, a number, a flag)
        raise Problem(
            f"a setting could not be read ({_first_line(error)})", "check the environment variables"
        ) from None
    return settings


def _database_problem(error: Exception, where: str, db: dict) -> Problem:
    message = str(error)
    # libpq's reason comes after the last "failed: " of its first line.
    reason = _first_line(error).rpartition("failed: ")[2].replace("FATAL:", "").strip()
    if 'database "' in message and "does not exist" in message:
        return Problem(
            f'database "{db["NAME"]}" does not exist on {where}',
            f"create it (createdb {db['NAME']}) or fix the database name in DATABASE_URL",
        )
    if any(
        sign in message
        for sign in ("authentication failed", 'role "', "no password supplied", "pg_hba.conf", "permission denied")
    ):
        return Problem(
            f'the database at {where} refused user "{db["USER"]}" ({reason})',
            "check the user name and password in DATABASE_URL",
        )
    return Problem(
        f"cannot reach the database at {where} ({reason})",
        "check the host and port in DATABASE_URL and that PostgreSQL is running there",
    )


def check_database(settings) -> None:
    """The database answers, and pgvector is installed in it or available to the migration that installs it."""
    from django.core.exceptions import ImproperlyConfigured
    from django.db import connections

    db = settings.DATABASES["default"]
    if db.get("ENGINE") != "django.db.backends.postgresql" or not db.get("NAME"):
        raise Problem(
            "DATABASE_URL does not name a PostgreSQL database",
            "write it as postgres://USER:PASSWORD@HOST:PORT/NAME",
        )
    where = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
    wrapper = connections["default"]
    try:
        params = wrapper.get_connection_params()
    except ImproperlyConfigured as error:  # a database name longer than PostgreSQL takes
        raise Problem(_first_line(error), "fix the database name in DATABASE_URL") from None
    params["connect_timeout"] = min(int(params.get("connect_timeout") or CHECK_TIMEOUT_SECONDS), CHECK_TIMEOUT_SECONDS)
    # A connection of its own, closed here: nothing opened before gunicorn forks is shared with its workers.
    try:
        connection = wrapper.Database.connect(**params)
    except wrapper.Database.Error as error:
        raise _database_problem(error, where, db) from None
    with connection:
        has_vector = connection.execute(
            "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'vector')"
            " OR EXISTS (SELECT FROM pg_available_extensions WHERE name = 'vector')"
        ).fetchone()[0]
    if not has_vector:
        raise Problem(
            f'the PostgreSQL server at {where} has no pgvector extension for database "{db["NAME"]}"',
            "install pgvector on that server (the 'vector' extension) or point DATABASE_URL at one that has it",
        )


def check_broker(settings) -> None:
    from kombu import Connection
    from kombu.utils.url import maybe_sanitize_url

    connection = Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=CHECK_TIMEOUT_SECONDS,
        transport_options=getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
    )
    try:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=CHECK_TIMEOUT_SECONDS)
    except Exception as error:  # noqa: BLE001 - every transport raises its own errors
        raise Problem(
            f"cannot reach the Celery broker at {maybe_sanitize_url(settings.CELERY_BROKER_URL)} ({_first_line(error)})",
            "start it or fix CELERY_BROKER_URL",
        ) from None
    finally:
        connection.release()


def check_cache(settings) -> None:
    """A Redis cache (CACHE_URL=redis://...) answers; the default database cache is the database, checked above."""
    cache = settings.CACHES["default"]
    if cache["BACKEND"] != "django.core.cache.backends.redis.RedisCache":
        return
    import redis
    from kombu.utils.url import maybe_sanitize_url

    location = cache["LOCATION"]
    # One URL, or several (a primary first), as Django's Redis cache reads them.
    for url in re.split("[;,]", location) if isinstance(location, str) else location:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=CHECK_TIMEOUT_SECONDS, socket_timeout=CHECK_TIMEOUT_SECONDS
        )
        try:
            client.ping()
        except redis.RedisError as error:
            raise Problem(
                f"cannot reach the cache at {maybe_sanitize_url(url)} ({_first_line(error)})",
                "start it or fix CACHE_URL",
            ) from None
        finally:
            client.close()


def _in_hub_cache(name: str) -> bool:
    """A model named the Hugging Face way ("org/name") loads from the local cache, or downloads when allowed."""
    if os.environ.get("HF_HUB_OFFLINE", "1").lower() in ("0", "false", "no"):
        return True
    from huggingface_hub import try_to_load_from_cache

    repo = name if "/" in name else f"sentence-transformers/{name}"
    return any(isinstance(try_to_load_from_cache(repo, file), str) for file in MODEL_CONFIG_FILES)


def check_model(settings) -> None:
    """The model is there and looks like one; it is not loaded (that takes seconds and memory)."""
    name = settings.EMBEDDING_MODEL
    folder = Path(name).expanduser()
    fix = "set EMBEDDING_MODEL to a folder holding a sentence-transformers model, or unset it for the bundled one"
    if folder.is_dir():
        if not any((folder / file).is_file() for file in MODEL_CONFIG_FILES):
            raise Problem(
                f"{folder} does not look like a sentence-transformers model (no {' or '.join(MODEL_CONFIG_FILES)})",
                fix,
            )
    elif name.startswith(("/", ".", "~")):
        raise Problem(f"the embedding model folder {folder} does not exist", fix)
    elif not _in_hub_cache(name):
        raise Problem(f"the embedding model {name} is neither a folder nor in the Hugging Face cache", fix)


CHECKS = (check_database, check_broker, check_cache, check_model)


def check() -> None:
    """Raise Problem for the first thing that would keep this process from working."""
    settings = _settings()
    for run_check in CHECKS:
        run_check(settings)


def run_or_exit() -> None:
    try:
        check()
    except Problem as problem:
        print(f"platform: {problem}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    from platform_site import embedded

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings")
    embedded.ensure_started()
    run_or_exit()
