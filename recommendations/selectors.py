"""Reads for the website and the API: feeds, similar items, a user's interests."""

import functools
import hashlib
import time

import numpy as np
from django.core.cache import cache

from content.embedding import get_encoder
from content.models import Domain, Interaction, Item, Profile
from recommendations import candidates as sources
from recommendations import ranking
from recommendations.catalog import Catalog, get_catalog
from recommendations.collaborative import collab_feature
from recommendations.explain import explain
from recommendations.interests import InterestModel
from recommendations.models import InterestProfile, RankerWeights
from recommendations.services import load_interest_model
from recommendations.timing import stage
from recommendations.types import MAX_QUERY_LENGTH, Feed, FeedEntry, FeedRequestError

FEED_DEPTH = 100
FEED_CACHE_SECONDS = 120
MAX_PAGE_SIZE = 100
# Visitors we know nothing about see a broad mix by default.
ANONYMOUS_EXPLORE = 0.5


def active_weights() -> tuple[dict[str, float], int | None]:
    """The newest fitted blend weights, or the defaults before any fit."""
    fitted = cache.get("ranker-weights")
    if fitted is None:
        row = RankerWeights.objects.filter(is_active=True).order_by("-version").first()
        fitted = (row.weights, row.version) if row else (ranking.DEFAULT_WEIGHTS, None)
        cache.set("ranker-weights", fitted, 60)
    return fitted


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
    """A personal, diversity-aware feed with a reason on every entry."""
    query = _validate(query=query, domain=domain, explore=explore, offset=offset, limit=limit)
    if not _is_person(user):
        return popular_and_fresh(domain=domain, offset=offset, limit=limit, query=query, explore=explore)
    with stage("state"):
        profile = Profile.objects.filter(user=user).only("explore", "bio").first()
        explore = profile.explore if explore is None and profile else (0.3 if explore is None else explore)
        interactions = list(Interaction.objects.filter(user=user).values_list("item_id", "kind", "value"))
        preferred = frozenset(profile.preferred_domains.values_list("slug", flat=True)) if profile else frozenset()
        key = _cache_key(user.pk, f"{query}|{sorted(preferred)}", domain, explore, exclude_seen, interactions)
        ranked = cache.get(key)
    if ranked is None:
        ranked = _rank_for_user(
            user,
            query=query,
            domain=domain,
            explore=explore,
            exclude_seen=exclude_seen,
            interactions=interactions,
            preferred_domains=preferred,
        )
        cache.set(key, ranked, FEED_CACHE_SECONDS)
    with stage("page"):
        return _page(ranked, offset, limit)


def _cache_key(user_id, query, domain, explore, exclude_seen, interactions) -> str:
    computed = InterestProfile.objects.filter(user_id=user_id).values_list("computed_at", flat=True).first()
    # Stable across processes (a shared cache must agree). The newest feedback and the rebuilt interests change it,
    # and so does the catalog's watermark when items are added, edited or embedded.
    catalog_state = get_catalog().watermark
    state = (
        f"{user_id}|{query}|{domain}|{explore:.2f}|{exclude_seen}|{computed}|{len(interactions)}|"
        f"{interactions[:50]!r}|{catalog_state}"
    )
    return "feed:" + hashlib.sha256(state.encode()).hexdigest()


def _page(ranked: list[tuple], offset: int, limit: int) -> Feed:
    window = ranked[offset : offset + limit]
    items = Item.objects.select_related("domain").defer("embedding").in_bulk([entry[0] for entry in window])
    entries = [
        FeedEntry(item=items[item_id], score=score, reason=reason, reason_kind=kind, signals=signals)
        for item_id, score, reason, kind, signals in window
        if item_id in items and items[item_id].is_active
    ]
    next_offset = offset + limit if offset + limit < len(ranked) else None
    return Feed(entries=entries, offset=offset, next_offset=next_offset, total=len(ranked))


def _excluded(interactions: list[tuple[int, str, float | None]], exclude_seen: bool) -> set[int]:
    always = {Interaction.Kind.HIDE, Interaction.Kind.DISLIKE}
    return {item for item, kind, _ in interactions if exclude_seen or kind in always}


# What a person did with an item, strongest first: the reason names the strongest.
FEEDBACK_PRIORITY = ("like", "save", "rating", "click", "view")


def _strongest_feedback(interactions) -> dict[int, tuple[str, float | None]]:
    feedback: dict[int, tuple[str, float | None]] = {}
    for item, kind, value in interactions:
        if kind not in FEEDBACK_PRIORITY or (kind == "rating" and (value or 0) < 4):
            continue
        current = feedback.get(item)
        if current is None or FEEDBACK_PRIORITY.index(kind) < FEEDBACK_PRIORITY.index(current[0]):
            feedback[item] = (kind, value)
    return feedback


def _encode_query(query: str) -> np.ndarray | None:
    return _query_vector(query) if query else None


@functools.lru_cache(maxsize=2048)
def _query_vector(query: str) -> np.ndarray:
    """People repeat requests ("something calm", "jazz"): embed each text once per process."""
    return get_encoder().encode_one(query)


