"""What must hold once the system has settled: vectors match the text they were made from, interests are at least
as new as the feedback and bio they are built from. Used by the ledger command and the fault drills."""

import http.client
import json
import statistics
import time
from urllib.parse import urlsplit

from django.conf import settings

from content.embedding import text_hash
from content.models import Item, Profile
from recommendations.models import InterestProfile


def _vector_is_current(row) -> bool:
    return (
        row.embedding is not None
        and row.embedding_model == settings.EMBEDDING_MODEL_NAME
        and row.embedding_hash == text_hash(row.text_for_embedding)
    )


def items_with_current_vector(item_ids) -> set[int]:
    """Items whose stored vector was made by the current model from their current text."""
    return {item.pk for item in Item.objects.filter(pk__in=list(item_ids)) if _vector_is_current(item)}


def users_with_current_bio_vector(user_ids) -> set[int]:
    """People whose bio, if they wrote one, has a vector made from its current text."""
    return {
        profile.user_id
        for profile in Profile.objects.filter(user_id__in=list(user_ids))
        if not profile.text_for_embedding or _vector_is_current(profile)
    }


def users_with_fresh_interests(user_ids) -> set[int]:
    """People whose interests were built from feedback and a bio vector at least as new as their current ones."""
    built = dict(InterestProfile.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "based_on"))
    fresh = set()
    for user_id, feedback_changed_at, bio_embedded_at in Profile.objects.filter(user_id__in=list(user_ids)).values_list(
        "user_id", "feedback_changed_at", "embedded_at"
    ):
        inputs = [moment for moment in (feedback_changed_at, bio_embedded_at) if moment is not None]
        based_on = built.get(user_id)
        if not inputs or (based_on is not None and based_on >= max(inputs)):
            fresh.add(user_id)
    return fresh


def settled_counts(*, item_ids, user_ids) -> dict[str, tuple[int, int]]:
    """(holding, total) per check."""
    item_ids, user_ids = set(item_ids), set(user_ids)
    return {
        "items with a current vector": (len(items_with_current_vector(item_ids)), len(item_ids)),
        "bios with a current vector": (len(users_with_current_bio_vector(user_ids)), len(user_ids)),
        "interests newer than feedback and bio": (len(users_with_fresh_interests(user_ids)), len(user_ids)),
    }


def wait_until_settled(*, item_ids, user_ids, timeout: float, interval: float = 0.5) -> tuple[float | None, dict]:
    """Seconds until every check holds (None when timeout passed first), and the last counts."""
    started = time.monotonic()
    while True:
        counts = settled_counts(item_ids=item_ids, user_ids=user_ids)
        if all(holding == total for holding, total in counts.values()):
            return time.monotonic() - started, counts
        if time.monotonic() - started > timeout:
            return None, counts
        time.sleep(interval)


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
