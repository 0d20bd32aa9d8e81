"""Bad configuration stops start-up with one line saying what to fix: no traceback, nothing left running.

Each case starts the real entry point (`python -m ops.run`, gunicorn, a Celery worker) in a subprocess.
The good parts of a configuration point at a scratch database on the test server, so a check that let something
through would touch nothing that matters.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server() -> dict:
    db = settings.DATABASES["default"]
    return {
        "host": db["HOST"] or "localhost",
        "port": int(db["PORT"] or 5432),
        "user": db["USER"],
        "password": db["PASSWORD"],
    }


def database_url(name: str, *, user: str | None = None) -> str:
    """A database on the test server as DATABASE_URL names it (a unix-socket directory as host is percent-encoded)."""
    where = server()
    login = quote(user or where["user"], safe="")
    if user is None and where["password"]:
        login += ":" + quote(where["password"], safe="")
    return f"postgres://{login}@{quote(where['host'], safe='')}:{where['port']}/{name}"


def where() -> str:
    return f"{server()['host']}:{server()['port']}"


@pytest.fixture(scope="module")
def scratch_databases():
    """An empty database with pgvector available, and one whose server offers no extensions at all."""
    names = {"good": f"preflight_{uuid.uuid4().hex[:8]}", "no_vector": f"preflight_novector_{uuid.uuid4().hex[:8]}"}
    with psycopg.connect(**server(), dbname="postgres", autocommit=True) as admin:
        for name in names.values():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        # PostgreSQL 18 looks for extensions along extension_control_path: an empty one is a server without pgvector.
        if admin.info.server_version >= 180000:
            admin.execute(
                sql.SQL("ALTER DATABASE {} SET extension_control_path = '/nonexistent'").format(
                    sql.Identifier(names["no_vector"])
                )
            )
        else:
            names["no_vector"] = None
        yield names
        for name in names.values():
            if name:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def environment(tmp_path, scratch_databases):
    """A complete, working configuration; each test breaks one part of it."""
    keep = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "EMBEDDED_", "CELERY_", "PLATFORM_", "DATABASE_", "CACHE_", "EMBEDDING_"))
    }
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "platform_site.settings",
        "DJANGO_ENV": "local",
        "DATABASE_URL": database_url(scratch_databases["good"]),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_QUEUE": f"preflight-{uuid.uuid4().hex[:8]}",
        "PLATFORM_DEMO": "0",
        "PLATFORM_ADDRESS": f"127.0.0.1:{free_port()}",
        "PLATFORM_RUN_DIR": str(tmp_path),
    }


def start(command: list[str], env: dict) -> subprocess.CompletedProcess:
    """Run an entry point; if it does not stop by itself, stop it and everything it started."""
    process = subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"{command} kept running with a bad configuration:\n{stderr[-3000:]}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def assert_stopped_with(result: subprocess.CompletedProcess, expected: str) -> None:
    """Exit status 1 and exactly one line that matches `expected` (a regular expression), no traceback."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    lines = [line for line in result.stderr.splitlines() if line.startswith("platform:")]
    assert len(lines) == 1, result.stderr
    assert re.fullmatch(expected, lines[0]), lines[0]
    assert result.returncode == 1, output


def make_run(env: dict) -> subprocess.CompletedProcess:
    result = start([sys.executable, "-m", "ops.run"], env)
    # `make run` says nothing else before it stops: the line is all there is.
    assert result.stderr.count("\n") == 1 and not result.stdout, result.stdout + result.stderr
    return result


