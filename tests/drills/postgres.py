"""A PostgreSQL of a drill's own (the embedded binaries, pgvector included) that it can stop and start at will."""

import pwd
import signal
import subprocess
import time
import warnings
from pathlib import Path

import psycopg

from ops.topology import _die_with_parent, free_port
from platform_site.embedded.keeper import _init_pgdata

READY_SECONDS = 30


class PrivatePostgres:
    """On 127.0.0.1:<free port> only (no unix socket), data in a temporary folder, run as the embedded_postgres
    user when this is root (PostgreSQL refuses to run as root), like the keeper does."""

    def __init__(self, directory: Path, database: str = "drill"):
        self.data = directory / "pgdata"
        self.log = directory / "postgres.log"
        self.port = free_port()
        self.database = database
        with warnings.catch_warnings():
            # Importing embedded_postgres looks for XDG_RUNTIME_DIR, which test machines often lack.
            warnings.simplefilter("ignore")
            self.user = _init_pgdata(self.data)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def start(self) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH  # imported (warnings and all) by _init_pgdata

        account = {}
        if self.user:
            entry = pwd.getpwnam(self.user)
            account = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        command = [
            str(POSTGRES_BIN_PATH / "postgres"), "-D", str(self.data), "-p", str(self.port),
            "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
            "-c", "shared_buffers=32MB", "-c", "max_connections=60", "-c", "fsync=off",
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=log, start_new_session=True, preexec_fn=_die_with_parent, **account
            )
        deadline = time.monotonic() + READY_SECONDS
        while not self._accepts():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start:\n{self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)

    def _accepts(self) -> bool:
        try:
            with psycopg.connect(
                host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", connect_timeout=1
            ):
                return True
        except psycopg.OperationalError:
            return False

    def create_database(self) -> None:
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{self.database}"')

    def stop(self) -> None:
        """Fast shutdown: open sessions are ended, as in a restart by an operator or a failover."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
