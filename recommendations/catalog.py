"""A per-process, incrementally synced copy of what ranking needs about every embedded item.

Pulling hundreds of vectors from PostgreSQL on each request costs far more than the ANN query
itself, so vectors used for scoring and diversity live here (float16: ~77 MB per 100k items).
"""

import math
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import psycopg
from django.conf import settings
from django.db import connection
from django.db.models import Max

from content.models import Domain, Item
from recommendations.models import ItemStats

FRESH_HALF_LIFE_DAYS = 21.0
CHECK_INTERVAL_SECONDS = 1.0


@dataclass
class Catalog:
    item_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, settings.EMBEDDING_DIMENSIONS), dtype=np.float16))
    domains: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    active: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    available_at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    popularity: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    trending: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    row_of: dict[int, int] = field(default_factory=dict)
    domain_names: dict[str, str] = field(default_factory=dict)
    watermark: tuple = (None, None, None)
    # Results that depend only on the catalog (popular, fresh, domain masks), dropped when it changes.
    _derived: dict = field(default_factory=dict)

    def derived(self, key, compute):
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    def is_available(self, item_id: int, domain: str | None = None) -> bool:
        """Embedded, active and (when asked) in that domain."""
        row = self.row_of.get(item_id)
        return row is not None and self.active[row] and (domain is None or self.domains[row] == domain)

    def rows(self, item_ids) -> np.ndarray:
        return np.array([self.row_of[item_id] for item_id in item_ids if item_id in self.row_of], dtype=np.int64)

    def vectors_for(self, rows: np.ndarray) -> np.ndarray:
        return self.vectors[rows].astype(np.float32)

    def freshness(self, rows: np.ndarray, now: float | None = None) -> np.ndarray:
        now = now or time.time()
        age_days = np.clip((now - self.available_at[rows]) / 86400.0, 0.0, None)
        return (0.5 ** (age_days / FRESH_HALF_LIFE_DAYS)).astype(np.float32)


_lock = threading.Lock()
_catalog = Catalog()
_last_check = 0.0


def _watermark() -> tuple:
    items = Item.objects.aggregate(updated=Max("updated_at"), embedded=Max("embedded_at"))
    stats = ItemStats.objects.aggregate(updated=Max("updated_at"))
    return items["updated"], items["embedded"], stats["updated"]


def _epoch(value: datetime | None) -> float:
    return value.timestamp() if value else 0.0


def _fetch_binary(queryset) -> list[tuple]:
    """Run the query with binary results: parsing 100k vectors from text would take seconds."""
    from pgvector.psycopg import register_vector

    sql, params = queryset.query.sql_with_params()
    connection.ensure_connection()
    raw = connection.connection
    register_vector(raw)
    # Django's default client-side cursors cannot return binary rows.
    with psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()


def _load_items(catalog: Catalog, since: tuple) -> Catalog:
    rows = Item.objects.filter(embedded_at__isnull=False)
    updated_since, embedded_since, _ = since
    if updated_since and embedded_since:
        rows = rows.filter(updated_at__gte=updated_since) | rows.filter(embedded_at__gte=embedded_since)
    fetched = _fetch_binary(
        rows.values_list("id", "domain__slug", "embedding", "is_active", "published_at", "created_at")
    )
    if not fetched:
        return catalog
    ids = list(catalog.item_ids)
    vectors = list(catalog.vectors)
    domains = list(catalog.domains)
    active = list(catalog.active)
    available = list(catalog.available_at)
    for item_id, domain, embedding, is_active, published_at, created_at in fetched:
        values = (domain, is_active, _epoch(published_at or created_at))
        vector = embedding.to_numpy()
        row = catalog.row_of.get(item_id)
        if row is None:
            catalog.row_of[item_id] = len(ids)
            ids.append(item_id)
            vectors.append(vector)
            domains.append(values[0])
            active.append(values[1])
            available.append(values[2])
        else:
            vectors[row] = vector
            domains[row], active[row], available[row] = values
    catalog.item_ids = np.array(ids, dtype=np.int64)
    catalog.vectors = np.stack(vectors) if vectors else catalog.vectors
    catalog.domains = np.array(domains, dtype=object)
    catalog.active = np.array(active, dtype=bool)
    catalog.available_at = np.array(available, dtype=np.float64)
    return catalog


def _load_stats(catalog: Catalog) -> None:
    popularity = np.zeros(len(catalog.item_ids), dtype=np.float32)
    trending = np.zeros(len(catalog.item_ids), dtype=np.float32)
    for item_id, pop, trend in ItemStats.objects.values_list("item_id", "popularity", "trending"):
        row = catalog.row_of.get(item_id)
        if row is not None:
            popularity[row] = pop
            trending[row] = trend
    # Log scale so a blockbuster does not flatten everything else to zero.
    top_popularity, top_trending = popularity.max(initial=0), trending.max(initial=0)
    catalog.popularity = np.log1p(popularity) / math.log1p(top_popularity) if top_popularity > 0 else popularity
    catalog.trending = np.log1p(trending) / math.log1p(top_trending) if top_trending > 0 else trending


def get_catalog() -> Catalog:
    """The current catalog; checks the database for changes at most once a second."""
    global _catalog, _last_check
    if time.monotonic() - _last_check < CHECK_INTERVAL_SECONDS:
        return _catalog
    with _lock:
        if time.monotonic() - _last_check < CHECK_INTERVAL_SECONDS:
            return _catalog
        watermark = _watermark()
        if watermark != _catalog.watermark:
            catalog = _catalog
            items_changed = watermark[:2] != catalog.watermark[:2]
            if items_changed:
                catalog = _load_items(catalog, catalog.watermark)
                catalog.domain_names = dict(Domain.objects.values_list("slug", "name"))
            if items_changed or watermark[2] != catalog.watermark[2]:
                _load_stats(catalog)
            catalog.watermark = watermark
            catalog._derived = {}
            _catalog = catalog
        _last_check = time.monotonic()
    return _catalog


def reset_catalog() -> None:
    """Forget everything (tests switch databases between cases)."""
    global _catalog, _last_check
    with _lock:
        _catalog = Catalog()
        _last_check = 0.0
