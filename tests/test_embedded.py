"""The embedded servers start when an entry point asks for them, never as a side effect of reading the settings."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from platform_site import embedded

pytestmark = pytest.mark.slow

REPORT = (
    "import json; from django.conf import settings; from platform_site import embedded; from pathlib import Path\n"
    "{start}"
    "db = settings.DATABASES['default']\n"
    "state = embedded.read_state(Path(settings.EMBEDDED['pgdata']))\n"
    "print(json.dumps({{'host': db['HOST'], 'port': db['PORT'], 'name': db['NAME'], 'state': state}}))\n"
)
STARTED = (
    "embedded.ensure_started()\n"
    "from django.db import connection\n"
    "connection.ensure_connection()\n"
    "print(json.dumps({'database': connection.cursor().execute('SELECT current_database()').fetchone()[0]}))\n"
)


@pytest.fixture
def pgdata(tmp_path):
    folder = tmp_path / "pgdata"
    yield folder
    embedded.stop(folder)


def run_python(code: str, pgdata) -> list[dict]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "EMBEDDED_PG_PORT"}
    }
    env.update(DJANGO_SETTINGS_MODULE="platform_site.settings", EMBEDDED_PGDATA=str(pgdata), EMBEDDED_DATABASE="probe")
    finished = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stderr
    return [json.loads(line) for line in finished.stdout.splitlines() if line.startswith("{")]


def test_reading_the_settings_names_the_servers_without_starting_them(pgdata):
    (report,) = run_python(REPORT.format(start=""), pgdata)

    assert report["state"] is None
    assert not embedded.runtime_dir(pgdata.resolve()).exists()
    assert (report["host"], report["port"], report["name"]) == (str(embedded.socket_dir(pgdata)), "5432", "probe")


def test_ensure_started_serves_the_database_the_settings_describe(pgdata):
    started, report = run_python(REPORT.format(start=STARTED), pgdata)

    assert started == {"database": "probe"}
    assert report["state"]["postgres_socket_dir"] == report["host"]
