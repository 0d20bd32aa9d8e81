"""A write never waits on a broker that is down: sending gives up after one short connection try."""

import time

import pytest
from kombu.exceptions import OperationalError

from content import tasks
from ops.topology import free_port
from platform_site.celery import app

ONE_TRY_SECONDS = 0.5


def test_sending_to_a_broker_that_is_down_gives_up_after_one_short_try():
    with app.connection_for_write(f"redis://127.0.0.1:{free_port()}/0") as nobody_listening:
        started = time.monotonic()
        with pytest.raises(OperationalError):
            tasks.embed_items.apply_async(([1],), connection=nobody_listening)
        took = time.monotonic() - started

    assert took < ONE_TRY_SECONDS
