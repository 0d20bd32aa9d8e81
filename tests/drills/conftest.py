"""Fault drills: real processes (web, Celery worker and beat, a private Redis) on the test database, broken on
purpose. Each drill starts what it needs on free ports with its own queue, so stopping a piece disturbs nobody, and
stops everything it started, pass or fail."""

import re
import time
from uuid import uuid4

import pytest

from ops.topology import FAST_SWEEPS, Topology, database_url

FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        item.stash[FAILED] = True
    return report


def shared_database_url() -> str:
    """The test database as another process reaches it."""
    from django.db import connection

    return database_url(connection.settings_dict)


@pytest.fixture
def topology(transactional_db, tmp_path, request):
    """start(**env) -> a Topology on the test database with FAST_SWEEPS (and env) for every piece; stopped after the
    test, with the pieces' logs printed when it failed."""
    started: list[Topology] = []

    def start(*, database_url: str | None = None, settings_module: str | None = None, **env) -> Topology:
        options = {"settings_module": settings_module} if settings_module else {}
        topology = Topology(
            database_url or shared_database_url(),
            env={**FAST_SWEEPS, **env},
            queue=f"drill-{uuid4().hex[:10]}",
            workdir=tmp_path / f"topology-{len(started) + 1}",
            **options,
        )
        started.append(topology)
        return topology

    yield start
    for topology in started:
        topology.stop()
    if request.node.stash.get(FAILED, False):
        for topology in started:
            print(topology.logs())


def count_in_log(piece, pattern: str) -> int:
    return len(re.findall(pattern, piece.output()))


def wait_for(condition, *, timeout: float, what: str, interval: float = 0.1) -> float:
    """Seconds until condition() is true; fails the test after timeout."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"{what}: not within {timeout:.0f}s")
        time.sleep(interval)
    return time.monotonic() - started
