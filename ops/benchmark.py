"""Build a large synthetic catalog and measure what serving costs: feeds per stage, HNSW recall and latency, memory.

Vectors are made from the demo catalog's real embeddings so the catalog has realistic topics without embedding a
million texts first. Each item is its topic's embedding moved within a small subspace of its own (48 random
directions per topic) plus a little noise: real text embeddings lie near low-dimensional manifolds, and this keeps
the local intrinsic dimensionality and relative contrast of the catalog close to those of real embedded text
(`geometry()` prints both next to the demo catalog's). Isotropic noise around 345 centres, the earlier generator,
made every cluster a shell of near-ties that no index can rank, which real catalogs are not.
"""

import random
import time
from contextlib import contextmanager
from datetime import timedelta

import numpy as np
import psutil
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from pgvector import HalfVector
from pgvector.psycopg import register_vector

from content import demo, vectors
from content.embedding import get_encoder
from content.models import Domain, Interaction, Item, Profile
from content.services import item_update
from platform_site import serving_process
from recommendations import search_width, selectors, timing
from recommendations.selectors import _query_vector, feed_for_user
from recommendations.services import interests as interest_services
from recommendations.services import statistics
from recommendations.sources import database as database_sources
from recommendations.sources import hnsw

PREFIX = "bench-"
SUBSPACE = 48
SPREAD = 1.0
NOISE = 0.01
CHUNK = 50_000
WARM_UP_REQUESTS = 100
QUERIES = [
    "something calm about the ocean",
    "a gripping mystery for a long train ride",
    "learn to cook vegetarian food",
    "history of the space race",
    "jazz for a rainy evening",
    "how startups raise money",
    "beginner chess strategy",
    "mindfulness and better sleep",
]


def _base_vectors() -> tuple[np.ndarray, list[str], list[str]]:
    rows = demo.read_jsonl("items.jsonl")
    texts = [f"{row['title']}\n{row['description']}" for row in rows]
    return get_encoder().encode(texts), [row["title"] for row in rows], [row["domain"] for row in rows]


class Generator:
    """Deterministic synthetic vectors: item i is always the same vector for a given seed."""

    def __init__(self, base: np.ndarray, seed: int):
        rng = np.random.default_rng(seed)
        self.base = base
        self.seed = seed
        self.directions = rng.normal(size=(len(base), base.shape[1], SUBSPACE)).astype(np.float32)
        self.directions /= np.linalg.norm(self.directions, axis=1, keepdims=True)

    def topics(self, numbers: np.ndarray) -> np.ndarray:
        """Item number -> topic, the same however the catalog was built (a multiplicative hash)."""
        return (numbers.astype(np.uint64) * np.uint64(2654435761) + np.uint64(self.seed)) % np.uint64(len(self.base))

    def vectors(self, start: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, 2, start])
        topics = self.topics(np.arange(start, start + count)).astype(np.int64)
        mix = rng.normal(size=(count, SUBSPACE)).astype(np.float32) * SPREAD / np.sqrt(SUBSPACE)
        moved = self.base[topics] + np.einsum("ndr,nr->nd", self.directions[topics], mix)
        moved += rng.normal(0, NOISE, moved.shape).astype(np.float32)
        return topics, moved / np.linalg.norm(moved, axis=1, keepdims=True)


def catalog_build(*, items: int, users: int, seed: int = 0, log=print) -> dict:
    """Create (once) `items` benchmark items and `users` users with histories; returns build timings."""
    demo.demo_domains()
    base, titles, base_domains = _base_vectors()
    generator = Generator(base, seed)
    existing = Item.objects.filter(external_id__startswith=PREFIX).count()
    report = {}
    if existing < items:
        started = time.perf_counter()
        bulk = items - existing >= vectors.BULK_LOAD_ROWS
        with vectors.hnsw_deferred(log=log) if bulk else transaction.atomic():
            for start in range(existing, items, CHUNK):
                count = min(CHUNK, items - start)
                _copy_items(generator, titles, base_domains, start=start, count=count)
                log(f"  loaded items {start + count:,}/{items:,} ({time.perf_counter() - started:.0f} s)")
        report["load_and_index_s"] = round(time.perf_counter() - started, 1)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE content_item")
        log(f"inserted {items - existing:,} items and built the index in {report['load_and_index_s']} s")
    user_model = get_user_model()
    have = user_model.objects.filter(username__startswith=PREFIX).count()
    if have < users:
        started = time.perf_counter()
        _histories(generator, have, users)
        statistics.item_stats_refresh()
        report["neighbours"] = statistics.neighbours_refresh()
        database_sources.domain_centres_store()
        for user_id in user_model.objects.filter(username__startswith=PREFIX).values_list("pk", flat=True):
            interest_services.interests_refresh(user_id=user_id)
        report["users_s"] = round(time.perf_counter() - started, 1)
        log(f"built {users - have} users with histories, statistics and interests in {report['users_s']} s")
    return report


