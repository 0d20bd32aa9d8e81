import logging
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


def _send(task, args: tuple) -> None:
    try:
        task.delay(*args)
    except Exception:
        # The row is saved; the periodic sweep picks up whatever was not sent.
        logger.warning("could not enqueue %s%r; the sweep will redo it", task.name, args, exc_info=True)


def enqueue_on_commit(task, *args) -> None:
    """Send a task once the surrounding transaction commits; a broker outage never fails the write."""
    transaction.on_commit(partial(_send, task, args))
