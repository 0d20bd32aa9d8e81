"""Reads for the website and the API: feeds, similar items, a user's interests.

Each feed reads the person's state and hands it to the ranking pipeline with the database sources.
"""

import functools
import hashlib
import time

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from content.embedding import get_encoder, to_array
from content.models import Domain, Interaction, Item, Profile
from recommendations import neighbour_sums, pipeline, signals
from recommendations.interests import InterestModel, InterestVector
from recommendations.models import InterestProfile, RankerWeights
from recommendations.ranking import Ranker
from recommendations.sources import NeighbourLists, Scope
from recommendations.sources.database import DatabaseSources, binary_cursor, halfvecs, items_version
from recommendations.timing import stage
from recommendations.types import MAX_QUERY_LENGTH, Feed, FeedEntry, FeedRequestError

FEED_CACHE_SECONDS = settings.FEED_CACHE_SECONDS
MAX_PAGE_SIZE = 100
RANKER_CACHE_KEY = "ranker-weights"

sources = DatabaseSources()


def active_ranker() -> Ranker:
    """The newest fitted per-situation weights, or the priors before any fit."""
    stored = cache.get(RANKER_CACHE_KEY)
    if stored is None:
        row = RankerWeights.objects.filter(is_active=True).order_by("-version").first()
        stored = (row.weights, row.scales, row.version) if row else (None, None, None)
        cache.set(RANKER_CACHE_KEY, stored, 60)
    weights, scales, version = stored
    return Ranker(weights, version, scales or Ranker().scales) if weights else Ranker()


