"""Embedded PostgreSQL (+pgvector) and Redis for a zero-setup default.

When no DATABASE_URL is given, the settings describe one pair of servers whose data lives inside the project (their
socket paths are fixed by the data folder, so nothing starts when settings are read), and every entry point
(manage.py, `make run`, gunicorn, the Celery worker and beat, the test session) calls `ensure_started()` before it
uses them. A small keeper process owns them: it starts them as its own children and stops them once no attached
process has been alive for a few seconds. Attaching leaves a lease (the process id); the keeper checks that those
processes still exist, so a process killed without running any exit handler cannot keep the servers up. If the
keeper itself is killed, the kernel stops the servers with it.
"""

import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
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


def socket_dir(pgdata: Path) -> Path:
    """Where the keeper of this data folder puts its sockets: fixed by the folder, so settings can name them without
    starting anything. Short, because unix socket paths are limited to about 100 bytes."""
    digest = hashlib.sha256(str(pgdata.resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"platform-pg-{digest}"


def describe(pgdata: Path, *, tcp_port: int | None, database: str) -> dict:
    """The servers the keeper of pgdata runs, as settings name them; nothing is started or checked."""
    sockets = socket_dir(pgdata)
    return {
        "pgdata": str(pgdata.resolve()),
        "tcp_port": tcp_port,
        "database": database,
        "postgres_socket_dir": str(sockets),
        "postgres_port": tcp_port or 5432,
        "redis_socket": str(sockets / "redis.sock"),
    }


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


def ensure_started() -> dict | None:
    """Start the embedded servers the settings describe (or join the running ones), lease them for this process and
    create the site's database in them; returns the keeper's state, or None when the settings name external servers.

    Settings that cannot be read start nothing: whoever reads them next reports why in their own words."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        described = settings.EMBEDDED
    except ImproperlyConfigured:
        return None
    if described is None:
        return None
    state = attach(Path(described["pgdata"]), tcp_port=described["tcp_port"])
    served = (state["postgres_socket_dir"], state["postgres_port"], state["redis_socket"])
    if served != (described["postgres_socket_dir"], described["postgres_port"], described["redis_socket"]):
        raise EmbeddedServerError(
            f"The embedded servers of {described['pgdata']} already run elsewhere ({state['postgres_socket_dir']}, "
            f"port {state['postgres_port']}); stop them (make stop) and start again."
        )
    ensure_database(state, described["database"])
    return state


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