def _copy_items(generator: Generator, titles, base_domains, *, start: int, count: int) -> None:
    domains = dict(Domain.objects.values_list("slug", "pk"))
    topics, rows = generator.vectors(start, count)
    published_days = np.random.default_rng([generator.seed, 3, start]).uniform(0, 3650, size=count)
    now = timezone.now()
    connection.ensure_connection()
    register_vector(connection.connection)
    columns = (
        "domain_id, external_id, title, description, tags, creator, url, language, published_at, is_active, "
        "created_at, updated_at, embedding, embedding_model, embedding_hash, embedded_at, embedding_error, "
        "embedding_attempts"
    )
    types = [
        "int8", "varchar", "varchar", "text", "varchar[]", "varchar", "varchar", "varchar", "timestamptz", "bool",
        "timestamptz", "timestamptz", "halfvec", "varchar", "varchar", "timestamptz", "text", "int2",
    ]  # fmt: skip
    # Binary COPY: formatting a million vectors as text costs far more than sending them.
    sql = f"COPY content_item ({columns}) FROM STDIN (FORMAT BINARY)"
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        copy.set_types(types)
        for offset in range(count):
            topic = int(topics[offset])
            number = start + offset
            copy.write_row(
                (
                    domains[base_domains[topic]],
                    f"{PREFIX}{number}",
                    f"{titles[topic]} #{number}",
                    "Benchmark item.",
                    ["benchmark"],
                    "",
                    "",
                    "en",
                    now - timedelta(days=float(published_days[offset])),
                    True,
                    now,
                    now,
                    HalfVector(rows[offset]),
                    settings.EMBEDDING_MODEL_NAME,
                    "",
                    now,
                    "",
                    0,
                )
            )


def _histories(generator: Generator, start: int, count: int) -> None:
    """People who each follow two to four topics, with the feedback mix of a real site."""
    rng = np.random.default_rng([generator.seed, 4, start])
    catalog = list(Item.objects.filter(external_id__startswith=PREFIX).values_list("pk", "external_id"))
    ids = np.array([pk for pk, _ in catalog])
    topics = generator.topics(np.array([int(key.removeprefix(PREFIX)) for _, key in catalog])).astype(np.int64)
    by_topic = {topic: ids[topics == topic] for topic in range(len(generator.base))}
    kinds = ["view", "click", "like", "save", "rating", "dislike", "hide"]
    probabilities = [0.35, 0.2, 0.25, 0.08, 0.07, 0.03, 0.02]
    now = timezone.now()
    user_model = get_user_model()
    for number in range(start, count):
        user = user_model.objects.create_user(username=f"{PREFIX}{number}")
        chosen = rng.choice(len(generator.base), size=int(rng.integers(2, 5)), replace=False)
        rows, seen = [], set()
        for _ in range(int(rng.integers(20, 80))):
            pool = by_topic[int(rng.choice(chosen))]
            if len(pool) == 0:
                continue
            item = int(rng.choice(pool))
            kind = str(rng.choice(kinds, p=probabilities))
            if (item, kind) in seen:
                continue
            seen.add((item, kind))
            rows.append(
                Interaction(
                    user=user,
                    item_id=item,
                    kind=kind,
                    value=float(rng.integers(1, 6)) if kind == "rating" else None,
                    created_at=now - timedelta(days=float(rng.uniform(0, 90))),
                )
            )
        Interaction.objects.bulk_create(rows, ignore_conflicts=True)
        # Stamped without the feedback event: catalog_build rebuilds every person's interests itself right after,
        # while queued rebuilds would wait in the broker for the next worker (a load benchmark's) to redo them all.
        Profile.objects.update_or_create(user=user, defaults={"feedback_changed_at": now})


def _percentiles(values: list[float]) -> tuple[float, float]:
    return float(np.percentile(values, 50)), float(np.percentile(values, 95))


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


