"""Where feed candidates come from. Each source returns item ids; scoring happens in ranking.py."""

from collections import defaultdict

import numpy as np
from django.db import connection, transaction
from pgvector import HalfVector
from pgvector.django import CosineDistance

from content.models import Item
from recommendations.catalog import Catalog
from recommendations.models import CoEngagement

ANN_PER_INTEREST = 60
CROSS_DOMAIN_PER_INTEREST = 20
COLLABORATIVE_LIMIT = 100
POPULAR_PER_DOMAIN = 15
TRENDING_LIMIT = 30
FRESH_LIMIT = 30
# HNSW with a filter (one domain, active items) needs iterative scans or it silently returns too few rows.
HNSW_EF_SEARCH = 100


def nearest(
    vectors: list[np.ndarray], *, k: int, domain: str | None = None, exclude_domains: list[str] | None = None
) -> list[int]:
    """Approximate nearest neighbours by cosine from pgvector's HNSW index, one query per vector."""
    found: list[int] = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        cursor.execute("SET LOCAL hnsw.ef_search = %s", [max(HNSW_EF_SEARCH, k)])
        base = Item.objects.filter(is_active=True, embedding__isnull=False)
        if domain:
            base = base.filter(domain__slug=domain)
        if exclude_domains:
            base = base.exclude(domain__slug__in=exclude_domains)
        for vector in vectors:
            distance = CosineDistance("embedding", HalfVector(vector.astype(np.float32)))
            found += list(base.order_by(distance).values_list("id", flat=True)[:k])
    return found


def collaborative(
    positive_items: dict[int, float], *, limit: int = COLLABORATIVE_LIMIT
) -> tuple[dict[int, float], dict[int, int]]:
    """Items engaged with by people who engaged with the user's items.

    Returns (score per candidate, the user's item that contributed most to each, for explanations).
    """
    if not positive_items:
        return {}, {}
    strongest = sorted(positive_items, key=positive_items.get, reverse=True)[:100]
    rows = CoEngagement.objects.filter(item_id__in=strongest).values_list("item_id", "neighbor_id", "score")
    scores: dict[int, float] = defaultdict(float)
    anchors: dict[int, tuple[float, int]] = {}
    for item_id, neighbor_id, score in rows:
        contribution = score * positive_items[item_id]
        scores[neighbor_id] += contribution
        if contribution > anchors.get(neighbor_id, (0.0, 0))[0]:
            anchors[neighbor_id] = (contribution, item_id)
    top = sorted(scores, key=scores.get, reverse=True)[:limit]
    return {item: scores[item] for item in top}, {item: anchors[item][1] for item in top}


def _top(catalog: Catalog, values: np.ndarray, mask: np.ndarray, k: int) -> list[int]:
    rows = np.flatnonzero(mask & (values > 0))
    if len(rows) > k:
        rows = rows[np.argpartition(-values[rows], k)[:k]]
    return [int(item) for item in catalog.item_ids[rows]]


def _mask(catalog: Catalog, domain: str | None) -> np.ndarray:
    def compute():
        mask = catalog.active.copy()
        if domain:
            mask &= catalog.domains == domain
        return mask

    return catalog.derived(("mask", domain), compute)


# These lists are the same for everyone until the catalog changes, so they are computed once per change.


def popular(catalog: Catalog, *, domain: str | None = None) -> list[int]:
    """The most engaged-with items of each domain (or of the one asked for)."""

    def compute():
        domains = [domain] if domain else sorted(set(catalog.domains[catalog.active]))
        return [
            item
            for slug in domains
            for item in _top(catalog, catalog.popularity, _mask(catalog, slug), POPULAR_PER_DOMAIN)
        ]

    return catalog.derived(("popular", domain), compute)


def trending(catalog: Catalog, *, domain: str | None = None) -> list[int]:
    return catalog.derived(
        ("trending", domain), lambda: _top(catalog, catalog.trending, _mask(catalog, domain), TRENDING_LIMIT)
    )


def fresh(catalog: Catalog, *, domain: str | None = None) -> list[int]:
    """Newest items, so a new item gets a chance before anyone has touched it."""
    return catalog.derived(
        ("fresh", domain),
        lambda: _top(
            catalog, catalog.available_at - catalog.available_at.min(initial=0) + 1, _mask(catalog, domain), FRESH_LIMIT
        ),
    )
