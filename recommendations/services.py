"""Writes for the recommender: interest models, engagement statistics, neighbour lists and ranker fits."""

from datetime import timedelta

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Greatest
from django.utils import timezone
from pgvector import HalfVector

from content.embedding import get_encoder, to_array
from content.enqueue import enqueue_on_commit, send
from content.models import Interaction, Item, Profile
from recommendations import collaborative, fitting, neighbour_sums, signals
from recommendations.dataset import Dataset, build
from recommendations.interests import (
    Event,
    InterestModel,
    InterestVector,
    bio_phrases,
    build_interest_model,
    domain_scores,
)
from recommendations.models import CoEngagement, Interest, InterestProfile, RankerWeights
from recommendations.sources import NeighbourLists, Scope
from recommendations.sources.database import DatabaseSources, binary_cursor, halfvecs

AFFINITY_TOP_ITEMS = 5


def _bio_phrases(profile: Profile | None) -> list[tuple[str, np.ndarray]]:
    if profile is None:
        return []
    whole = to_array(profile.embedding) if profile.embedding is not None else None
    return bio_phrases(profile.bio, whole, get_encoder().encode)


def _events(user_id: int) -> list[Event]:
    now = timezone.now()
    return [
        Event(item_id, kind, value, (now - created_at).total_seconds() / 86400.0)
        for item_id, kind, value, created_at in Interaction.objects.filter(user_id=user_id).values_list(
            "item_id", "kind", "value", "created_at"
        )
    ]


def _domain_affinity(model: InterestModel) -> dict[str, float]:
    """Per domain, the mean weighted similarity of its best-matching items to the person's interests."""
    if not model.interests:
        return {}
    sources = DatabaseSources()
    interests = np.stack([interest.vector for interest in model.interests]).astype(np.float32)
    weights = np.array([interest.weight for interest in model.interests], dtype=np.float32)
    weights /= weights.max()
    affinity = {}
    for domain in sources.domain_names():
        found = sources.nearest(list(interests), k=AFFINITY_TOP_ITEMS, scope=Scope(domain=domain))
        facts = sources.facts(list(dict.fromkeys(found)))
        if len(facts) == 0:
            continue
        best = ((facts.vectors @ interests.T) * (0.6 + 0.4 * weights)).max(axis=1)
        affinity[domain] = float(np.sort(best)[-AFFINITY_TOP_ITEMS:].mean())
    return affinity


def interest_model_compute(*, user_id: int) -> tuple[InterestModel, dict[str, float]]:
    profile = Profile.objects.filter(user_id=user_id).first()
    events = _events(user_id)
    rows = Item.objects.filter(pk__in={event.item_id for event in events}, embedding__isnull=False).values_list(
        "id", "embedding", "title", "domain__slug"
    )
    vectors, titles, domains = {}, {}, {}
    for item_id, embedding, title, domain in rows:
        vectors[item_id] = to_array(embedding)
        titles[item_id] = title
        domains[item_id] = domain
    model = build_interest_model(bio_phrases=_bio_phrases(profile), events=events, vectors=vectors, titles=titles)
    scores = domain_scores(model=model, item_domains=domains, domain_affinity=_domain_affinity(model))
    return model.stored(), scores


def _inputs_changed_at(user_id: int):
    """When anything the interests are built from last changed: feedback, or the bio's vector."""
    return (
        Profile.objects.filter(user_id=user_id)
        .annotate(changed=Greatest("feedback_changed_at", "embedded_at"))
        .values_list("changed", flat=True)
        .first()
    )


@transaction.atomic
def interests_refresh(*, user_id: int) -> InterestProfile | None:
    """Rebuild the user's interests from their bio and history (idempotent)."""
    from django.contrib.auth import get_user_model

    if not get_user_model().objects.filter(pk=user_id).exists():
        return None
    # Read before the inputs: a change committed while this runs is newer than based_on, so the sweep redoes it.
    based_on = _inputs_changed_at(user_id)
    build = neighbour_sums.current_build()
    model, scores = interest_model_compute(user_id=user_id)
    profile, _ = InterestProfile.objects.select_for_update().update_or_create(
        user_id=user_id,
        defaults={
            "based_on": based_on,
            "refresh_queued_at": None,
            "domain_scores": scores,
            "negative": HalfVector(model.negative) if model.negative is not None else None,
            "positive_items": {str(item): weight for item, weight in model.positive_items.items()},
            "positive_count": len(model.positive_items),
            "negative_count": len(model.negative_items),
            "neighbour_sums": neighbour_sums.compute(model.positive_items, build=build),
        },
    )
    profile.interests.all().delete()
    Interest.objects.bulk_create(
        Interest(
            profile=profile,
            source=interest.source,
            vector=HalfVector(interest.vector),
            weight=interest.weight,
            label=interest.label,
            anchor_item_id=interest.anchor_item_id,
        )
        for interest in model.interests
    )
    return profile