@contextmanager
def feeds_uncached():
    """Every feed computed in full; what serving keeps in the shared cache (weights, domain centres) stays."""
    kept = selectors.FEED_CACHE_SECONDS
    selectors.FEED_CACHE_SECONDS = 0  # Django's cache stores nothing for a timeout of 0
    try:
        yield
    finally:
        selectors.FEED_CACHE_SECONDS = kept


def measure_feeds(*, requests: int, with_query: bool, seed: int = 1) -> dict:
    """Full personalized feed requests (inside feeds_uncached): total and per-stage p50/p95 in ms."""
    user_model = get_user_model()
    users = list(user_model.objects.filter(username__startswith=PREFIX))
    chooser = random.Random(seed)
    get_encoder()
    # A serving database has its indexes in memory; right after PostgreSQL starts, the first requests read them in.
    for user in random.Random(seed + 1).sample(users, min(WARM_UP_REQUESTS, len(users))):
        feed_for_user(user=user)
    # As a web worker does once it has loaded the site (gunicorn.conf.py).
    serving_process.tune()
    totals: list[float] = []
    stages: dict[str, list[float]] = {}
    for _ in range(requests):
        # Measure the full cost: no cached feed and no cached query vector (the rest is cached as when serving).
        _query_vector.cache_clear()
        user = chooser.choice(users)
        query = chooser.choice(QUERIES) if with_query else ""
        with timing.collect() as timings:
            started = time.perf_counter()
            feed = feed_for_user(user=user, query=query)
            # The page's items are read when shown: count them, as a request that renders the page does.
            with timing.stage("page"):
                assert feed.entries, "benchmark feed came back empty"
            totals.append((time.perf_counter() - started) * 1000.0)
        for name, value in timings.items():
            stages.setdefault(name, []).append(value)
    result = {"total": _percentiles(totals)}
    result |= {name: _percentiles(values + [0.0] * (requests - len(values))) for name, values in stages.items()}
    return result


def _all_vectors() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every embedded item's id, domain and vector, read in binary (exact search to compare HNSW against)."""
    ids, domains, rows = [], [], []
    with database_sources.binary_cursor() as cursor:
        cursor.execute(
            "SELECT i.id, d.slug, i.embedding FROM content_item i JOIN content_domain d ON d.id = i.domain_id "
            "WHERE i.embedding IS NOT NULL AND i.is_active ORDER BY i.id",
            binary=True,
        )
        while batch := cursor.fetchmany(50_000):
            ids += [row[0] for row in batch]
            domains += [row[1] for row in batch]
            rows.append(np.stack([row[2].to_numpy() for row in batch]))
    return np.array(ids), np.array(domains, dtype=object), np.concatenate(rows)


def _exact(vectors: np.ndarray, queries: np.ndarray, mask: np.ndarray | None, k: int) -> list[set]:
    best = np.full((len(queries), 0), -np.inf, dtype=np.float32), np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(vectors), 200_000):
        block = vectors[start : start + 200_000].astype(np.float32) @ queries.T
        if mask is not None:
            block[~mask[start : start + 200_000]] = -np.inf
        scores = np.concatenate([best[0], block.T], axis=1)
        rows = np.concatenate([best[1], np.arange(start, start + len(block))[None, :].repeat(len(queries), 0)], axis=1)
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        best = np.take_along_axis(scores, top, axis=1), np.take_along_axis(rows, top, axis=1)
    return [set(row.tolist()) for row in best[1]]


