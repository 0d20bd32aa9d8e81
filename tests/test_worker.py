"""End to end through a real Celery worker process: a saved item is embedded by the worker, not by the test."""

import os
import subprocess
import sys
import tempfile
import time
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from content import services
from content.models import Item
from tests import factories

pytestmark = pytest.mark.worker

WAIT_SECONDS = 90


def database_url() -> str:
    """The test database, as the worker reaches it (the host is a unix-socket directory)."""
    db = connection.settings_dict
    return f"postgresql://{db['USER']}@{quote(db['HOST'], safe='')}:{db['PORT']}/{db['NAME']}"


def purge_queue() -> None:
    """Messages left on a shared broker by an earlier run would otherwise be worked on first."""
    from platform_site.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)


def start_worker(log):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "platform_site.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "platform_site",
        "worker",
        "--pool=solo",
        "--loglevel=INFO",
        "-Q",
        settings.CELERY_TASK_DEFAULT_QUEUE,
    ]
    return subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT)


def stop_worker(worker) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def test_worker_embeds_an_item_saved_through_the_service(transactional_db):
    purge_queue()
    domain = factories.DomainFactory(slug="books", name="Books")
    with tempfile.TemporaryFile(mode="w+") as log:
        worker = start_worker(log)
        try:
            item = services.item_create(
                domain=domain, title="Whale Songs", description="How humpback whales sing and migrate."
            )
            deadline = time.monotonic() + WAIT_SECONDS
            embedded = False
            while not embedded and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.5)
                embedded = Item.objects.filter(pk=item.pk, embedded_at__isnull=False).exists()
        finally:
            stop_worker(worker)
            log.seek(0)
            output = log.read()
        if not embedded:
            print(output)
        assert embedded, f"the worker (exit code {worker.returncode}) did not embed the item within {WAIT_SECONDS}s"

    item.refresh_from_db()
    assert item.embedded_at is not None
    assert item.embedding is not None
    assert item.embedding_model == settings.EMBEDDING_MODEL_NAME
    assert item.embedding_error == ""
    assert "content.tasks.embed_items" in output
