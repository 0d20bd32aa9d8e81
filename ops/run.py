"""`make run`: the production topology on one machine.

Embedded PostgreSQL and Redis (unless DATABASE_URL / CELERY_BROKER_URL point elsewhere), migrations and demo data,
then gunicorn (WEB_CONCURRENCY processes), CELERY_WORKERS Celery workers and one beat scheduler. Ctrl-C or SIGTERM
stops them all; the children also die with this process if it is killed outright, and the embedded servers stop
once nobody uses them.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings")
os.environ.setdefault("DJANGO_ENV", "local")

from platform_site import embedded, preflight  # noqa: E402

# This process holds the embedded servers (when the settings describe them) for as long as the site runs.
embedded.ensure_started()
# Before anything starts: what is missing is named in one line instead of children failing one by one.
preflight.run_or_exit()

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from content.vectors import embedding_coverage  # noqa: E402
from platform_site.embedded.keeper import die_with_parent  # noqa: E402

ADDRESS = os.environ.get("PLATFORM_ADDRESS", "127.0.0.1:8000")
WORKERS = int(os.environ.get("CELERY_WORKERS", "1"))
CONCURRENCY = int(os.environ.get("CELERY_CONCURRENCY", "2"))
READY_TIMEOUT_SECONDS = 600
# PLATFORM_DEMO=0 starts the topology on whatever data is there (tests, drills, a real deployment's data).
LOAD_DEMO = os.environ.get("PLATFORM_DEMO", "1") not in ("0", "false", "no")
# The pid file (`make stop` reads the default one) and the scheduler's state; a second run from the same checkout,
# like the topology test, gives its own folder so it never touches those of `make run`.
RUN_DIR = Path(os.environ.get("PLATFORM_RUN_DIR") or settings.BASE_DIR / "var")
PID_FILE = RUN_DIR / "run.pid"
BEAT_SCHEDULE = RUN_DIR / Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).name


def _spawn(*args: str) -> subprocess.Popen:
    # Dies with this process even if it is killed without a chance to stop its children.
    return subprocess.Popen([sys.executable, *args], cwd=settings.BASE_DIR, preexec_fn=die_with_parent(signal.SIGTERM))


def _web() -> subprocess.Popen:
    if os.environ.get("PLATFORM_WEB") == "runserver":
        return _spawn("manage.py", "runserver", ADDRESS)
    return _spawn("-m", "gunicorn", "-c", "platform_site/gunicorn.conf.py", "platform_site.wsgi")


def processes() -> list[subprocess.Popen]:
    queue = f"--queues={settings.CELERY_TASK_DEFAULT_QUEUE}"
    started = [_web()]
    for number in range(WORKERS):
        started.append(
            _spawn(
                "-m", "celery", "-A", "platform_site", "worker", queue,
                f"--hostname=worker{number + 1}@%h", f"--concurrency={CONCURRENCY}", "--loglevel=INFO",
            )
        )  # fmt: skip
    started.append(
        _spawn(
            "-m", "celery", "-A", "platform_site", "beat", "--loglevel=INFO",
            f"--schedule={BEAT_SCHEDULE}",
        )
    )  # fmt: skip
    return started


def _wait_for_vectors(started: float, children: list[subprocess.Popen]) -> None:
    while time.monotonic() - started < READY_TIMEOUT_SECONDS:
        if any(child.poll() is not None for child in children):
            raise SystemExit("a child process exited early; see the log above")
        coverage = embedding_coverage()
        if (
            coverage["items_embedded"] == coverage["items"]
            and coverage["profiles_embedded"] == coverage["profiles_with_bio"]
        ):
            print(
                f"\nReady in {time.monotonic() - started:.1f}s: http://{ADDRESS}/  ({coverage['items']} items and "
                f"{coverage['profiles_embedded']} bios embedded; {os.environ.get('WEB_CONCURRENCY', '2')} web "
                f"processes, {WORKERS} worker(s) x {CONCURRENCY}, 1 scheduler)\n",
                flush=True,
            )
            return
        time.sleep(1)
    print("Still embedding; the site is up and feeds fill in as vectors arrive.", flush=True)


def main() -> None:
    started = time.monotonic()
    PID_FILE.parent.mkdir(parents=True, exist_ok=True)
    PID_FILE.write_text(str(os.getpid()))
    call_command("migrate", interactive=False, verbosity=0)
    # The torch-free ONNX encoder for every process (a no-op once exported). Its own process, so this one never
    # loads torch; a refused or impossible export leaves the site on sentence-transformers.
    subprocess.run([sys.executable, "manage.py", "export_onnx_model"], cwd=settings.BASE_DIR)
    if LOAD_DEMO:
        call_command("load_demo")
    children = processes()

    def stop(*_, status: int = 0):
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        PID_FILE.unlink(missing_ok=True)
        sys.exit(status)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    # A settled statistics pass so the first feeds have popularity and co-engagement to work with.
    from content.tasks import ensure_domain_indexes
    from recommendations.tasks import refresh_item_statistics

    refresh_item_statistics.delay()
    ensure_domain_indexes.delay()
    if LOAD_DEMO:
        _wait_for_vectors(started, children)
    else:
        print(f"\nStarted in {time.monotonic() - started:.1f}s: http://{ADDRESS}/\n", flush=True)
    while all(child.poll() is None for child in children):
        time.sleep(1)
    # A child that exits on its own is a failure a process supervisor must see.
    print("a child process exited; stopping the others", file=sys.stderr, flush=True)
    stop(status=1)


if __name__ == "__main__":
    main()
