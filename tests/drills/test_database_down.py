"""A database that is down or restarting: a clean 503 (JSON under /api/, a page on the website), never a 500 or a
traceback; and once it is back, the same processes serve again."""

import json
import logging
import subprocess
import sys
import threading
import time
from collections import Counter

import psutil
import pytest
from django.db import InterfaceError, OperationalError
from django.urls import reverse

from ops.load import ApiClient
from ops.topology import BASE_DIR
from platform_site.middleware import DatabaseUnavailableMiddleware
from tests.api.utils import assert_error
from tests.drills.postgres import PrivatePostgres

DOWN = OperationalError('connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused')


@pytest.fixture
def database_down(monkeypatch):
    """Views meet a database that is down (the first query they make raises)."""

    def fail(*args, **kwargs):
        raise DOWN

    monkeypatch.setattr("content.selectors.item_list", fail)
    monkeypatch.setattr("web.views.feed.feed_for_user", fail)


def test_api_answers_a_database_outage_with_a_json_503(client, db, database_down, caplog):
    with caplog.at_level(logging.WARNING):
        response = client.get(reverse("api_items"))

    error = assert_error(response, 503, "service_unavailable")
    assert response["Retry-After"]
    assert "try again" in error["message"]
    assert [record.getMessage() for record in caplog.records if "database unavailable" in record.getMessage()] == [
        "database unavailable, answered 503 to GET /api/v1/items/: connection failed: connection to server at "
        '"127.0.0.1", port 5432 failed: Connection refused'
    ]


def test_website_answers_a_database_outage_with_a_friendly_503_page(client, db, database_down):
    response = client.get("/")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"]
    assert b"Back in a moment" in response.content


def test_a_closed_connection_is_a_503_too(client, db, monkeypatch):
    def closed(*args, **kwargs):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr("web.views.feed.feed_for_user", closed)

    assert client.get("/").status_code == 503


def test_middleware_answers_json_under_the_api_and_a_page_elsewhere(rf):
    middleware = DatabaseUnavailableMiddleware(lambda request: None)

    api = middleware.process_exception(rf.get(reverse("api_items")), DOWN)
    page = middleware.process_exception(rf.get(reverse("profile")), DOWN)

    assert api.status_code == 503 and api["Content-Type"] == "application/json"
    assert json.loads(api.content)["error"]["code"] == "service_unavailable"
    assert page.status_code == 503 and b"Back in a moment" in page.content
    assert middleware.process_exception(rf.get(reverse("profile")), RuntimeError("a bug")) is None


def test_other_errors_stay_500(client, db, monkeypatch):
    client.raise_request_exception = False

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("content.selectors.item_list", broken)

    assert_error(client.get(reverse("api_items")), 500, "server_error")


# --- The drill: a real PostgreSQL restarted under load ---------------------------------------------------------------

# Seconds the database stays down, and how soon after it is back every page must answer 200 again.
OUTAGE_SECONDS = 3
RECOVERY_SECONDS = 5
LOAD_THREADS = 3
SEED = (
    "from content.models import Domain, Item; from django.contrib.auth import get_user_model; "
    "from api.services import token_issue; books = Domain.objects.create(slug='books', name='Books'); "
    "item = Item.objects.create(domain=books, title='Tide tables', description='How the moon moves the sea.'); "
    "reader = get_user_model().objects.create_user('reader', password='a-long-drill-password'); "
    "from django.contrib import auth; from django.contrib.sessions.backends.db import SessionStore; "
    "session = SessionStore(); session[auth.SESSION_KEY] = str(reader.pk); "
    "session[auth.BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'; "
    "session[auth.HASH_SESSION_KEY] = reader.get_session_auth_hash(); session.create(); "
    "print('SEED', item.pk, token_issue(user=reader).key, session.session_key)"
)


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def postgres(tmp_path):
    server = PrivatePostgres(tmp_path)
    server.start()
    yield server
    server.stop()