def _validate(*, query: str, domain: str | None, explore: float | None, offset: int, limit: int) -> str:
    query = (query or "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        raise FeedRequestError(f"Keep the request under {MAX_QUERY_LENGTH} characters.", "q")
    if domain and not Domain.objects.filter(slug=domain).exists():
        raise FeedRequestError(f"Unknown domain '{domain}'.", "domain")
    if explore is not None and not (0.0 <= explore <= 1.0):
        raise FeedRequestError("explore must be between 0 and 1.", "explore")
    if offset < 0:
        raise FeedRequestError("offset must not be negative.", "offset")
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise FeedRequestError(f"limit must be between 1 and {MAX_PAGE_SIZE}.", "limit")
    return query


def _is_person(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


@functools.lru_cache(maxsize=2048)
def _query_vector(query: str) -> np.ndarray:
    """People repeat requests ("something calm", "jazz"): embed each text once per process."""
    return get_encoder().encode_one(query)


def _encode_query(query: str) -> np.ndarray | None:
    return _query_vector(query) if query else None


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


def person_state(user, *, preferred: list[str], exclude_seen: bool = True) -> pipeline.Person:
    """The person as the pipeline sees them. Their saved explore setting and preferred domains come with
    person_stamp, which every request reads first."""
    profile = Profile.objects.filter(user=user).only("embedding").first()
    interactions = list(Interaction.objects.filter(user=user).values_list("item_id", "kind", "value"))
    model, neighbours = load_interests(user_id=user.pk)
    return pipeline.Person(
        model=model,
        neighbours=neighbours,
        user=user.pk,
        bio_vector=to_array(profile.embedding) if profile and profile.embedding is not None else None,
        excluded=frozenset(item for item, kind, _ in interactions if exclude_seen or kind in signals.DISMISSING_KINDS),
        feedback=signals.strongest_positive(interactions),
        preferred_domains=frozenset(preferred),
    )


# Everything a person's feed depends on, in one statement: the feed cache is read on every request, and this
# replaces reading the whole history (and the ORM building three subqueries) on a hit.
_STAMP_SQL = """
SELECT p.explore, p.updated_at, p.feedback_changed_at, p.embedded_at,
    (SELECT computed_at FROM recommendations_interestprofile WHERE user_id = u.id),
    (SELECT count(*) FROM content_interaction WHERE user_id = u.id),
    (SELECT array_agg(d.slug ORDER BY d.slug) FROM content_profile_preferred_domains pd
        JOIN content_domain d ON d.id = pd.domain_id WHERE pd.profile_id = p.id)
FROM (SELECT %s::bigint AS id) u LEFT JOIN content_profile p ON p.user_id = u.id
"""


def person_stamp(user_id: int) -> tuple:
    """What a person's feed depends on: their settings and bio (the profile's stamps), their feedback (every change
    stamps the profile in content.services.feedback_touched; the interaction count also catches writes that bypass
    it), their rebuilt interests and their preferred domains. The first value is the saved explore setting."""
    with connection.cursor() as cursor:
        cursor.execute(_STAMP_SQL, [user_id])
        row = cursor.fetchone()
    explore = pipeline.DEFAULT_EXPLORE if row[0] is None else row[0]
    return (explore, *row[1:])


def feed_for_user(
    *,
    user=None,
    query: str = "",
    domain: str | None = None,
    explore: float | None = None,
    offset: int = 0,
    limit: int = 20,
    exclude_seen: bool = True,
) -> Feed:
    """A personal, diversity-aware feed with a reason on every entry.

    A feed already ranked for this exact state (the person's stamp, the request, the catalog and the weights) is
    served from the shared cache without reading the person's history; only a miss builds the person and ranks.
    """
    query = _validate(query=query, domain=domain, explore=explore, offset=offset, limit=limit)
    if not _is_person(user):
        return popular_and_fresh(domain=domain, offset=offset, limit=limit, query=query, explore=explore)
    with stage("state"):
        stamp = person_stamp(user.pk)
        explore = stamp[0] if explore is None else explore
        ranker = active_ranker()
        key = _cache_key(user.pk, stamp, query, domain, explore, exclude_seen, ranker.version)
        ranked = cache.get(key)
    cached = ranked is not None
    if ranked is None:
        with stage("state"):
            person = person_state(user, preferred=stamp[-1] or [], exclude_seen=exclude_seen)
        with stage("query_embedding"):
            query_vector = _encode_query(query)
        request = pipeline.Request(
            now=time.time(), explore=explore, query=query, query_vector=query_vector, scope=Scope(domain=domain)
        )
        ranked = pipeline.feed(person, request, sources, ranker)
        cache.set(key, ranked, FEED_CACHE_SECONDS)
    with stage("page"):
        return _page(ranked, offset, limit, cached=cached, key=key)


def _cache_key(user_id, stamp, query, domain, explore, exclude_seen, ranker_version) -> str:
    # Stable across processes (a shared cache must agree). The person's stamp changes with their feedback, bio,
    # settings and rebuilt interests; the items' version when items are added, edited or embedded.
    state = f"{user_id}|{stamp!r}|{query}|{domain}|{explore:.2f}|{exclude_seen}|{items_version()}|{ranker_version}"
    return "feed:" + hashlib.sha256(state.encode()).hexdigest()


def _page(ranked: list[pipeline.Ranked], offset: int, limit: int, *, cached: bool = False, key: str = "") -> Feed:
    window = ranked[offset : offset + limit]
    next_offset = offset + limit if offset + limit < len(ranked) else None
    return Feed(
        window=window,
        offset=offset,
        next_offset=next_offset,
        total=len(ranked),
        load=feed_entries,
        cached=cached,
        key=f"{key}:{offset}:{limit}" if key else "",
    )


def feed_entries(ranked: list[pipeline.Ranked], *, only_active: bool = True) -> list[FeedEntry]:
    """The ranked items with their domain, in order; items gone (or switched off) since the ranking are left out."""
    items = Item.objects.select_related("domain").defer("embedding").in_bulk([entry.item_id for entry in ranked])
    return [
        FeedEntry(
            item=items[entry.item_id],
            score=entry.score,
            reason=entry.reason,
            reason_kind=entry.reason_kind,
            signals=entry.signals,
        )
        for entry in ranked
        if entry.item_id in items and (items[entry.item_id].is_active or not only_active)
    ]


def popular_and_fresh(
    *, domain: str | None = None, offset: int = 0, limit: int = 20, query: str = "", explore: float | None = None
) -> Feed:
    """For visitors with no account: popular, trending and new items, spread across domains."""
    query = _validate(query=query, domain=domain, explore=explore, offset=offset, limit=limit)
    explore = pipeline.ANONYMOUS_EXPLORE if explore is None else explore
    state = f"{domain}|{query}|{explore:.2f}|{items_version()}|{active_ranker().version}"
    key = f"feed:anonymous:{hashlib.sha256(state.encode()).hexdigest()}"
    ranked = cache.get(key)
    cached = ranked is not None
    if ranked is None:
        request = pipeline.Request(
            now=time.time(),
            explore=explore,
            query=query,
            query_vector=_encode_query(query),
            scope=Scope(domain=domain),
        )
        ranked = pipeline.feed(pipeline.Person(), request, sources, active_ranker())
        cache.set(key, ranked, FEED_CACHE_SECONDS)
    return _page(ranked, offset, limit, cached=cached, key=key)


def similar_items(*, item: Item, user=None, limit: int = 10) -> list[FeedEntry]:
    """Semantically close and co-engaged items, diversified, other domains included."""
    excluded = frozenset()
    if _is_person(user):
        excluded = frozenset(
            Interaction.objects.filter(user=user, kind__in=signals.DISMISSING_KINDS).values_list("item_id", flat=True)
        )
    ranked = pipeline.similar(
        item.pk, excluded=excluded, sources=sources, ranker=active_ranker(), now=time.time(), limit=limit
    )
    return feed_entries(ranked, only_active=False)


def interest_summary(*, user) -> dict:
    profile = InterestProfile.objects.filter(user=user).prefetch_related("interests").first()
    if profile is None:
        return {"domains": {}, "interests": [], "computed_at": None}
    return {
        "domains": dict(sorted(profile.domain_scores.items(), key=lambda pair: -pair[1])),
        "interests": [
            {"label": interest.label, "weight": round(interest.weight, 3), "source": interest.source}
            for interest in profile.interests.all()
        ],
        "computed_at": profile.computed_at,
    }