def interests_refresh_later(*, user_id: int, now: bool = False) -> None:
    """Queue a rebuild after commit (or now, from a sweep); once the broker has it, the sweep leaves this person
    alone for a while."""
    from recommendations import tasks

    def queued():
        InterestProfile.objects.update_or_create(user_id=user_id, defaults={"refresh_queued_at": timezone.now()})

    (send if now else enqueue_on_commit)(tasks.refresh_user_interests, user_id, on_sent=queued)


def stale_interest_user_ids() -> list[int]:
    """People whose feedback or bio changed after their interests were built (a lost or failed rebuild), except
    those whose rebuild is queued and still pending."""
    pending_since = timezone.now() - timedelta(seconds=settings.INTERESTS_PENDING_SECONDS)
    interests = InterestProfile.objects.filter(user_id=OuterRef("user_id"))
    return list(
        Profile.objects.annotate(
            changed=Greatest("feedback_changed_at", "embedded_at"),
            based_on=Subquery(interests.values("based_on")[:1]),
            queued=Subquery(interests.values("refresh_queued_at")[:1]),
        )
        .filter(changed__isnull=False)
        .filter(Q(based_on__isnull=True) | Q(based_on__lt=F("changed")))
        .filter(Q(queued__isnull=True) | Q(queued__lt=pending_since))
        .values_list("user_id", flat=True)
    )


# The person's stored interests in one statement, vectors in binary: every uncached feed reads them, and two ORM
# queries that parse each vector from text cost twice as long.
_INTERESTS_SQL = """
SELECT p.positive_items, p.neighbour_sums, halfvec_send(p.negative),
       i.source, halfvec_send(i.vector), i.weight, i.label, i.anchor_item_id
FROM recommendations_interestprofile p LEFT JOIN recommendations_interest i ON i.profile_id = p.id
WHERE p.user_id = %(user)s
-- Stored heaviest first; equal weights keep the order they were built in.
ORDER BY i.weight DESC, i.id
"""


def load_interests(*, user_id: int) -> tuple[InterestModel, NeighbourLists | None]:
    """The stored interest model, and its summed neighbour lists where they are from the lists serving reads."""
    with binary_cursor() as cursor:
        cursor.execute(_INTERESTS_SQL, {"user": user_id}, binary=True)
        rows = cursor.fetchall()
    if not rows:
        return InterestModel(), None
    positive_items, sums, negative = rows[0][:3]
    interests = [row for row in rows if row[3] is not None]
    vectors = halfvecs([row[4] for row in interests]) if interests else []
    model = InterestModel(
        interests=[
            InterestVector(source, vector, weight, label, anchor)
            for (*_, source, _, weight, label, anchor), vector in zip(interests, vectors, strict=True)
        ],
        negative=halfvecs([negative])[0] if negative is not None else None,
        positive_items={int(item): weight for item, weight in positive_items.items()},
    )
    return model, neighbour_sums.usable(sums)


_WEIGHT_SQL, _WEIGHT_PARAMS = signals.sql_weight()
# The same numbers as collaborative.item_statistics, computed where the interactions are.
STATS_SQL = f"""
WITH latest AS (SELECT coalesce(max(created_at), now()) AS at FROM content_interaction),
weighted AS (SELECT item_id, created_at, greatest({_WEIGHT_SQL}, 0.0) AS weight FROM content_interaction),
totals AS (
    SELECT item_id,
        count(*) AS engagement,
        sum(weight * power(0.5, extract(epoch FROM (latest.at - created_at)) / 86400.0 / %(half_life)s)) AS popularity,
        coalesce(sum(weight) FILTER (
            WHERE extract(epoch FROM (latest.at - created_at)) / 86400.0 < %(window)s), 0) AS trending
    FROM weighted, latest GROUP BY item_id
),
scaled AS (
    SELECT item_id, engagement,
        coalesce(ln(1 + popularity) / nullif(ln(1 + max(popularity) OVER ()), 0), 0) AS popularity,
        coalesce(ln(1 + trending) / nullif(ln(1 + max(trending) OVER ()), 0), 0) AS trending
    FROM totals
)
INSERT INTO recommendations_itemstats (item_id, engagement, popularity, trending, updated_at)
SELECT item.id, coalesce(t.engagement, 0), coalesce(t.popularity, 0), coalesce(t.trending, 0), now()
FROM content_item item LEFT JOIN scaled t ON t.item_id = item.id
ON CONFLICT (item_id) DO UPDATE SET
    engagement = excluded.engagement, popularity = excluded.popularity,
    trending = excluded.trending, updated_at = excluded.updated_at
WHERE (recommendations_itemstats.engagement, recommendations_itemstats.popularity, recommendations_itemstats.trending)
    IS DISTINCT FROM (excluded.engagement, excluded.popularity, excluded.trending)
"""


