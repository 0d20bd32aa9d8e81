"""Drill: a worker is SIGKILLed in the middle of a batch of embeddings, and again in the middle of rebuilding
interests. No acknowledgement is sent for the task it held (acks_late), the broker keeps that message unacknowledged
for the visibility timeout (35 minutes), and the sweeps must find the lost work by themselves."""

import random
import time

import pytest

from content import enqueue, services
from content.models import Item
from ops import ledger
from tests import factories
from tests.drills.conftest import count_in_log, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.drill]

# Three embedding tasks (64 + 64 + 12 items); a 64-item batch of texts this long takes seconds to encode here.
ITEMS = 140
USERS = 12
WORDS = [
    "ocean",
    "whale",
    "coral",
    "reef",
    "telescope",
    "galaxy",
    "orbit",
    "jazz",
    "novel",
    "empire",
    "river",
    "glacier",
]
# From the start of the last worker to every vector stored and every person's interests rebuilt: loading the model,
# the pending window (3 s) and a sweep (1 s) for the lost tasks, then the backlog itself.
RECOVERY_SECONDS = 90
EMBED_RECEIVED = r"Task content\.tasks\.embed_items\[[^\]]+\] received"
REFRESH_SUCCEEDED = r"Task recommendations\.tasks\.refresh_user_interests\[[^\]]+\] succeeded"


def _text(number: int) -> str:
    rng = random.Random(number)
    return " ".join(rng.choice(WORDS) for _ in range(160))


def _seed_backlog(monkeypatch) -> tuple[list[int], list[int]]:
    """Items, bios and feedback written through the services while every send is lost: all work is left to find."""
    monkeypatch.setattr(enqueue, "_send", lambda task, args, on_sent: None)
    domain = factories.DomainFactory(slug="books", name="Books")
    rows = [
        {"external_id": f"drill-{n}", "domain": domain, "title": f"Field notes {n}", "description": _text(n)}
        for n in range(ITEMS)
    ]
    items = [item for item, _ in services.items_upsert(rows=rows)]
    users = factories.UserFactory.create_batch(USERS)
    for number, user in enumerate(users):
        services.profile_update(user=user, bio=f"I read about {WORDS[number]} and {WORDS[-number - 1]}.")
        liked = items[number * 5 : number * 5 + 5]
        services.interactions_record_batch(user=user, entries=[{"item": item, "kind": "like"} for item in liked])
    monkeypatch.undo()
    return [item.pk for item in items], [user.pk for user in users]


def test_work_lost_with_killed_workers_is_done_once_a_worker_is_back(topology, monkeypatch):
    item_ids, user_ids = _seed_backlog(monkeypatch)
    site = topology()
    site.start_redis()
    site.start_beat()

    worker = site.start_worker()
    wait_for(lambda: count_in_log(worker, EMBED_RECEIVED) >= 2, timeout=90, what="a second embedding batch started")
    time.sleep(1)  # well inside encoding 64 long texts
    worker.kill()
    embedded = Item.objects.filter(pk__in=item_ids, embedded_at__isnull=False).count()
    print(f"worker killed during an embedding batch: {embedded}/{ITEMS} items embedded")
    assert 0 < embedded < ITEMS, "the kill should land with some batches done and others not"

    worker = site.start_worker()
    wait_for(lambda: count_in_log(worker, REFRESH_SUCCEEDED) >= 3, timeout=90, what="interest rebuilds under way")
    worker.kill()
    fresh = ledger.users_with_fresh_interests(user_ids)
    print(f"worker killed while rebuilding interests: {len(fresh)}/{USERS} people's interests current")
    assert len(fresh) < USERS, "the kill should land with interest rebuilds still to do"

    site.start_worker()
    took, counts = ledger.wait_until_settled(item_ids=item_ids, user_ids=user_ids, timeout=RECOVERY_SECONDS)
    print(f"recovered {took and round(took, 1)}s after the third worker started (bound {RECOVERY_SECONDS}s): {counts}")
    assert took is not None, f"not settled within {RECOVERY_SECONDS}s: {counts}"
