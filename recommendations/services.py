"""Writes for the recommender: interest models, engagement statistics, co-engagement neighbours."""

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from pgvector import HalfVector
from scipy import sparse

from content.embedding import get_encoder, to_array
from content.models import Interaction, Item, Profile
from recommendations.catalog import get_catalog
from recommendations.collaborative import PLATFORM_SHRINK, item_neighbors
from recommendations.interests import (
    SIGNAL_WEIGHTS,
    Event,
    InterestModel,
    InterestVector,
    build_interest_model,
    domain_scores,
    split_bio,
)
from recommendations.models import CoEngagement, Interest, InterestProfile

MAX_STORED_POSITIVES = 300
NEIGHBOURS_PER_ITEM = 30
AFFINITY_TOP_ITEMS = 5


def _bio_phrases(profile: Profile | None) -> list[tuple[str, np.ndarray]]:
    if profile is None or not profile.bio.strip():
        return []
    phrases = split_bio(profile.bio)
    if len(phrases) > 1:
        return list(zip(phrases, get_encoder().encode(phrases), strict=True))
    vector = to_array(profile.embedding) if profile.embedding is not None else get_encoder().encode_one(profile.bio)
    return [(phrases[0] if phrases else profile.bio.strip(), vector)]


def _events(user_id: int) -> list[Event]:
    now = timezone.now()
    return [
        Event(item_id, kind, value, (now - created_at).total_seconds() / 86400.0)
        for item_id, kind, value, created_at in Interaction.objects.filter(user_id=user_id).values_list(
            "item_id", "kind", "value", "created_at"
        )
    ]


def _domain_affinity(model: InterestModel) -> dict[str, float]:
    """Mean similarity of each domain's best-matching items to the user's weighted interests."""
    catalog = get_catalog()
    if not model.interests or len(catalog.item_ids) == 0:
        return {}
    interests = np.stack([interest.vector for interest in model.interests]).astype(np.float32)
    weights = np.array([interest.weight for interest in model.interests], dtype=np.float32)
    weights /= weights.max()
    similarity = (catalog.vectors.astype(np.float32) @ interests.T) * (0.6 + 0.4 * weights)
    best = similarity.max(axis=1)
    affinity = {}
    for domain in set(catalog.domains[catalog.active]):
        values = best[(catalog.domains == domain) & catalog.active]
        top = np.sort(values)[-AFFINITY_TOP_ITEMS:]
        affinity[str(domain)] = float(top.mean())
    return affinity


def interest_model_compute(*, user_id: int) -> tuple[InterestModel, dict[str, float]]:
    profile = Profile.objects.filter(user_id=user_id).first()
    events = _events(user_id)
    item_ids = {event.item_id for event in events}
    rows = Item.objects.filter(pk__in=item_ids, embedding__isnull=False).values_list(
        "id", "embedding", "title", "domain__slug"
    )
    vectors, titles, domains = {}, {}, {}
    for item_id, embedding, title, domain in rows:
        vectors[item_id] = to_array(embedding)
        titles[item_id] = title
        domains[item_id] = domain
    model = build_interest_model(bio_phrases=_bio_phrases(profile), events=events, vectors=vectors, titles=titles)
    scores = domain_scores(model=model, item_domains=domains, domain_affinity=_domain_affinity(model))
    return model, scores


@transaction.atomic
def interests_refresh(*, user_id: int) -> InterestProfile | None:
    """Rebuild the user's interests from their bio and history (idempotent)."""
    from django.contrib.auth import get_user_model

    if not get_user_model().objects.filter(pk=user_id).exists():
        return None
    model, scores = interest_model_compute(user_id=user_id)
    strongest = sorted(model.positive_items, key=model.positive_items.get, reverse=True)[:MAX_STORED_POSITIVES]
    profile, _ = InterestProfile.objects.select_for_update().update_or_create(
        user_id=user_id,
        defaults={
            "domain_scores": scores,
            "negative": HalfVector(model.negative) if model.negative is not None else None,
            "positive_items": {str(item): round(model.positive_items[item], 4) for item in strongest},
            "positive_count": len(model.positive_items),
            "negative_count": len(model.negative_items),
        },
    )
    profile.interests.all().delete()
    Interest.objects.bulk_create(
        Interest(
            profile=profile,
            source=interest.source,
            vector=HalfVector(interest.vector),
            weight=interest.weight,
            label=interest.label[:300],
            anchor_item_id=interest.anchor_item_id,
        )
        for interest in model.interests
    )
    return profile


def load_interest_model(*, user_id: int) -> InterestModel:
    """The stored interest model, as ranking needs it."""
    profile = InterestProfile.objects.filter(user_id=user_id).prefetch_related("interests").first()
    if profile is None:
        return InterestModel()
    return InterestModel(
        interests=[
            InterestVector(i.source, to_array(i.vector), i.weight, i.label, i.anchor_item_id)
            for i in profile.interests.all()
        ],
        negative=to_array(profile.negative) if profile.negative is not None else None,
        positive_items={int(item): weight for item, weight in profile.positive_items.items()},
    )