def item_stats_refresh() -> int:
    """Engagement, popularity and trending per item (the definitions of collaborative.item_statistics)."""
    params = _WEIGHT_PARAMS | {
        "half_life": signals.POPULARITY_HALF_LIFE_DAYS,
        "window": signals.TRENDING_WINDOW_DAYS,
    }
    with connection.cursor() as cursor:
        cursor.execute(STATS_SQL, params)
        return cursor.rowcount


def _interaction_arrays() -> tuple[np.ndarray, ...]:
    rows = list(Interaction.objects.order_by("id").values_list("user_id", "item_id", "kind", "value", "created_at"))
    if not rows:
        empty = np.zeros(0)
        return empty.astype(np.int64), empty.astype(np.int64), empty.astype(object), empty, empty
    users, items, kinds, values, created = zip(*rows, strict=True)
    return (
        np.array(users, dtype=np.int64),
        np.array(items, dtype=np.int64),
        np.array(kinds, dtype=object),
        np.array([np.nan if value is None else value for value in values], dtype=np.float64),
        np.array([moment.timestamp() for moment in created], dtype=np.float64),
    )


NEIGHBOURS_BUILT_KEY = "recommendations:neighbours-built"


def neighbours_refresh_if_due() -> int | None:
    """Rebuild the neighbour lists unless a rebuild started within NEIGHBOURS_REFRESH_SECONDS (anywhere: the mark
    is in the shared cache, so two workers never rebuild at once). None when not due."""
    if not cache.add(NEIGHBOURS_BUILT_KEY, timezone.now().isoformat(), timeout=settings.NEIGHBOURS_REFRESH_SECONDS):
        return None
    try:
        return neighbours_refresh()
    except Exception:
        cache.delete(NEIGHBOURS_BUILT_KEY)  # the next pass tries again
        raise


def neighbours_refresh() -> int:
    """Recompute every neighbour list (co-engagement, cross-domain, EASE or factors) from the interactions."""
    users, items, kinds, values, _ = _interaction_arrays()
    engaged = np.unique(items)
    if len(engaged) == 0:
        CoEngagement.objects.all().delete()
        return 0
    column = np.searchsorted(engaged, items)
    person = np.unique(users, return_inverse=True)[1]
    matrix = collaborative.positive_matrix(
        users=person, items=column, weights=signals.weights(kinds, values), shape=(person.max() + 1, len(engaged))
    )
    domain_of = dict(Item.objects.filter(pk__in=engaged.tolist()).values_list("id", "domain__slug"))
    domains = np.array([domain_of.get(int(item), "") for item in engaged], dtype=object)
    lists = collaborative.neighbour_lists(matrix, domains)
    count = 0
    with transaction.atomic():
        CoEngagement.objects.all().delete()
        connection.ensure_connection()
        with (
            connection.connection.cursor() as cursor,
            cursor.copy("COPY recommendations_coengagement (kind, item_id, neighbor_id, score) FROM STDIN") as copy,
        ):
            for kind, pairs in lists.items():
                pairs = pairs.tocoo()
                for row, col, score in zip(engaged[pairs.row], engaged[pairs.col], pairs.data, strict=True):
                    copy.write_row((kind, int(row), int(col), float(score)))
                count += pairs.nnz
    neighbour_sums_refresh()
    return count


def neighbour_sums_refresh(batch: int = 500) -> int:
    """Re-sum the stored histories of people active lately over the rebuilt lists (their interests stay as they
    are). Everyone else's feeds sum live, as correct and slower, until their interests are next rebuilt: re-summing
    costs 3-5 ms a person, too much to repeat hourly for every person a large site ever had."""
    build = neighbour_sums.current_build()
    since = timezone.now() - timedelta(days=settings.NEIGHBOUR_SUMS_ACTIVE_DAYS)
    profiles = InterestProfile.objects.filter(positive_count__gt=0, computed_at__gte=since)
    profiles = profiles.only("id", "positive_items").order_by("id")
    done = 0
    for start in range(0, profiles.count(), batch):
        chunk = list(profiles[start : start + batch])
        for profile in chunk:
            anchors = {int(item): weight for item, weight in profile.positive_items.items()}
            profile.neighbour_sums = neighbour_sums.compute(anchors, build=build)
        # bulk_update leaves computed_at alone: the person's cached feeds stay until their own inputs change.
        InterestProfile.objects.bulk_update(chunk, ["neighbour_sums"])
        done += len(chunk)
    return done