def _rank_for_user(user, *, query, domain, explore, exclude_seen, interactions, preferred_domains) -> list[tuple]:
    with stage("catalog"):
        catalog = get_catalog()
    with stage("interests"):
        model = load_interest_model(user_id=user.pk)
        liked_rows = catalog.rows(_strongest(model))
        model.positive_vectors = catalog.vectors_for(liked_rows) if len(liked_rows) else None
    with stage("query_embedding"):
        query_vector = _encode_query(query)
    excluded = _excluded(interactions, exclude_seen)
    now = time.time()
    pool: dict[int, str] = {}

    def add(ids, source):
        for item_id in ids:
            if item_id not in excluded:
                pool.setdefault(item_id, source)

    interest_vectors = [interest.vector for interest in model.interests[:5]]
    with stage("candidates_ann"):
        if query_vector is not None:
            add(sources.nearest([query_vector], k=sources.ANN_PER_INTEREST * 2, domain=domain), "query")
        if interest_vectors:
            add(sources.nearest(interest_vectors, k=sources.ANN_PER_INTEREST, domain=domain), "semantic")
        if interest_vectors and not domain:
            home = _home_domains(catalog, model)
            add(
                sources.nearest(interest_vectors[:2], k=sources.CROSS_DOMAIN_PER_INTEREST, exclude_domains=home),
                "cross_domain",
            )
    with stage("candidates_collaborative"):
        collab_scores, collab_anchors = sources.collaborative(model.positive_items)
        add(collab_scores, "collaborative")
    with stage("candidates_popular_fresh"):
        add(sources.fresh(catalog, domain=domain), "fresh")
        add(sources.trending(catalog, domain=domain), "trending")
        add(sources.popular(catalog, domain=domain), "popular")
    return _score_and_order(
        catalog,
        pool,
        model,
        query=query,
        query_vector=query_vector,
        explore=explore,
        collab=(collab_scores, collab_anchors),
        now=now,
        domain=domain,
        preferred_domains=preferred_domains,
        feedback=_strongest_feedback(interactions),
    )


def _strongest(model: InterestModel, limit: int = 200) -> list[int]:
    return sorted(model.positive_items, key=model.positive_items.get, reverse=True)[:limit]


def _home_domains(catalog: Catalog, model: InterestModel) -> list[str]:
    """Domains the user's history already lives in; cross-domain candidates come from the others."""
    weights: dict[str, float] = {}
    for item_id, weight in model.positive_items.items():
        row = catalog.row_of.get(item_id)
        if row is not None:
            weights[catalog.domains[row]] = weights.get(catalog.domains[row], 0.0) + weight
    return sorted(weights, key=weights.get, reverse=True)[:1]


def build_candidates(catalog: Catalog, item_ids: list[int], collab: dict[int, float], now: float) -> ranking.Candidates:
    rows = catalog.rows(item_ids)
    ids = catalog.item_ids[rows]
    collab_values = collab_feature(np.array([collab.get(int(item), 0.0) for item in ids], dtype=np.float32))
    return ranking.Candidates(
        item_ids=ids,
        vectors=catalog.vectors_for(rows),
        domains=catalog.domains[rows],
        collab=collab_values,
        popularity=catalog.popularity[rows],
        freshness=catalog.freshness(rows, now),
        trending=catalog.trending[rows],
    )


def _score_and_order(
    catalog,
    pool,
    model,
    *,
    query,
    query_vector,
    explore,
    collab,
    now,
    domain=None,
    preferred_domains=frozenset(),
    feedback=None,
) -> list[tuple]:
    """Blend signals, diversify, and explain: (item id, score, reason, reason kind, signals) in feed order."""
    collab_scores, collab_anchors = collab
    # Every source is filtered here, so a domain tab never shows another domain's items.
    in_catalog = [item for item in pool if catalog.is_available(item, domain)]
    if not in_catalog:
        return []
    candidates = build_candidates(catalog, in_catalog, collab_scores, now)
    with stage("ranking"):
        weights, _ = active_weights()
        values = ranking.features(candidates, model, query_vector, preferred_domains)
        scores = ranking.blend(values, weights)
    if query_vector is not None:
        # Someone who asked for something wants it; the explore setting still applies, at half strength.
        explore *= 0.5
    with stage("diversity"):
        order = ranking.diversify(candidates, scores, explore=explore, limit=FEED_DEPTH)
        if domain is None:
            order = _with_exploration(candidates, order, scores, explore)
        else:
            order = [(row, False) for row in order]
    with stage("reasons"):
        liked = _strongest(model)
        liked_rows = catalog.rows(liked)
        context = {
            "query": query,
            "model": model,
            "catalog": catalog,
            "anchors": collab_anchors,
            "feedback": feedback or {},
            "query_similarity": values["query"],
            "liked_ids": catalog.item_ids[liked_rows],
            "liked_vectors": catalog.vectors_for(liked_rows),
            "titles": dict(Item.objects.filter(pk__in=liked).values_list("id", "title")),
        }
        ranked = []
        for row, slot in order:
            item_id = int(candidates.item_ids[row])
            signals = ranking.contributions(values, weights, row)
            reason, kind = explain(candidates, row, signals, context, exploration=slot, source=pool.get(item_id))
            ranked.append((item_id, round(float(scores[row]), 4), reason, kind, signals))
    return ranked


