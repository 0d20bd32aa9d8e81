"""Concurrent API clients for the ledger: people posting feedback with client_ids (some requests deliberately sent
twice) and an editor upserting items; every write is retried until the site acknowledges it."""

import http.client
import json
import random
import statistics
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# A write that gets no 2xx is sent again (same client_ids, same external_ids: safe to repeat) for this long.
WRITE_PATIENCE_SECONDS = 60
STATE_KINDS = ("like", "save", "rating")


class ApiClient:
    """A keep-alive JSON client for one API token; a failed connection is opened again on the next request."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 15.0, headers: dict | None = None):
        address = urlsplit(base_url)
        self.host, self.port, self.timeout = address.hostname, address.port or 80, timeout
        self.headers = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        if token:
            self.headers["Authorization"] = f"Token {token}"
        self._connection = None
        self.last_content_type = ""

    def request(self, method: str, path: str, body=None) -> tuple[int, object, float]:
        """(status, parsed JSON or text, seconds); status 0 when no answer came (the connection failed)."""
        started = time.monotonic()
        payload = None if body is None else json.dumps(body)
        try:
            try:
                response = self._send(method, path, payload)
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
                # The server closed a kept-alive connection while it was idle: the request never got there.
                self.close()
                response = self._send(method, path, payload)
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            self.close()
            return 0, repr(error), time.monotonic() - started
        took = time.monotonic() - started
        self.last_content_type = response.getheader("Content-Type", "")
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        try:
            return response.status, json.loads(text), took
        except ValueError:
            return response.status, text, took

    def _send(self, method: str, path: str, payload: str | None) -> http.client.HTTPResponse:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self._connection.request(method, path, payload, self.headers)
        return self._connection.getresponse()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50, p95 and max in milliseconds."""
    if not seconds:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0}
    ordered = sorted(seconds)
    p95 = statistics.quantiles(ordered, n=20, method="inclusive")[-1] if len(ordered) > 1 else ordered[0]
    return {"p50": statistics.median(ordered) * 1000, "p95": p95 * 1000, "max": ordered[-1] * 1000}


@dataclass
class Account:
    """What one client wrote and what the site answered."""

    acknowledged: set = field(default_factory=set)  # client_ids (interactions) or external_ids (items)
    resent: int = 0  # entries sent a second time on purpose after an acknowledgement
    resent_duplicate: int = 0  # ... and answered "duplicate"
    unacknowledged: list = field(default_factory=list)  # writes that never got a 2xx
    latencies: list = field(default_factory=list)
    requests: int = 0


class Catalog:
    """Item ids the people may react to; grows as the editor upserts."""

    def __init__(self):
        self._lock = threading.Lock()
        self.item_ids: list[int] = []

    def add(self, item_ids) -> None:
        with self._lock:
            self.item_ids.extend(item for item in item_ids if item not in self.item_ids)

    def pick(self, rng: random.Random) -> int:
        with self._lock:
            return rng.choice(self.item_ids)


def write(client: ApiClient, method: str, path: str, body, account: Account):
    """Send until a 2xx (backing off on 429, 5xx and lost connections); the answer, or None after the patience."""
    started, attempt = time.monotonic(), 0
    while True:
        status, answer, took = client.request(method, path, body)
        account.requests += 1
        account.latencies.append(took)
        if 200 <= status < 300:
            return answer
        attempt += 1
        if time.monotonic() - started > WRITE_PATIENCE_SECONDS:
            account.unacknowledged.append((method, path, status, str(answer)[:200]))
            return None
        time.sleep(min(0.1 * 2**attempt, 2.0))


def _entry(rng: random.Random, catalog: Catalog, used: set, client_id: str) -> dict:
    item = catalog.pick(rng)
    kind = rng.choices(["view", "click", "like", "save", "rating"], weights=[4, 2, 2, 1, 1])[0]
    if kind in STATE_KINDS and (item, kind) in used:
        kind = "view"  # one row per person, item and state: a second like would be an update, not a new row
    used.add((item, kind))
    entry = {"item": item, "kind": kind, "client_id": client_id}
    if kind == "rating":
        entry["value"] = rng.randint(1, 5)
    return entry


def person_writes(
    client: ApiClient,
    account: Account,
    *,
    prefix: str,
    count: int,
    catalog: Catalog,
    resend_share: float,
    pause: float,
    seed: int,
) -> None:
    """A bio, then `count` interactions, one at a time or in small batches, `pause` seconds apart; some requests
    sent twice on purpose."""
    rng, used, sent = random.Random(seed), set(), 0
    bio = f"Ledger reader {prefix}: tides, jazz and stars."
    write(client, "PATCH", "/api/v1/me/profile/", {"bio": bio}, account)
    while sent < count:
        time.sleep(pause)
        size = 1 if rng.random() < 0.7 else min(rng.randint(2, 5), count - sent)
        entries = [_entry(rng, catalog, used, f"{prefix}-{sent + n}") for n in range(size)]
        sent += size
        path, body = (
            ("/api/v1/interactions/", entries[0])
            if size == 1
            else ("/api/v1/interactions/batch/", {"interactions": entries})
        )
        answer = write(client, "POST", path, body, account)
        if answer is None:
            continue
        account.acknowledged.update(_acknowledged(answer, entries))
        if rng.random() < resend_share:
            again = write(client, "POST", path, body, account)
            account.resent += size
            account.resent_duplicate += sum(1 for status in _statuses(again) if status == "duplicate")


def _statuses(answer) -> list[str]:
    if not isinstance(answer, dict):
        return []
    return [row["status"] for row in answer["results"]] if "results" in answer else [answer.get("status")]


def _acknowledged(answer, entries: list[dict]) -> set[str]:
    return {
        entry["client_id"]
        for entry, status in zip(entries, _statuses(answer), strict=False)
        if status in ("created", "updated", "duplicate")
    }


def editor_writes(
    client: ApiClient,
    account: Account,
    *,
    prefix: str,
    count: int,
    domain: str,
    catalog: Catalog,
    first: int,
    progress,
    seed: int,
) -> None:
    """`count` item upserts: `first` new items at once (the people need something to react to), then batches of up
    to five rows, mostly new items and some new texts for items written before, spread over the people's writing
    (batch k of n waits until progress() >= k / (n + 1))."""
    rng, version = random.Random(seed), {}

    def row(number: int) -> dict:
        version[number] = version.get(number, 0) + 1
        return {
            "external_id": f"{prefix}-{number}",
            "domain": domain,
            "title": f"Ledger item {number}",
            "description": f"Version {version[number]} of a note on tides, jazz or stars, number {number}.",
        }

    def upsert(numbers: list[int]) -> None:
        rows = [row(number) for number in numbers]
        answer = write(client, "POST", "/api/v1/items/bulk-upsert/", {"items": rows}, account)
        if answer is not None:
            catalog.add(result["id"] for result in answer["results"])
            account.acknowledged.update(result["external_id"] for result in answer["results"])

    written = list(range(min(first, count)))
    upsert(written)
    batches, planned = [], len(written)
    while planned < count:
        numbers = set()
        for _ in range(min(rng.randint(1, 5), count - planned)):
            if written and rng.random() < 0.3:
                numbers.add(rng.choice(written))
            else:
                numbers.add(len(written))
                written.append(len(written))
        batches.append(sorted(numbers))
        planned += len(numbers)
    for number, batch in enumerate(batches, start=1):
        while progress() < number / (len(batches) + 1):
            time.sleep(0.05)
        upsert(batch)
