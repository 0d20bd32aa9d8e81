"""What must hold once the system has settled: vectors match the text they were made from, interests are at least
as new as the feedback and bio they are built from. Used by the ledger command and the fault drills."""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max

from content.embedding import text_hash
from content.models import Interaction, Item, Profile
from ops.load import Account, percentiles
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


def users_with_interests_older_than_an_item_vector(user_ids) -> set[int]:
    """People whose interests were built before the vector of an item they reacted to was stored (the interests
    do not use that item yet). Not a staleness the sweeps look for; reported for information."""
    built = dict(InterestProfile.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "based_on"))
    latest = (
        Interaction.objects.filter(user_id__in=list(user_ids))
        .values("user_id")
        .annotate(vector_at=Max("item__embedded_at"))
        .values_list("user_id", "vector_at")
    )
    return {
        user_id
        for user_id, vector_at in latest
        if vector_at is not None and (built.get(user_id) is None or built[user_id] < vector_at)
    }


@dataclass
class Row:
    name: str
    value: str
    holds: bool | None = None  # None: information, not a check


def _ratio(holding: int, total: int, name: str) -> Row:
    return Row(name, f"{holding} / {total}", holding == total)


def ledger_rows(*, people: dict[int, Account], editor: Account, client_id_prefix: str) -> list[Row]:
    """What was acknowledged against what is stored, and whether everything downstream caught up."""
    user_ids = list(people)
    acknowledged = {(user_id, client_id) for user_id, account in people.items() for client_id in account.acknowledged}
    ours = Interaction.objects.filter(user_id__in=user_ids, client_id__startswith=client_id_prefix)
    stored = set(ours.values_list("user_id", "client_id"))
    by_client_id = ours.values("user_id", "client_id").annotate(rows=Count("id")).filter(rows__gt=1).count()
    state_rows = (
        Interaction.objects.filter(user_id__in=user_ids, kind__in=Interaction.STATE_KINDS)
        .values("user_id", "item_id", "kind")
        .annotate(rows=Count("id"))
        .filter(rows__gt=1)
        .count()
    )
    accounts = [*people.values(), editor]
    resent = sum(account.resent for account in people.values())
    resent_duplicate = sum(account.resent_duplicate for account in people.values())
    unacknowledged = sum(len(account.unacknowledged) for account in accounts)
    item_ids = list(Item.objects.filter(external_id__in=editor.acknowledged).values_list("pk", flat=True))
    latency = percentiles([took for account in accounts for took in account.latencies])
    behind = users_with_interests_older_than_an_item_vector(user_ids)
    return [
        Row("interactions acknowledged / stored", f"{len(acknowledged)} / {len(stored)}", acknowledged == stored),
        Row("  acknowledged but not stored", str(len(acknowledged - stored)), not acknowledged - stored),
        Row("  stored but never acknowledged", str(len(stored - acknowledged)), not stored - acknowledged),
        Row("duplicate rows by client_id", str(by_client_id), by_client_id == 0),
        Row("duplicate state rows (person, item, like/save/rating)", str(state_rows), state_rows == 0),
        _ratio(resent_duplicate, resent, "entries sent twice on purpose, answered duplicate"),
        Row("writes never acknowledged (after retries)", str(unacknowledged), unacknowledged == 0),
        _ratio(len(items_with_current_vector(item_ids)), len(editor.acknowledged), "items whose vector matches their text / upserted"),
        _ratio(len(users_with_current_bio_vector(user_ids)), len(user_ids), "bios with a current vector / people"),
        _ratio(len(users_with_fresh_interests(user_ids)), len(user_ids), "interests newer than feedback and bio / people touched"),
        Row("requests", str(sum(account.requests for account in accounts))),
        Row("latency p50 / p95 / max", f"{latency['p50']:.0f} / {latency['p95']:.0f} / {latency['max']:.0f} ms"),
        Row("people whose interests predate a vector of an item they reacted to", str(len(behind))),
    ]  # fmt: skip
