"""`make run`: database, migrations, demo data, a Celery worker (with the periodic sweep) and the web server.

Stops everything on Ctrl-C; the embedded PostgreSQL stops with the last process attached to it.
"""

import os
import signal
import subprocess
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from content.vectors import embedding_coverage  # noqa: E402
from platform_site import embedded_db  # noqa: E402

ADDRESS = os.environ.get("PLATFORM_ADDRESS", "127.0.0.1:8000")
READY_TIMEOUT_SECONDS = 600


def _spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], cwd=settings.BASE_DIR)


def _wait_for_vectors(started: float, processes: list[subprocess.Popen]) -> None:
    while time.monotonic() - started < READY_TIMEOUT_SECONDS:
        if any(process.poll() is not None for process in processes):
            raise SystemExit("a child process exited early; see the log above")
        coverage = embedding_coverage()
        if (
            coverage["items_embedded"] == coverage["items"]
            and coverage["profiles_embedded"] == coverage["profiles_with_bio"]
        ):
            print(
                f"\nReady in {time.monotonic() - started:.1f}s: http://{ADDRESS}/  "
                f"({coverage['items']} items and {coverage['profiles_embedded']} bios embedded)\n",
                flush=True,
            )
            return
        time.sleep(1)
    print("Still embedding; the site is up and feeds fill in as vectors arrive.", flush=True)


def main() -> None:
    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_demo")
    worker = _spawn(
        "-m",
        "celery",
        "-A",
        "platform_site",
        "worker",
        "--beat",
        "--pool=solo",
        "--loglevel=INFO",
        f"--queues={settings.CELERY_TASK_DEFAULT_QUEUE}",
        f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",
    )
    web = _spawn("manage.py", "runserver", ADDRESS, "--noreload")
    processes = [worker, web]

    def stop(*_):
        for process in processes:
            if process.poll() is None:
                # SIGINT lets the web server run its exit handlers (and detach from the database) too.
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        embedded_db.forget_dead_handles()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    # A settled stats pass so the first feeds have popularity and co-engagement to work with.
    from recommendations.tasks import refresh_item_statistics

    refresh_item_statistics.delay()
    _wait_for_vectors(started, processes)
    while all(process.poll() is None for process in processes):
        time.sleep(1)
    stop()


if __name__ == "__main__":
    main()