def _with_exploration(candidates, order, scores, explore, page_size=20) -> list[tuple[int, bool]]:
    """Put fresh or long-tail items from domains the page lacks into the reserved exploration slots."""
    slots = ranking.exploration_slots(explore, page_size)
    result = [(row, False) for row in order]
    if not slots:
        return result
    used = set(order[:page_size])
    long_tail = candidates.popularity < 0.5
    for page_start in range(0, len(result), page_size):
        page_domains = {candidates.domains[row] for row, _ in result[page_start : page_start + page_size]}
        for slot in slots:
            position = page_start + slot
            if position >= len(result):
                break
            options = [
                row
                for row, _ in result[position + 1 :]
                if row not in used
                and candidates.domains[row] not in page_domains
                and (long_tail[row] or candidates.freshness[row] > 0.5)
            ]
            if not options:
                continue
            pick = max(options, key=lambda row: scores[row])
            result = [entry for entry in result if entry[0] != pick]
            result.insert(position, (pick, True))
            page_domains.add(candidates.domains[pick])
            used.add(pick)
    return result


def popular_and_fresh(
    *, domain: str | None = None, offset: int = 0, limit: int = 20, query: str = "", explore: float | None = None
) -> Feed:
    """For visitors with no account: popular, trending and new items, spread across domains."""
    query = _validate(query=query, domain=domain, explore=explore, offset=offset, limit=limit)
    explore = ANONYMOUS_EXPLORE if explore is None else explore
    catalog = get_catalog()
    state = f"{domain}|{query}|{explore:.2f}|{catalog.watermark}"
    key = f"feed:anonymous:{hashlib.sha256(state.encode()).hexdigest()}"
    ranked = cache.get(key)
    if ranked is None:
        now = time.time()
        query_vector = _encode_query(query)
        pool: dict[int, str] = {}
        if query_vector is not None:
            for item_id in sources.nearest([query_vector], k=sources.ANN_PER_INTEREST * 2, domain=domain):
                pool.setdefault(item_id, "query")
        for source, ids in (
            ("trending", sources.trending(catalog, domain=domain)),
            ("popular", sources.popular(catalog, domain=domain)),
            ("fresh", sources.fresh(catalog, domain=domain)),
        ):
            for item_id in ids:
                pool.setdefault(item_id, source)
        ranked = _score_and_order(
            catalog,
            pool,
            InterestModel(),
            query=query,
            query_vector=query_vector,
            explore=explore,
            collab=({}, {}),
            now=now,
            domain=domain,
        )
        cache.set(key, ranked, FEED_CACHE_SECONDS)
    return _page(ranked, offset, limit)


def similar_items(*, item: Item, user=None, limit: int = 10) -> list[FeedEntry]:
    """Semantically close and co-engaged items, diversified, other domains included."""
    catalog = get_catalog()
    row = catalog.row_of.get(item.pk)
    if row is None:
        return []
    vector = catalog.vectors_for(np.array([row]))[0]
    excluded = {item.pk}
    if _is_person(user):
        excluded |= set(
            Interaction.objects.filter(
                user=user, kind__in=[Interaction.Kind.HIDE, Interaction.Kind.DISLIKE]
            ).values_list("item_id", flat=True)
        )
    semantic = sources.nearest([vector], k=40)
    co_scores, _ = sources.collaborative({item.pk: 1.0}, limit=20)
    pool = [
        candidate
        for candidate in dict.fromkeys(semantic + list(co_scores))
        if candidate not in excluded and catalog.is_available(candidate)
    ]
    if not pool:
        return []
    candidates = build_candidates(catalog, pool, co_scores, time.time())
    similarity = candidates.vectors @ vector
    scores = 0.75 * similarity + 0.25 * candidates.collab
    order = ranking.diversify(candidates, scores, explore=0.4, limit=limit, page_size=limit, domain_cap=0.5)
    items = (
        Item.objects.select_related("domain").defer("embedding").in_bulk([int(candidates.item_ids[r]) for r in order])
    )
    entries = []
    for position in order:
        candidate = items.get(int(candidates.item_ids[position]))
        if candidate is None:
            continue
        if candidates.collab[position] > 0.3 and candidates.collab[position] * 0.25 > similarity[position] * 0.5:
            reason, kind = f"People who liked {item.title} also liked this", "collaborative"
        elif candidate.domain_id != item.domain_id:
            reason, kind = f"Close to {item.title}, in {candidate.domain.name}", "similar"
        else:
            reason, kind = f"Similar to {item.title}", "similar"
        signals = {
            "similarity": round(float(similarity[position]), 4),
            "collab": round(float(candidates.collab[position]), 4),
        }
        entries.append(
            FeedEntry(
                item=candidate,
                score=round(float(scores[position]), 4),
                reason=reason,
                reason_kind=kind,
                signals=signals,
            )
        )
    return entries


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