def measure_ann(*, queries: int = 200, k: int = 10, widths=search_width.LADDER, seed: int = 2) -> dict:
    """HNSW recall@10 against exact search and latency per search width, unfiltered and with a one-domain filter
    (iterative scans on, as serving runs them)."""
    from pgvector.django import CosineDistance

    ids, domains, all_vectors = _all_vectors()
    rng = np.random.default_rng(seed)
    picks = rng.integers(len(all_vectors), size=queries)
    probes = all_vectors[picks].astype(np.float32) + rng.normal(0, 0.05, (queries, all_vectors.shape[1])).astype(
        np.float32
    )
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    domain = sorted(set(domains.tolist()))[0]
    domain_pk = Domain.objects.get(slug=domain).pk
    exact = _exact(all_vectors, probes, None, k)
    exact_filtered = _exact(all_vectors, probes, domains == domain, k)
    position = {item: row for row, item in enumerate(ids)}
    table = {}
    for ef in widths:
        recalls, filtered_recalls, filtered_rows, latencies = [], [], [], []
        for probe, truth, truth_filtered in zip(probes, exact, exact_filtered, strict=True):
            distance = CosineDistance("embedding", HalfVector(probe))
            base = Item.objects.filter(is_active=True, embedding__isnull=False)
            with transaction.atomic(), connection.cursor() as cursor:
                hnsw.search_with(cursor, ef)
                started = time.perf_counter()
                found = list(base.order_by(distance).values_list("pk", flat=True)[:k])
                latencies.append((time.perf_counter() - started) * 1000.0)
                # By the domain's id, as serving filters (so its own index can answer).
                in_domain = list(base.filter(domain_id=domain_pk).order_by(distance).values_list("pk", flat=True)[:k])
            recalls.append(len({position[item] for item in found} & truth) / k)
            filtered_recalls.append(len({position[item] for item in in_domain} & truth_filtered) / k)
            filtered_rows.append(len(in_domain))
        p50, p95 = _percentiles(latencies)
        table[ef] = {
            "recall@10": round(float(np.mean(recalls)), 3),
            "filtered_recall@10": round(float(np.mean(filtered_recalls)), 3),
            "filtered_rows": round(float(np.mean(filtered_rows)), 1),
            "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2),
        }
    return {"items": len(ids), "filter": domain, "recall_by_width": table}


def geometry(*, sample: int = 20_000, seed: int = 0) -> dict:
    """Local intrinsic dimensionality (Levina-Bickel MLE, k=20) and relative contrast of real and synthetic vectors."""
    base, _, _ = _base_vectors()
    _, synthetic = Generator(base, seed).vectors(0, sample)

    def describe(vectors: np.ndarray, k: int = 20, probes: int = 300) -> dict:
        rng = np.random.default_rng(seed)
        rows = rng.choice(len(vectors), size=min(probes, len(vectors)), replace=False)
        similarity = vectors[rows] @ vectors.T
        similarity[np.arange(len(rows)), rows] = -np.inf
        nearest = 1.0 - -np.sort(-similarity, axis=1)[:, :k]
        lid = -1.0 / np.mean(np.log(np.maximum(nearest[:, :-1], 1e-9) / nearest[:, -1:]), axis=1)
        contrast = (1.0 - np.where(np.isfinite(similarity), similarity, 0.0)).mean(axis=1) / np.maximum(
            nearest[:, 0], 1e-9
        )
        return {"lid": round(float(np.median(lid)), 1), "relative_contrast": round(float(np.median(contrast)), 2)}

    return {"demo_catalog": describe(base), f"synthetic_{sample}": describe(synthetic)}


def measure_edit(*, repeats: int = 5, seed: int = 3) -> dict:
    """An item edit as the worker finishes it: how long until this process's feeds see the new catalog version,
    and what the first feed after it pays to rebuild the per-process lists (against the same feed warm), in ms."""
    user = get_user_model().objects.filter(username__startswith=PREFIX).order_by("pk").first()
    chooser = random.Random(seed)
    item_ids = list(Item.objects.filter(external_id__startswith=PREFIX).values_list("pk", flat=True)[:5000])
    get_encoder()
    visible, refresh, embed = [], [], []
    for number in range(repeats):
        feed_for_user(user=user)
        item = Item.objects.get(pk=chooser.choice(item_ids))
        before = database_sources.catalog_version()
        started = time.perf_counter()
        item_update(item=item, title=f"{item.title.split(' (edited')[0]} (edited {number})")
        vectors.items_embed(item_ids=[item.pk])  # what the worker's task does
        committed = time.perf_counter()
        embed.append((committed - started) * 1000.0)
        while database_sources.catalog_version() == before:
            time.sleep(0.01)
        visible.append((time.perf_counter() - committed) * 1000.0)
        first = time.perf_counter()
        feed_for_user(user=user)
        first_ms = (time.perf_counter() - first) * 1000.0
        warm = time.perf_counter()
        feed_for_user(user=user)
        refresh.append(first_ms - (time.perf_counter() - warm) * 1000.0)
    return {
        "edit_and_embed_ms": _percentiles(embed),
        "visible_after_ms": _percentiles(visible),
        "first_feed_extra_ms": _percentiles(refresh),
    }
