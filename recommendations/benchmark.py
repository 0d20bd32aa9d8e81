"""Build a large synthetic catalog and measure feed latency per stage.

Vectors are the demo catalog's real embeddings plus noise, so the catalog has realistic topic
clusters without embedding 100k texts first; latency does not depend on the words.
"""

import random
import time
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from pgvector import HalfVector
from pgvector.django import CosineDistance
from pgvector.psycopg import register_vector

from content import demo
from content.embedding import get_encoder
from content.models import Domain, Interaction, Item
from recommendations import services, timing
from recommendations.selectors import _query_vector, feed_for_user

PREFIX = "bench-"
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


def catalog_build(*, items: int, users: int, seed: int = 0, log=print) -> dict:
    """Create (once) `items` benchmark items and `users` users with histories; returns build timings."""
    rng = np.random.default_rng(seed)
    demo.demo_domains()
    existing = Item.objects.filter(external_id__startswith=PREFIX).count()
    report = {}
    base, titles, base_domains = _base_vectors()
    topic_of = rng.integers(0, len(base), size=items)
    if existing < items:
        started = time.perf_counter()
        _copy_items(rng, base, titles, base_domains, topic_of, start=existing, count=items - existing)
        report["insert_items_s"] = round(time.perf_counter() - started, 1)
        log(f"inserted {items - existing} items in {report['insert_items_s']} s")
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute("REINDEX INDEX item_embedding_hnsw")
        report["hnsw_build_s"] = round(time.perf_counter() - started, 1)
        log(f"built the HNSW index in {report['hnsw_build_s']} s")
    user_model = get_user_model()
    have = user_model.objects.filter(username__startswith=PREFIX).count()
    if have < users:
        started = time.perf_counter()
        _histories(rng, base, topic_of, have, users)
        services.item_stats_refresh()
        services.neighbours_refresh()
        for user_id in user_model.objects.filter(username__startswith=PREFIX).values_list("pk", flat=True):
            services.interests_refresh(user_id=user_id)
        report["users_s"] = round(time.perf_counter() - started, 1)
        log(f"built {users - have} users with histories and interests in {report['users_s']} s")
    return report


def _copy_items(rng, base, titles, base_domains, topic_of, *, start: int, count: int) -> None:
    domains = dict(Domain.objects.values_list("slug", "pk"))
    now = timezone.now()
    connection.ensure_connection()
    register_vector(connection.connection)
    columns = "domain_id, external_id, title, description, tags, creator, url, language, published_at, is_active, created_at, updated_at, embedding, embedding_model, embedding_hash, embedded_at, embedding_error"
    with connection.connection.cursor() as cursor, cursor.copy(f"COPY content_item ({columns}) FROM STDIN") as copy:
        for index in range(start, start + count):
            topic = int(topic_of[index])
            vector = base[topic] + rng.normal(0, 0.035, base.shape[1]).astype(np.float32)
            vector /= np.linalg.norm(vector)
            published = now - timedelta(days=float(rng.uniform(0, 3650)))
            copy.write_row(
                (
                    domains[base_domains[topic]],
                    f"{PREFIX}{index}",
                    f"{titles[topic]} #{index}",
                    "Benchmark item.",
                    "{benchmark}",
                    "",
                    "",
                    "en",
                    published,
                    True,
                    now,
                    now,
                    HalfVector(vector).to_text(),
                    settings.EMBEDDING_MODEL_NAME,
                    "",
                    now,
                    "",
                )
            )


def _histories(rng, base, topic_of, start: int, count: int) -> None:
    user_model = get_user_model()
    ids = np.array(
        list(Item.objects.filter(external_id__startswith=PREFIX).order_by("pk").values_list("pk", flat=True))
    )
    by_topic: dict[int, np.ndarray] = {}
    for topic in range(len(base)):
        by_topic[topic] = ids[topic_of[: len(ids)] == topic]
    kinds = ["view", "click", "like", "save", "rating", "dislike", "hide"]
    probabilities = [0.35, 0.2, 0.25, 0.08, 0.07, 0.03, 0.02]
    now = timezone.now()
    for number in range(start, count):
        user = user_model.objects.create_user(username=f"{PREFIX}{number}")
        topics = rng.choice(len(base), size=int(rng.integers(2, 5)), replace=False)
        rows = []
        seen = set()
        for _ in range(int(rng.integers(20, 80))):
            pool = by_topic[int(rng.choice(topics))]
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


