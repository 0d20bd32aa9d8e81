"""Celery: the broker, delivery and time limits, and the periodic tasks."""

from django.core.exceptions import ImproperlyConfigured

from platform_site import embedded
from platform_site.settings.base import BASE_DIR, env
from platform_site.settings.embedded import EMBEDDED, EMBEDDED_NAMESPACE

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
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
# Beat sleeps until its next due task; a stop signal taken by one of numpy's BLAS threads is only acted on when it
# wakes, so it wakes at least this often (otherwise Ctrl-C could leave it running for a minute).
CELERY_BEAT_MAX_LOOP_INTERVAL = 5
