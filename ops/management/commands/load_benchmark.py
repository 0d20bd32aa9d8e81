"""HTTP load benchmark: the site started the way `make run` starts it, measured with wrk, as a team would measure it."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
from amqp.exceptions import ChannelError
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.services import token_issue
from content.models import Item

PROFILES = {
    "feed": "personal feed, no free text (people who visited lately: their ranking is in the feed cache)",
    "ranked": "personal feed ranked on every request (a random explore setting misses the feed cache)",
    "query": "personal feed with free text (q)",
    "anonymous": "anonymous popular-and-fresh feed",
    "mixed": "personal feeds, 10% of requests post an interaction",
}
QUERIES = ["something+calm+about+the+ocean", "a+gripping+mystery", "learn+to+cook", "jazz+for+a+rainy+evening"]
# Which process is which, by its command line (gunicorn workers carry the master's command line).
ROLES = [
    ("gunicorn", "gunicorn"),
    ("celery -A platform_site worker", "celery worker"),
    ("celery -A platform_site beat", "beat"),
]
LUA = Path(__file__).with_name("load_benchmark.lua")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Command(BaseCommand):
    help = (
        "Serve this database with gunicorn, workers and a scheduler exactly as `make run` does (PLATFORM_DEMO=0), "
        "then load it with wrk: requests/s and p50/p95/p99 per profile and number of connections. Run it against a "
        "benchmark database built by benchmark_feed, e.g. EMBEDDED_DATABASE=platform_bench100k python manage.py "
        "load_benchmark. API rate limits are off for the run (one client address would hit them at once)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--connections", type=int, nargs="+", default=[8, 32])
        parser.add_argument("--duration", type=int, default=20, help="Seconds per measurement.")
        parser.add_argument("--warmup", type=int, default=5, help="Seconds of load before each measurement.")
        parser.add_argument("--profiles", nargs="+", choices=list(PROFILES), default=list(PROFILES))
        parser.add_argument("--users", type=int, default=500, help="Signed-in users whose tokens rotate.")
        parser.add_argument("--web-concurrency", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--json", dest="json_path", type=Path)

    def handle(self, *args, connections, duration, warmup, profiles, users, web_concurrency, json_path, **options):
        wrk = shutil.which("wrk")
        if wrk is None:
            raise CommandError("wrk is not installed: `apt-get install wrk` (Debian), or run `make loadtest`.")
        tokens = self._tokens(users)
        items = list(Item.objects.filter(is_active=True, embedding__isnull=False).values_list("pk", flat=True)[:5000])
        if not tokens or not items:
            raise CommandError("This database has no users or embedded items: build it with benchmark_feed first.")
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        cores = os.cpu_count()
        self.stdout.write(
            f"{Item.objects.count():,} items, {len(tokens)} users' tokens; gunicorn {web_concurrency} processes; "
            f"{cores} CPU cores shared by the site, its workers, PostgreSQL and wrk itself."
        )
        site = self._start_site(port, web_concurrency)
        results = {}
        try:
            self._wait_until_up(base, site)
            data = Path(tempfile.mkdtemp(prefix="load-benchmark-"))
            (data / "tokens.txt").write_text("\n".join(tokens))
            (data / "items.txt").write_text("\n".join(str(item) for item in items))
            (data / "queries.txt").write_text("\n".join(QUERIES))
            self._wait_until_queue_drains()
            self._first_visits(base, tokens)
            self.stdout.write(f"\n{'profile':<12}{'conns':>6}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
                              f"{'errors':>8}{'cached':>8}")  # fmt: skip
            for profile in profiles:
                for count in connections:
                    # Measure a site at rest: the work queued by the last profile (or a last run) is done first.
                    self._wait_until_queue_drains()
                    environment = {**os.environ, "BENCH_PROFILE": profile, "BENCH_DATA": str(data)}
                    command = [wrk, f"-t{min(count, 2)}", f"-c{count}", "-s", str(LUA), base]
                    subprocess.run([*command[:1], f"-d{warmup}s", *command[1:]], env=environment, capture_output=True)
                    run = subprocess.run(
                        [*command[:1], f"-d{duration}s", "--timeout", "10s", *command[1:]],
                        env=environment, capture_output=True, text=True,
                    )  # fmt: skip
                    row = self._parse(run.stdout + run.stderr)
                    results.setdefault(profile, {})[count] = row
                    self.stdout.write(
                        f"{profile:<12}{count:>6}{row['rps']:>9.1f}{row['p50']:>9.1f}{row['p95']:>9.1f}"
                        f"{row['p99']:>9.1f}{row['errors']:>8}{row['cached']:>8.0%}"
                    )
            memory = self._resident_memory(site.pid)
        finally:
            site.send_signal(signal.SIGTERM)
            site.wait(60)
        report = {
            "items": Item.objects.count(),
            "cores": cores,
            "web_concurrency": web_concurrency,
            "duration_s": duration,
            "profiles": PROFILES,
            "results": results,
            "rss_mb": memory,
        }
        path = json_path or Path(settings.BASE_DIR) / "var" / f"load-benchmark-{report['items']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2))
        self.stdout.write(f"\n'cached': share of feed responses served from the shared feed cache. Wrote {path}")

    def _resident_memory(self, root: int) -> dict[str, list[int]]:
        """Resident memory of every process the site started, after the load, by role (MB)."""
        roles: dict[str, list[int]] = {}
        for process in psutil.Process(root).children(recursive=True):
            try:
                command = " ".join(process.cmdline())
                megabytes = round(process.memory_info().rss / 2**20)
            except psutil.Error:
                continue
            role = next((name for marker, name in ROLES if marker in command), None)
            if role:
                roles.setdefault(role, []).append(megabytes)
        self.stdout.write("\nResident memory after the load (MB): " + "; ".join(
            f"{role} {', '.join(str(value) for value in sorted(values))}" for role, values in sorted(roles.items())
        ))  # fmt: skip
        return roles

    def _first_visits(self, base: str, tokens: list[str]) -> None:
        """Each person opens their feed once, as the people of a running site did lately; the feed profile then
        measures their return visits and the ranked profile the first ones."""

        def visit(token):
            request = urllib.request.Request(
                f"{base}/api/v1/feed/?page_size=20", headers={"Authorization": f"Token {token}"}
            )
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(visit, tokens))
        self.stdout.write(f"{len(tokens)} people opened their feed once first ({time.monotonic() - started:.0f} s)")

    def _wait_until_queue_drains(self, timeout: float = 120.0) -> None:
        from platform_site.celery import app

        deadline = time.monotonic() + timeout
        with app.connection_for_write() as connection:
            channel = connection.default_channel
            while time.monotonic() < deadline:
                try:
                    waiting = channel.queue_declare(
                        queue=settings.CELERY_TASK_DEFAULT_QUEUE, passive=True
                    ).message_count
                except ChannelError:  # Redis drops an empty queue's key: nothing waits
                    return
                if waiting == 0:
                    return
                time.sleep(1.0)
        # A worker that cannot keep up is part of what is measured; say so rather than wait forever.
        self.stderr.write(f"note: the Celery queue still holds {waiting} tasks after {timeout:.0f} s; measuring anyway")

    def _tokens(self, count: int) -> list[str]:
        people = get_user_model().objects.filter(username__startswith="bench-").order_by("pk")[:count]
        return [token_issue(user=user).key for user in people]

    def _start_site(self, port: int, web_concurrency: int) -> subprocess.Popen:
        environment = {
            **os.environ,
            "PLATFORM_DEMO": "0",
            "PLATFORM_ADDRESS": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(web_concurrency),
            "CELERY_WORKERS": "1",
            "CELERY_CONCURRENCY": "1",
            "API_THROTTLE_ANON": "",
            "API_THROTTLE_USER": "",
            "RATE_LIMIT_QUERY": "",
            "LOG_LEVEL": "WARNING",
        }
        return subprocess.Popen(
            [sys.executable, "-m", "ops.run"],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )

    def _wait_until_up(self, base: str, site: subprocess.Popen, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if site.poll() is not None:
                raise CommandError("the site exited while starting; run `make run` to see why")
            try:
                with urllib.request.urlopen(f"{base}/api/v1/domains/", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(1)
        raise CommandError(f"the site did not answer within {timeout:.0f}s")

    @staticmethod
    def _parse(output: str) -> dict:
        for line in output.splitlines():
            if line.startswith("RESULT "):
                return json.loads(line.removeprefix("RESULT "))
        raise CommandError(f"wrk did not report a result:\n{output[-2000:]}")
