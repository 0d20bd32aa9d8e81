"""A web worker, once it has loaded the site, runs BLAS on one thread and freezes what startup loaded."""

import gc
import runpy
from pathlib import Path

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

CONF = Path(__file__).resolve().parent.parent / "platform_site" / "gunicorn.conf.py"


def blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


@pytest.fixture
def untuned():
    """Two BLAS threads and nothing frozen before; this process's own settings after."""
    with threadpool_limits(limits=2, user_api="blas"):
        gc.unfreeze()
        yield
        gc.unfreeze()


def test_a_web_worker_tunes_itself_once_the_site_is_loaded(untuned):
    hooks = runpy.run_path(str(CONF))
    loaded = [{"loaded": number} for number in range(1000)]
    assert blas_threads() == {2}
    assert gc.get_freeze_count() == 0

    hooks["post_worker_init"](worker=None)

    assert blas_threads() == {1}
    assert gc.get_freeze_count() >= len(loaded)
