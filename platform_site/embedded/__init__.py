"""Embedded PostgreSQL (+pgvector) and Redis for a zero-setup default.

When no DATABASE_URL is given, every process (web server, worker, manage.py command, test run) attaches to one
pair of servers whose data lives inside the project. A small keeper process owns them: it starts them as its own
children and stops them once no attached process has been alive for a few seconds. Attaching leaves a lease (the
process id); the keeper checks that those processes still exist, so a process killed without running any exit
handler cannot keep the servers up. If the keeper itself is killed, the kernel stops the servers with it.
"""

import fcntl
import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psutil

READY_TIMEOUT_SECONDS = 60
STATE_FILE = "keeper.json"


class EmbeddedServerError(RuntimeError):
    """The embedded servers could not be started; the message says what to do."""


def runtime_dir(pgdata: Path) -> Path:
    return pgdata.parent / f"{pgdata.name}-run"


@contextmanager
def _locked(directory: Path):
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "attach.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_state(pgdata: Path) -> dict | None:
    """The running keeper's state (pid, sockets, ports), or None when no keeper is alive."""
    path = runtime_dir(pgdata) / STATE_FILE
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    try:
        keeper = psutil.Process(state["pid"])
        alive = keeper.is_running() and keeper.status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, KeyError):
        return None
    return state if alive and keeper.create_time() == state.get("created") else None


def lease(directory: Path, pid: int | None = None) -> Path:
    """Record that a process uses the servers; the keeper stops them once no leased process is alive."""
    process = psutil.Process(pid or os.getpid())
    leases = directory / "leases"
    leases.mkdir(parents=True, exist_ok=True)
    path = leases / f"{process.pid}-{process.create_time():.3f}"
    path.touch()
    return path


def _start_keeper(pgdata: Path, directory: Path, tcp_port: int | None) -> None:
    log = (directory / "keeper.log").open("ab")
    command = [sys.executable, "-m", "platform_site.embedded.keeper", str(pgdata)]
    if tcp_port:
        command += ["--tcp-port", str(tcp_port)]
    # Its own session: Ctrl-C in a terminal reaches the processes that use the servers, not the keeper, which
    # stops the servers after its last user is gone.
    subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)


def attach(pgdata: Path, *, tcp_port: int | None = None) -> dict:
    """Start the servers if needed, lease them for this process, and return the keeper's state."""
    pgdata = pgdata.resolve()
    directory = runtime_dir(pgdata)
    with _locked(directory):
        state = read_state(pgdata)
        if state is None:
            (directory / STATE_FILE).unlink(missing_ok=True)
            _start_keeper(pgdata, directory, tcp_port)
            # Lease before the keeper looks, so it never sees a moment with nobody attached.
            lease(directory)
            state = _wait_for_state(pgdata, directory)
        else:
            lease(directory)
    return state


def _wait_for_state(pgdata: Path, directory: Path) -> dict:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        state = read_state(pgdata)
        if state is not None and state.get("ready"):
            return state
        time.sleep(0.1)
    log = directory / "keeper.log"
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise EmbeddedServerError(
        f"The embedded PostgreSQL/Redis did not start within {READY_TIMEOUT_SECONDS}s; see {log}.\n{tail}"
    )


def stop(pgdata: Path, timeout: float = 30.0) -> bool:
    """Ask the keeper to stop the servers now (make stop); returns whether one was running."""
    state = read_state(pgdata.resolve())
    if state is None:
        return False
    keeper = psutil.Process(state["pid"])
    keeper.terminate()
    try:
        keeper.wait(timeout)
    except psutil.TimeoutExpired:
        keeper.kill()
    return True


def ensure_database(state: dict, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=state["postgres_socket_dir"],
        port=state["postgres_port"],
        user="postgres",
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def database_settings(state: dict, database: str) -> dict:
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": database,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": state["postgres_socket_dir"],
        "PORT": str(state["postgres_port"]),
    }


def redis_url(state: dict, db: int = 0) -> str:
    return f"redis+socket://{state['redis_socket']}?virtual_host={db}"