def test_database_that_does_not_answer(environment):
    port = free_port()
    environment["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{port}/platform"
    assert_stopped_with(
        make_run(environment),
        re.escape(
            f"platform: cannot reach the database at 127.0.0.1:{port} (Connection refused) — check the host and "
            "port in DATABASE_URL and that PostgreSQL is running there"
        ),
    )


@pytest.mark.parametrize("url", ["mysql://user@db.internal/platform", "postgres://postgres@db.internal:5432"])
def test_database_url_that_names_no_postgresql_database(environment, url):
    environment["DATABASE_URL"] = url
    assert_stopped_with(
        make_run(environment),
        re.escape(
            "platform: DATABASE_URL does not name a PostgreSQL database — write it as "
            "postgres://USER:PASSWORD@HOST:PORT/NAME"
        ),
    )


def test_database_host_that_does_not_exist(environment):
    environment["DATABASE_URL"] = "postgres://postgres@db.invalid:5432/platform"
    assert_stopped_with(
        make_run(environment),
        r"platform: cannot reach the database at db\.invalid:5432 \(.*db\.invalid.*\) — check the host and port in "
        r"DATABASE_URL and that PostgreSQL is running there",
    )


def test_database_user_the_server_refuses(environment, scratch_databases):
    environment["DATABASE_URL"] = database_url(scratch_databases["good"], user="nobody-here")
    assert_stopped_with(
        make_run(environment),
        re.escape(f'platform: the database at {where()} refused user "nobody-here" (')
        + r".+"
        + re.escape(") — check the user name and password in DATABASE_URL"),
    )


def test_database_that_does_not_exist(environment):
    environment["DATABASE_URL"] = database_url("preflight_missing")
    assert_stopped_with(
        make_run(environment),
        re.escape(
            f'platform: database "preflight_missing" does not exist on {where()} — create it (createdb '
            "preflight_missing) or fix the database name in DATABASE_URL"
        ),
    )


def test_database_without_pgvector(environment, scratch_databases):
    if not scratch_databases["no_vector"]:
        pytest.skip("needs PostgreSQL 18 (extension_control_path) to hide pgvector")
    environment["DATABASE_URL"] = database_url(scratch_databases["no_vector"])
    assert_stopped_with(
        make_run(environment),
        re.escape(
            f"platform: the PostgreSQL server at {where()} has no pgvector extension for database "
            f"\"{scratch_databases['no_vector']}\" — install pgvector on that server (the 'vector' extension) or point "
            "DATABASE_URL at one that has it"
        ),
    )


def test_broker_that_does_not_answer(environment):
    port = free_port()
    environment["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{port}/0"
    assert_stopped_with(
        make_run(environment),
        re.escape(f"platform: cannot reach the Celery broker at redis://127.0.0.1:{port}/0 (")
        + r".*Connection refused.*"
        + re.escape(") — start it or fix CELERY_BROKER_URL"),
    )


def test_cache_that_does_not_answer(environment):
    port = free_port()
    environment["CACHE_URL"] = f"redis://127.0.0.1:{port}/1"
    assert_stopped_with(
        make_run(environment),
        re.escape(f"platform: cannot reach the cache at redis://127.0.0.1:{port}/1 (")
        + r".*Connection refused.*"
        + re.escape(") — start it or fix CACHE_URL"),
    )


def test_model_folder_that_does_not_exist(environment, tmp_path):
    environment["EMBEDDING_MODEL"] = str(tmp_path / "no-such-model")
    assert_stopped_with(
        make_run(environment),
        re.escape(
            f"platform: the embedding model folder {tmp_path / 'no-such-model'} does not exist — set EMBEDDING_MODEL "
            "to a folder holding a sentence-transformers model, or unset it for the bundled one"
        ),
    )


def test_model_folder_without_a_model(environment, tmp_path):
    environment["EMBEDDING_MODEL"] = str(tmp_path)
    assert_stopped_with(
        make_run(environment),
        re.escape(
            f"platform: {tmp_path} does not look like a sentence-transformers model (no modules.json or "
            "config_sentence_transformers.json or config.json) — set EMBEDDING_MODEL to a folder holding a "
            "sentence-transformers model, or unset it for the bundled one"
        ),
    )


def test_model_name_that_is_not_downloaded(environment):
    environment["EMBEDDING_MODEL"] = "example-org/no-such-model"
    environment["HF_HUB_OFFLINE"] = "1"
    assert_stopped_with(
        make_run(environment),
        re.escape(
            "platform: the embedding model example-org/no-such-model is neither a folder nor in the Hugging Face "
            "cache — set EMBEDDING_MODEL to a folder holding a sentence-transformers model, or unset it for the "
            "bundled one"
        ),
    )


def test_settings_that_contradict_each_other(environment):
    del environment["CELERY_BROKER_URL"]
    assert_stopped_with(
        make_run(environment),
        re.escape(
            "platform: DATABASE_URL points at an external database — set CELERY_BROKER_URL too "
            "(e.g. redis://localhost:6379/0)"
        ),
    )


def test_gunicorn_started_on_its_own_stops_before_it_listens(environment):
    port = free_port()
    environment["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{port}/platform"
    result = start(
        [sys.executable, "-m", "gunicorn", "-c", "platform_site/gunicorn.conf.py", "platform_site.wsgi"], environment
    )
    assert_stopped_with(result, rf"platform: cannot reach the database at 127\.0\.0\.1:{port} .+")
    assert "Listening at" not in result.stderr and "Booting worker" not in result.stderr


def test_celery_worker_started_on_its_own_stops_before_it_connects(environment):
    port = free_port()
    environment["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{port}/0"
    result = start([sys.executable, "-m", "celery", "-A", "platform_site", "worker", "--pool=solo"], environment)
    assert_stopped_with(result, rf"platform: cannot reach the Celery broker at redis://127\.0\.0\.1:{port}/0 .+")
    assert "ready." not in result.stderr


def test_a_working_configuration_passes(environment):
    result = start([sys.executable, "-m", "platform_site.preflight"], environment)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
