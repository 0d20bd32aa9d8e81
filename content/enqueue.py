"""Send background work after commit, without ever failing or slowing a write when the broker is down."""

import logging
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


def send(task, *args, on_sent=None) -> None:
    """Send now (from work that has nothing to commit, such as a sweep)."""
    _send(task, args, on_sent)


def _send(task, args: tuple, on_sent) -> None:
    try:
        # One try (task_publish_retry is off), bounded by the broker connect timeout: a write never waits on a
        # broker that is down.
        task.delay(*args)
    except Exception:
        # The row is saved; a periodic sweep finds whatever was not sent and sends it again.
        logger.warning("could not enqueue %s%r; a sweep will redo it", task.name, args, exc_info=True)
        return
    if on_sent is not None:
        on_sent()


def enqueue_on_commit(task, *args, on_sent=None) -> None:
    """Send a task once the surrounding transaction commits; on_sent runs only if the broker took it (sweeps use
    that to skip work that is already queued)."""
    transaction.on_commit(partial(_send, task, args, on_sent))
