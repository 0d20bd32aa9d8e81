"""Drill: `make run` (python -m ops.run) leaves nothing running once it is stopped, however that happens:
Ctrl-C in its terminal, SIGTERM to its process group, SIGKILL to the runner alone, or `make stop` from elsewhere.

Each run has its own embedded PostgreSQL and Redis (a temporary EMBEDDED_PGDATA) and its own port and queue; its
processes are the runner's descendants, captured while it runs, plus anything whose command line names its data."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from uuid import uuid4

import psutil
import pytest

from ops.topology import BASE_DIR, free_port
from tests.drills.conftest import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.drill]

START_SECONDS = 120
# Stopped by a signal the runner handles: children stop at once, the keeper stops the servers after its grace period
# (5 s without anyone attached, checked every second).
STOP_SECONDS = 20
# Runner SIGKILLed: its children get SIGTERM from the kernel, then the keeper's grace period.
ORPHANED_STOP_SECONDS = 30
RUN_PID = BASE_DIR / "var" / "run.pid"


@pytest.fixture(scope="module")
def pgdata(tmp_path_factory) -> Path:
    """One data folder for every way of stopping: initdb and migrations once, each run on a fresh keeper."""
    return tmp_path_factory.mktemp("make-run") / "pgdata"


@pytest.fixture
def run_pid_file():
    """The runner writes var/run.pid for `make stop`: a developer's own `make run` in this checkout keeps its file."""
    saved = RUN_PID.read_text() if RUN_PID.exists() else None
    yield RUN_PID
    if saved is None:
        RUN_PID.unlink(missing_ok=True)
    else:
        RUN_PID.write_text(saved)


def _env(pgdata: Path, port: int) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "EMBEDDED_DATABASE", "EMBEDDED_PG_PORT", "CELERY_QUEUE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="platform_site.settings",
        EMBEDDED_PGDATA=str(pgdata),
        PLATFORM_DEMO="0",
        WEB_CONCURRENCY="1",
        CELERY_WORKERS="1",
        CELERY_CONCURRENCY="1",
        PLATFORM_ADDRESS=f"127.0.0.1:{port}",
        CELERY_QUEUE=f"drill-run-{uuid4().hex[:8]}",
        PYTHONUNBUFFERED="1",
    )
    return env


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _naming(pgdata: Path) -> list[psutil.Process]:
    """Processes whose command line names this run's data folder (its keeper, its postmaster)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if str(pgdata) in " ".join(process.info["cmdline"] or []) and _alive(process):
            found.append(process)
    return found


def _describe(processes) -> list[str]:
    described = []
    for process in processes:
        try:
            described.append(f"{process.pid} {' '.join(process.cmdline())[:120]}")
        except psutil.Error:
            described.append(f"{process.pid} (gone)")
    return described


class Run:
    def __init__(self, pgdata: Path, log: Path):
        self.pgdata = pgdata
        self.port = free_port()
        self.env = _env(pgdata, self.port)
        self.log = log
        with log.open("ab") as out:
            # Its own process group, as a shell gives a foreground job: Ctrl-C reaches the whole group.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ops.run"],
                cwd=BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_started(self) -> list[psutil.Process]:
        """Wait for the site, the worker and beat; return every process of this run."""
        ready = (
            "Started in",
            " ready.",  # the Celery worker
            "beat: Starting...",
        )
        wait_for(
            lambda: all(marker in self.output() for marker in ready) or self.process.poll() is not None,
            timeout=START_SECONDS,
            what="make run started",
            interval=0.3,
        )
        assert self.process.poll() is None, self.output()[-4000:]
        runner = psutil.Process(self.process.pid)
        processes = [runner, *runner.children(recursive=True), *_naming(self.pgdata)]
        commands = " | ".join(_describe(processes))
        for expected in ("gunicorn", "celery -A platform_site worker", "celery -A platform_site beat",
                         "platform_site.embedded.keeper", "bin/postgres", "redis-server"):  # fmt: skip
            assert expected in commands, f"{expected} is not running: {commands}"
        return list({process.pid: process for process in processes}.values())

    def kill_everything(self, processes: list[psutil.Process]) -> None:
        """Whatever is left: the test must not leave processes behind even when it fails."""
        for process in [*processes, *_naming(self.pgdata)]:
            if _alive(process):
                process.kill()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def _stop_with(how: str, run: Run) -> None:
    if how == "ctrl-c":
        os.killpg(run.process.pid, signal.SIGINT)
    elif how == "sigterm-group":
        os.killpg(run.process.pid, signal.SIGTERM)
    elif how == "sigkill-runner":
        os.kill(run.process.pid, signal.SIGKILL)
    elif how == "make-stop":
        # Reap the runner as its shell would: `make stop` waits until the runner's process is gone, zombie or not.
        threading.Thread(target=run.process.wait, daemon=True).start()
        done = subprocess.run(
            [sys.executable, "-m", "platform_site.embedded", "stop"],
            cwd=BASE_DIR,
            env=run.env,
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert done.returncode == 0, done.stderr
        assert "stopped make run; stopped embedded PostgreSQL/Redis" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("how", "bound"),
    [
        ("ctrl-c", STOP_SECONDS),
        ("sigterm-group", STOP_SECONDS),
        ("sigkill-runner", ORPHANED_STOP_SECONDS),
        ("make-stop", STOP_SECONDS),
    ],
)
def test_make_run_leaves_nothing_running_once_stopped(how, bound, pgdata, run_pid_file, tmp_path):
    run = Run(pgdata, tmp_path / "run.log")
    processes = []
    try:
        processes = run.wait_started()
        stopping = time.monotonic()
        _stop_with(how, run)
        left = lambda: [process for process in processes if _alive(process)] + _naming(pgdata)  # noqa: E731
        try:
            wait_for(lambda: not left(), timeout=bound, what=f"every process of the run gone after {how}", interval=0.2)
        except BaseException:
            print("still running:", _describe(left()))
            raise
        print(f"{how}: all {len(processes)} processes of the run gone in {time.monotonic() - stopping:.1f}s "
              f"(bound {bound}s)")  # fmt: skip
    finally:
        run.kill_everything(processes)