# --- The site's own data, for fitting ----------------------------------------------------------


def platform_dataset() -> Dataset:
    """This site's catalog, interactions and bios as a Dataset, with the stored vectors and bio phrases."""
    items = list(
        Item.objects.filter(embedding__isnull=False)
        .order_by("pk")
        .values_list("pk", "domain__slug", "title", "is_active", "published_at", "created_at", "embedding")
    )
    item_rows = [
        {
            "id": pk,
            "domain": domain,
            "title": title,
            "active": active,
            "published": (published or created).timestamp(),
        }
        for pk, domain, title, active, published, created, _ in items
    ]
    known = {pk for pk, *_ in items}
    users, item_ids, kinds, values, stamps = _interaction_arrays()
    keep = np.isin(item_ids, list(known))
    profiles = {
        user_id: (bio, embedding)
        for user_id, bio, embedding in Profile.objects.exclude(bio="")
        .filter(embedding__isnull=False)
        .values_list("user_id", "bio", "embedding")
    }
    dataset = build(
        name="platform",
        item_rows=item_rows,
        interaction_rows=list(
            zip(
                users[keep],
                item_ids[keep],
                kinds[keep],
                [None if np.isnan(v) else v for v in values[keep]],
                stamps[keep],
                strict=True,
            )
        ),
        bios={user: bio for user, (bio, _) in profiles.items()},
    )
    dataset.vectors = (
        np.stack([to_array(embedding) for *_, embedding in items]) if items else np.zeros((0, 0), dtype=np.float32)
    )
    position = {key: index for index, key in enumerate(dataset.user_keys)}
    stored_phrases: dict[int, list] = {}
    bio_interests = Interest.objects.filter(source=Interest.Source.BIO).order_by("id")
    for user_id, label, vector in bio_interests.values_list("profile__user_id", "label", "vector"):
        stored_phrases.setdefault(user_id, []).append((label, to_array(vector)))
    for user_id, (_, embedding) in profiles.items():
        dataset.bio_vectors[position[str(user_id)]] = to_array(embedding)
        dataset.bio_phrases[position[str(user_id)]] = stored_phrases.get(user_id, [])
    return dataset


def _trained_on(version: int):
    return RankerWeights.objects.filter(version=version).values_list("trained_on", flat=True).first()


def ranker_fit(*, min_users: int = 5, store: bool = True, seed: int = 0) -> dict:
    """Fit per-situation weights on the site's own behaviour; store a new version where it beats the current one."""
    from recommendations.selectors import RANKER_CACHE_KEY, active_ranker

    dataset = platform_dataset()
    if dataset.n_items == 0 or len(dataset.users) == 0:
        raise ValueError("No embedded items or interactions to fit on yet.")
    current = active_ranker()
    trained_on = {
        "users": dataset.n_users,
        "interactions": int(len(dataset.users)),
        "items": dataset.n_items,
        "latest": float(dataset.timestamps.max()),
    }
    if store and current.version is not None and trained_on == _trained_on(current.version):
        # A search started from its own result can always find another small step: nothing new was learned.
        raise ValueError(f"The serving weights (v{current.version}) were fitted on this same data.")
    result = fitting.fit_on(dataset, current, seed=seed)
    users = sum(result.report["_tasks"].values())
    if users < min_users:
        raise ValueError(f"Only {users} users have held-out activity; need at least {min_users}.")
    outcome = {
        "weights": result.ranker.weights,
        "scales": result.ranker.scales,
        "metrics": result.report,
        "trained_on": trained_on,
    }
    if store and result.changed:
        version = (RankerWeights.objects.aggregate(latest=Max("version"))["latest"] or 0) + 1
        RankerWeights.objects.create(
            version=version,
            weights=result.ranker.weights,
            scales=result.ranker.scales,
            metrics=result.report,
            trained_on=trained_on,
        )
        cache.delete(RANKER_CACHE_KEY)
        outcome["version"] = version
    outcome["based_on"] = current.version
    return outcome