def _percentiles(values: list[float]) -> tuple[float, float]:
    return float(np.percentile(values, 50)), float(np.percentile(values, 95))


def measure_feeds(*, requests: int, with_query: bool, seed: int = 1) -> dict:
    """Full personalized feed requests (cache cleared each time): total and per-stage p50/p95 in ms."""
    user_model = get_user_model()
    users = list(user_model.objects.filter(username__startswith=PREFIX))
    chooser = random.Random(seed)
    get_encoder()
    totals: list[float] = []
    stages: dict[str, list[float]] = {}
    for _ in range(requests):
        # Measure the full cost: no cached feed and no cached query vector.
        cache.clear()
        _query_vector.cache_clear()
        user = chooser.choice(users)
        query = chooser.choice(QUERIES) if with_query else ""
        with timing.collect() as timings:
            started = time.perf_counter()
            feed = feed_for_user(user=user, query=query)
            totals.append((time.perf_counter() - started) * 1000.0)
        assert feed.entries, "benchmark feed came back empty"
        for name, value in timings.items():
            stages.setdefault(name, []).append(value)
    result = {"total": _percentiles(totals)}
    result |= {name: _percentiles(values + [0.0] * (requests - len(values))) for name, values in stages.items()}
    return result


def _filtered_rows(domain: str, distance, k: int, *, iterative: bool) -> int:
    """How many of k rows a one-domain HNSW query returns, with or without iterative index scans."""
    with transaction.atomic(), connection.cursor() as cursor:
        if iterative:
            cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        rows = Item.objects.filter(domain__slug=domain, embedding__isnull=False).order_by(distance)
        return len(list(rows.values_list("pk", flat=True)[:k]))


def _all_vectors() -> tuple[np.ndarray, np.ndarray]:
    """Every embedded item's id and vector, read in binary (for exact search to compare HNSW against)."""
    from recommendations.sources.database import _cursor

    with _cursor() as cursor:
        cursor.execute("SELECT id, embedding FROM content_item WHERE embedding IS NOT NULL ORDER BY id", binary=True)
        rows = cursor.fetchall()
    return np.array([row[0] for row in rows]), np.stack([row[1].to_numpy() for row in rows]).astype(np.float32)


def measure_ann(*, queries: int = 100, k: int = 10, seed: int = 2) -> dict:
    """HNSW query latency and recall against exact search, and what a 10%-selective filter does without iterative scans."""
    item_ids, vectors = _all_vectors()
    rng = np.random.default_rng(seed)
    latencies, recalls, filtered_plain, filtered_iterative = [], [], [], []
    domain = Domain.objects.order_by("slug").first().slug
    for _ in range(queries):
        query = vectors[int(rng.integers(len(vectors)))] + rng.normal(0, 0.05, vectors.shape[1]).astype(np.float32)
        query /= np.linalg.norm(query)
        exact = set(item_ids[np.argsort(-(vectors @ query))[:k]].tolist())
        distance = CosineDistance("embedding", HalfVector(query))
        started = time.perf_counter()
        found = list(Item.objects.filter(embedding__isnull=False).order_by(distance).values_list("pk", flat=True)[:k])
        latencies.append((time.perf_counter() - started) * 1000.0)
        recalls.append(len(exact & set(found)) / k)
        filtered_plain.append(_filtered_rows(domain, distance, k, iterative=False))
        filtered_iterative.append(_filtered_rows(domain, distance, k, iterative=True))
    p50, p95 = _percentiles(latencies)
    return {
        "hnsw_p50_ms": round(p50, 2),
        "hnsw_p95_ms": round(p95, 2),
        "recall@10_vs_exact": round(float(np.mean(recalls)), 3),
        "filtered_rows_without_iterative_scan": round(float(np.mean(filtered_plain)), 1),
        "filtered_rows_with_iterative_scan": round(float(np.mean(filtered_iterative)), 1),
    }
