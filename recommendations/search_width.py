"""Measuring the search width serving needs (sources.hnsw reads it), on the live catalog.

The width that reaches a given recall grows with the catalog: for people's interest vectors on the benchmark
catalog, 40 reaches recall@10 0.99 at 100k items while a million items need 400. A fixed number is either slow for a
small catalog or inaccurate for a large one, so it is measured: the exact nearest items of a sample of the people's
own interest and bio vectors (what serving searches with), then the smallest width on the ladder whose HNSW results
find at least HNSW_TARGET_RECALL of them. A periodic task measures when due (measure_if_due); the command
measure_search_width measures at once.
"""

import logging
import time
from datetime import datetime

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from pgvector import HalfVector

from content.models import Item
from recommendations.pipeline import CROSS_DOMAIN_PER_INTEREST
from recommendations.sources import Scope
from recommendations.sources.database import binary_cursor, per_domain_scopes, search
from recommendations.sources.hnsw import CACHE_KEY, UNMEASURED, forget, search_with

logger = logging.getLogger(__name__)

# The search widths tried, narrowest first (pgvector accepts up to 1000).
LADDER = (40, 100, 200, 400, 800, 1000)
# Recall over fewer probes moved by several points from one sample to the next at a million items.
PROBES = 100
K = 10
TIE = 1e-6
# Measure again once a day, or sooner when the catalog has grown or shrunk by this factor since.
MEASURE_EVERY_SECONDS = 24 * 3600
CATALOG_CHANGE = 1.5
# Searches from people's vectors into the domains they do not use, timed both ways to choose how serving does them.
CROSS_DOMAIN_PROBES = 30


def _catalog_size(cursor) -> int:
    # The planner's estimate where it is large (an exact count scans a million rows, and only a factor of 1.5
    # matters here); counted where it is small or the table was never analysed.
    cursor.execute("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'content_item'::regclass")
    estimate = int(cursor.fetchone()[0])
    if estimate >= 100_000:
        return estimate
    cursor.execute("SELECT count(*) FROM content_item")
    return int(cursor.fetchone()[0])


def _probes(cursor, count: int, seed: int) -> list[np.ndarray]:
    """People's interest and bio vectors; items' own vectors where there are too few people yet."""
    cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000.0])
    cursor.execute(
        "SELECT vector FROM (SELECT vector FROM recommendations_interest UNION ALL "
        "SELECT embedding FROM content_profile WHERE embedding IS NOT NULL) AS asked ORDER BY random() LIMIT %s",
        [count],
    )
    found = [row[0].to_numpy() for row in cursor.fetchall()]
    if len(found) < count:
        cursor.execute(
            "SELECT embedding FROM content_item WHERE embedding IS NOT NULL ORDER BY random() LIMIT %s",
            [count - len(found)],
        )
        found += [row[0].to_numpy() for row in cursor.fetchall()]
    return [vector.astype(np.float32) for vector in found]


def _nearest(cursor, vector: np.ndarray, *, width: int | None) -> list[tuple[int, float]]:
    """(id, distance) of the serving query (active, embedded items); width None: exact, by a sequential scan."""
    with transaction.atomic():
        if width is None:
            cursor.execute("SET LOCAL enable_indexscan = off")
        else:
            search_with(cursor, width)
        cursor.execute(
            "SELECT id, embedding <=> %(v)s FROM content_item WHERE is_active AND embedding IS NOT NULL "
            "ORDER BY embedding <=> %(v)s LIMIT %(k)s",
            {"v": HalfVector(vector), "k": K},
        )
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


def _recall(found: list[tuple[int, float]], exact: list[tuple[int, float]]) -> float:
    """Share of the exact top 10 found; an item as close as the exact 10th counts (half-precision vectors have
    ties, and which of two equally close items a scan returns is arbitrary)."""
    if not exact:
        return 1.0
    limit = exact[-1][1] + TIE
    return min(sum(1 for _, distance in found if distance <= limit), len(exact)) / len(exact)