STATS_SQL = """
WITH latest AS (SELECT coalesce(max(created_at), now()) AS at FROM content_interaction),
weighted AS (
    SELECT item_id, created_at,
        CASE kind
            WHEN 'save' THEN %(save)s WHEN 'like' THEN %(like)s WHEN 'click' THEN %(click)s WHEN 'view' THEN %(view)s
            WHEN 'rating' THEN CASE WHEN value >= 4 THEN 1.0 ELSE 0.0 END
            ELSE 0.0 END AS weight
    FROM content_interaction
),
totals AS (
    SELECT item_id,
        count(*) AS engagement,
        sum(weight * power(0.5, extract(epoch FROM (latest.at - created_at)) / 86400.0 / %(half_life)s)) AS popularity,
        coalesce(sum(weight) FILTER (WHERE created_at > latest.at - interval '7 days'), 0) AS trending
    FROM weighted, latest GROUP BY item_id
)
INSERT INTO recommendations_itemstats (item_id, engagement, popularity, trending, updated_at)
SELECT item.id, coalesce(t.engagement, 0), coalesce(t.popularity, 0), coalesce(t.trending, 0), now()
FROM content_item item LEFT JOIN totals t ON t.item_id = item.id
ON CONFLICT (item_id) DO UPDATE SET
    engagement = excluded.engagement, popularity = excluded.popularity,
    trending = excluded.trending, updated_at = excluded.updated_at
WHERE (recommendations_itemstats.engagement, recommendations_itemstats.popularity, recommendations_itemstats.trending)
    IS DISTINCT FROM (excluded.engagement, excluded.popularity, excluded.trending)
"""


def item_stats_refresh(*, half_life_days: float = 30.0) -> int:
    """Popularity (decayed from the platform's latest activity, so old logs still count) and 7-day trending."""
    params = {name: SIGNAL_WEIGHTS[name] for name in ("save", "like", "click", "view")} | {"half_life": half_life_days}
    with connection.cursor() as cursor:
        cursor.execute(STATS_SQL, params)
        return cursor.rowcount


def positive_matrix() -> tuple[sparse.csr_matrix, np.ndarray]:
    """Users x items matrix of positive engagement; returns it and the item id of each column."""
    rows = list(
        Interaction.objects.exclude(kind__in=["dislike", "hide"])
        .exclude(kind="rating", value__lt=4)
        .values_list("user_id", "item_id", "kind")
    )
    if not rows:
        return sparse.csr_matrix((0, 0)), np.zeros(0, dtype=np.int64)
    users = {user: index for index, user in enumerate(sorted({row[0] for row in rows}))}
    item_ids = np.array(sorted({row[1] for row in rows}), dtype=np.int64)
    columns = {item: index for index, item in enumerate(item_ids)}
    weights = [SIGNAL_WEIGHTS.get(kind, 1.0) for _, _, kind in rows]
    matrix = sparse.csr_matrix(
        (weights, ([users[row[0]] for row in rows], [columns[row[1]] for row in rows])),
        shape=(len(users), len(item_ids)),
    )
    return matrix, item_ids


@transaction.atomic
def coengagement_refresh() -> int:
    matrix, item_ids = positive_matrix()
    pairs = item_neighbors(matrix, k=NEIGHBOURS_PER_ITEM, shrink=PLATFORM_SHRINK) if len(item_ids) else []
    CoEngagement.objects.all().delete()
    CoEngagement.objects.bulk_create(
        (CoEngagement(item_id=int(item_ids[a]), neighbor_id=int(item_ids[b]), score=score) for a, b, score in pairs),
        batch_size=5000,
    )
    return len(pairs)


def ranker_fit(*, min_users: int = 5, store: bool = True) -> dict:
    """Fit blend weights on a time-held-out split of the platform's interactions; optionally store a new version."""
    from django.core.cache import cache
    from django.db.models import Max

    from recommendations.evaluation import data
    from recommendations.evaluation.recommenders import Platform
    from recommendations.evaluation.splits import Split
    from recommendations.models import RankerWeights

    dataset = data.from_platform()
    if dataset.n_items == 0 or len(dataset.users) == 0:
        raise ValueError("No embedded items or interactions to fit on yet.")
    recommender = Platform(bio_vectors=dataset.bio_vectors)
    recommender.fit(Split("all", dataset, {}), dataset.vectors)
    report = recommender.fit_report
    if report.get("users", 0) < min_users:
        raise ValueError(f"Only {report.get('users', 0)} users have held-out activity; need at least {min_users}.")
    trained_on = {"users": report["users"], "interactions": int(len(dataset.users)), "items": dataset.n_items}
    result = {"weights": recommender.weights, "metrics": report, "trained_on": trained_on}
    if store:
        version = (RankerWeights.objects.aggregate(latest=Max("version"))["latest"] or 0) + 1
        RankerWeights.objects.create(
            version=version, weights=recommender.weights, metrics=report, trained_on=trained_on
        )
        cache.delete("ranker-weights")
        result["version"] = version
    return result