class Load:
    """Threads that request the given paths in turn until stopped, recording every answer."""

    def __init__(self, base_url: str, paths: list[tuple[str, dict]]):
        self.base_url, self.paths = base_url, paths
        self.answers: list[tuple[float, str, int, str, object]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(LOAD_THREADS)]

    def _run(self, number: int) -> None:
        clients = [ApiClient(self.base_url, timeout=10, headers=headers) for _, headers in self.paths]
        step = number
        while not self._stop.is_set():
            path, _ = self.paths[step % len(self.paths)]
            client = clients[step % len(self.paths)]
            status, body, _ = client.request("GET", path)
            content_type = client.last_content_type
            self.answers.append((time.monotonic(), path, status, content_type, body))
            step += 1

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(30)


@pytest.mark.slow
@pytest.mark.drill
def test_database_restart_under_load_answers_503_then_recovers_without_restarting_anything(
    postgres, topology, tmp_path
):
    postgres.create_database()
    site = topology(
        database_url=postgres.url,
        # The real settings: the database cache as in production, not the tests' in-memory one.
        settings_module="platform_site.settings",
        DATABASE_CONNECT_TIMEOUT=2,
        API_THROTTLE_ANON="",
        API_THROTTLE_USER="",
    )
    env = site.child_env()
    _manage(env, "migrate", "--verbosity=0")
    item_id, token, session = _manage(env, "shell", "-c", SEED).split("SEED ")[1].split()
    signed_in = {"Cookie": f"sessionid={session}"}
    site.start_redis()  # the web server refuses to start without its broker, as in production
    web = site.start_web()
    before = {web.pid, *(child.pid for child in psutil.Process(web.pid).children(recursive=True))}
    paths = [
        ("/api/v1/domains/", {}),
        ("/api/v1/items/", {}),
        (f"/api/v1/items/{item_id}/", {}),
        ("/api/v1/interactions/", {"Authorization": f"Token {token}"}),
        ("/", {}),
        (f"/items/{item_id}/", {}),
        ("/", signed_in),
        ("/me/", signed_in),
    ]

    with Load(site.base_url, paths) as load:
        time.sleep(2)
        stopped_at = time.monotonic()
        postgres.stop()
        time.sleep(OUTAGE_SECONDS)
        postgres.start()
        back_at = time.monotonic()
        time.sleep(RECOVERY_SECONDS + 3)

    after = {web.pid, *(child.pid for child in psutil.Process(web.pid).children(recursive=True))}
    statuses = Counter(answer[2] for answer in load.answers)
    print(f"{len(load.answers)} requests; answers by status: {dict(statuses)}")
    assert set(statuses) <= {200, 503}, [answer for answer in load.answers if answer[2] not in (200, 503)][:5]
    during = [answer for answer in load.answers if stopped_at <= answer[0] <= back_at]
    assert any(answer[2] == 503 and answer[1].startswith("/api/") for answer in during)
    assert any(answer[2] == 503 and not answer[1].startswith("/api/") for answer in during)
    for _, path, status, content_type, body in load.answers:
        if status != 503:
            continue
        if path.startswith("/api/"):
            assert content_type.startswith("application/json"), (path, body)
            assert body["error"]["code"] == "service_unavailable", body
            assert set(body["error"]) == {"code", "message", "fields"}
        else:
            assert content_type.startswith("text/html"), (path, body)
            assert "Back in a moment" in body and "Traceback" not in body
    last_503 = max((answer[0] for answer in load.answers if answer[2] == 503), default=back_at)
    recovered_after = max(0.0, last_503 - back_at)
    print(f"every path answered 200 again {recovered_after:.2f}s after PostgreSQL was back (bound {RECOVERY_SECONDS}s)")
    assert recovered_after <= RECOVERY_SECONDS
    for path, _ in paths:
        assert [answer[2] for answer in load.answers if answer[1] == path][-1] == 200, path
    assert after == before, "the web processes were restarted"
    log = web.output()
    assert "database unavailable, answered 503" in log
    assert "Internal Server Error" not in log and "unhandled error" not in log