def measure(*, target: float | None = None, probes: int = PROBES, seed: int = 0) -> dict:
    """Recall@10 per width on the ladder, and the smallest width reaching the target (the largest if none does)."""
    target = settings.HNSW_TARGET_RECALL if target is None else target
    started = time.perf_counter()
    with binary_cursor() as cursor:
        items = _catalog_size(cursor)
        vectors = _probes(cursor, probes, seed)
        if not vectors:
            return {"search_width": UNMEASURED, "reason": "no vectors to search yet", "items": items}
        exact = [_nearest(cursor, vector, width=None) for vector in vectors]
        recall_by_width = {}
        for width in LADDER:
            found = [_nearest(cursor, vector, width=width) for vector in vectors]
            recall_by_width[width] = round(
                float(np.mean([_recall(f, e) for f, e in zip(found, exact, strict=True)])), 3
            )
            if recall_by_width[width] >= target:
                break
    chosen = next((w for w, recall in recall_by_width.items() if recall >= target), LADDER[-1])
    nearest_item = [(vector, found[0][0]) for vector, found in zip(vectors, exact, strict=True) if found]
    cross_domain = _time_cross_domain(nearest_item[:CROSS_DOMAIN_PROBES], chosen)
    return {
        "search_width": chosen,
        "recall@10": recall_by_width[chosen],
        "target": target,
        "reached": recall_by_width[chosen] >= target,
        "recall_by_width": recall_by_width,
        "probes": len(vectors),
        "cross_domain": cross_domain,
        "items": items,
        "measured_at": timezone.now().isoformat(),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _time_cross_domain(probes: list[tuple[np.ndarray, int]], width: int) -> dict:
    """Cross-domain candidates searched as serving searches them: two vectors at once (a person's first two
    interests; here a probe and the next one), in every domain but the first one's nearest item's (the person's
    own), on the catalog-wide index leaving that domain out and on each other domain's own index.

    Milliseconds per search (p50, p95, mean) both ways, and whether the per-domain way is the faster on average: a
    feed's time is the sum of its stages, and one stage's slowest searches rarely meet the others' in the same
    request. No verdict while the domains have no indexes of their own."""
    home = dict(Item.objects.filter(pk__in=[item for _, item in probes]).values_list("pk", "domain__slug"))
    searches = []
    for number, (vector, item) in enumerate(probes):
        scope = Scope(exclude_domains=(home.get(item, ""),))
        split = per_domain_scopes(scope)
        if split is not None:
            vectors = [vector, probes[(number + 1) % len(probes)][0]]
            searches.append((vectors, {"catalog": [scope], "per_domain": split}))
    if not searches:
        return {"reason": "no per-domain indexes yet"}
    timings: dict[str, list[float]] = {"catalog": [], "per_domain": []}
    # The first pass brings both ways' index pages into memory (a serving site has them there); the second is timed.
    for timed in (False, True):
        for vectors, ways in searches:
            for way, scopes in ways.items():
                started = time.perf_counter()
                search(vectors, k=CROSS_DOMAIN_PER_INTEREST, scopes=scopes, width=width)
                if timed:
                    timings[way].append((time.perf_counter() - started) * 1000.0)
    summary = {
        way: [*(round(float(np.percentile(ms, q)), 1) for q in (50, 95)), round(float(np.mean(ms)), 1)]
        for way, ms in timings.items()
    }
    return {"per_domain": summary["per_domain"][2] <= summary["catalog"][2], "ms_p50_p95_mean": summary}


def measure_and_store(**options) -> dict:
    result = measure(**options)
    cache.set(CACHE_KEY, result, timeout=None)
    forget()
    logger.info(
        "search width %s (recall@10 %s, %s items)", result["search_width"], result.get("recall@10"), result["items"]
    )
    return result


def measure_if_due() -> dict | None:
    """Measure when never measured, a day old, or the catalog changed size a lot."""
    if settings.HNSW_SEARCH_WIDTH:
        return None
    last = cache.get(CACHE_KEY)
    with binary_cursor() as cursor:
        items = _catalog_size(cursor)
    if last and "measured_at" in last:
        age = (timezone.now() - datetime.fromisoformat(last["measured_at"])).total_seconds()
        ratio = max(items, 1) / max(last["items"], 1)
        if age < MEASURE_EVERY_SECONDS and 1 / CATALOG_CHANGE <= ratio <= CATALOG_CHANGE:
            return None
    return measure_and_store()
