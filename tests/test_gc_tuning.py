"""Web workers freeze what startup loaded, so full collections stop walking it on requests."""

import gc
import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parent.parent / "platform_site" / "gunicorn.conf.py"


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_web_worker_freezes_what_it_loaded_once_the_site_is_loaded(unfrozen):
    hooks = runpy.run_path(str(CONF))
    loaded = [{"loaded": number} for number in range(1000)]
    assert gc.get_freeze_count() == 0

    hooks["post_worker_init"](worker=None)

    assert gc.get_freeze_count() >= len(loaded)
