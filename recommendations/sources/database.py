"""Candidate sources backed by PostgreSQL: pgvector HNSW, the stored neighbour lists, statistics and interests.

Nothing about the catalog is held per process beyond a few lists that are the same for everyone (popular,
trending, fresh, domain centres), refreshed when the catalog version changes. Vectors of the few hundred
candidates of a request are fetched in binary, so memory does not grow with the catalog.
"""

import json
import threading
import time

import numpy as np
import psycopg
from django.core.cache import cache
from django.db import connection
from pgvector import HalfVector
from pgvector.psycopg import register_vector

from recommendations import collaborative
from recommendations.sources import Facts, Scope, hnsw

VERSION_CHECK_SECONDS = 1.0
# How often a process looks for per-domain vector indexes the worker has built (content.domain_indexes).
INDEX_CHECK_SECONDS = 60.0


def binary_cursor() -> psycopg.Cursor:
    """A raw psycopg cursor on Django's connection that returns binary rows (vectors as numpy, no text parsing)."""
    connection.ensure_connection()
    raw = connection.connection
    if not getattr(raw, "_platform_vectors", False):
        register_vector(raw)
        raw._platform_vectors = True
    return psycopg.Cursor(raw)


def _scope_sql(scope: Scope, alias: str = "i", suffix: str = "") -> tuple[str, dict]:
    """The scope as a WHERE clause and its parameters (named with `suffix`, so several scopes fit in one query).
    Domains are bound as ids, not looked up by slug in a subquery: with a value PostgreSQL can answer a domain filter
    from that domain's own HNSW index."""
    clauses = [f"{alias}.is_active", f"{alias}.embedding IS NOT NULL"]
    params: dict = {}
    ids = domain_ids() if scope.domain or scope.exclude_domains else {}
    if scope.domain:
        clauses.append(f"{alias}.domain_id = %(scope_domain{suffix})s")
        params[f"scope_domain{suffix}"] = ids.get(scope.domain, -1)
    if scope.exclude_domains:
        clauses.append(f"{alias}.domain_id <> ALL(%(scope_exclude{suffix})s)")
        params[f"scope_exclude{suffix}"] = [ids[slug] for slug in scope.exclude_domains if slug in ids]
    if scope.within is not None:
        clauses.append(f"{alias}.id = ANY(%(scope_within{suffix})s)")
        params[f"scope_within{suffix}"] = sorted(scope.within)
    return " AND ".join(clauses), params


def _top(scores: dict[int, float], limit: int) -> list[int]:
    # Ties by id, as ORDER BY score DESC, id does.
    return sorted((item for item in scores if scores[item] > 0), key=lambda item: (-scores[item], item))[:limit]


# A rebuild of the neighbour lists replaces every row with new ones, numbered after all the old: the build's range
# of ids tells builds apart (an item deleted since takes its rows along, never the whole range).
_BUILD_SQL = "SELECT min(id), max(id) FROM recommendations_coengagement"
_VERSION_SQL = """
SELECT (SELECT max(updated_at) FROM content_item), (SELECT max(embedded_at) FROM content_item),
       (SELECT max(updated_at) FROM recommendations_itemstats),
       (SELECT min(id) FROM recommendations_coengagement), (SELECT max(id) FROM recommendations_coengagement)
"""


class _Shared:
    """Lists that are the same for every request until the catalog changes; one copy per process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.version = None
        self.checked = 0.0
        self.values: dict = {}
        self.timed: dict = {}

    def current_version(self):
        if time.monotonic() - self.checked >= VERSION_CHECK_SECONDS:
            with connection.cursor() as cursor:
                cursor.execute(_VERSION_SQL)
                version = tuple(cursor.fetchone())
            with self.lock:
                if version != self.version:
                    self.version, self.values = version, {}
                self.checked = time.monotonic()
        return self.version

    def get(self, key, compute):
        self.current_version()
        with self.lock:
            if key in self.values:
                return self.values[key]
        value = compute()
        with self.lock:
            self.values[key] = value
        return value

    def every(self, seconds: float, key, compute):
        """A value that does not follow the catalog's version (the database's own state), recomputed this often."""
        with self.lock:
            found = self.timed.get(key)
        if found is not None and time.monotonic() - found[0] < seconds:
            return found[1]
        value = compute()
        with self.lock:
            self.timed[key] = (time.monotonic(), value)
        return value

    def reset(self):
        with self.lock:
            self.version, self.checked, self.values, self.timed = None, 0.0, {}, {}


shared = _Shared()


def catalog_version() -> tuple:
    """Changes whenever an item is added, edited or embedded, or statistics or neighbour lists are rebuilt."""
    return shared.current_version()


def items_version() -> tuple:
    """Changes whenever an item is added, edited or embedded. Cached feeds are keyed by it, not by the statistics
    refresh: a refresh every few minutes would expire every cached feed at once, while popularity moves slowly and
    the feed cache's lifetime bounds how stale it can be."""
    return shared.current_version()[:2]


def neighbours_build(*, fresh: bool = False) -> tuple[int | None, int | None]:
    """The first and last row id of the neighbour lists serving reads ((None, None) while there are none); `fresh`
    asks the database now rather than going by this process's last look (at most VERSION_CHECK_SECONDS old)."""
    if not fresh:
        return tuple(shared.current_version()[3:5])
    with connection.cursor() as cursor:
        cursor.execute(_BUILD_SQL)
        return tuple(cursor.fetchone())


def domain_ids() -> dict[str, int]:
    from content.models import Domain

    return shared.get("domain_ids", lambda: dict(Domain.objects.values_list("slug", "pk")))


def indexed_domains() -> frozenset[int]:
    """Domains with a usable HNSW index of their own (built by the worker; looked up once a minute)."""
    from content import domain_indexes

    return shared.every(INDEX_CHECK_SECONDS, "indexed_domains", lambda: frozenset(domain_indexes.usable()))


def per_domain_scopes(scope: Scope) -> list[Scope] | None:
    """Leaving some domains out, as one search per remaining domain, when each has its own index (None if not)."""
    if scope.domain or not scope.exclude_domains:
        return None
    targets = {slug: pk for slug, pk in domain_ids().items() if slug not in scope.exclude_domains}
    if not targets or not set(targets.values()) <= indexed_domains():
        return None
    return [Scope(domain=slug, within=scope.within) for slug in sorted(targets)]


def search(vectors, *, k: int, scopes: list[Scope], width: int | None = None) -> list[int]:
    """The k nearest items to each vector within the union of `scopes`, concatenated in order of the vectors;
    searched as wide as serving does unless `width` says otherwise."""
    searches, params = [], {}
    for number, each in enumerate(scopes):
        where, each_params = _scope_sql(each, suffix=str(number))
        params |= each_params
        searches.append(
            f"(SELECT i.id, i.embedding <=> q.vector AS distance FROM content_item i WHERE {where}"
            " ORDER BY i.embedding <=> q.vector LIMIT %(k)s)"
        )
    sql = f"""
        SELECT q.position, near.id, near.distance
        FROM unnest(%(queries)b::halfvec[]) WITH ORDINALITY AS q(vector, position)
        CROSS JOIN LATERAL ({" UNION ALL ".join(searches)}) near
    """
    params |= {"queries": [HalfVector(np.asarray(v, dtype=np.float32)) for v in vectors], "k": k}
    with binary_cursor() as cursor:
        hnsw.serve_with(cursor, max(width or hnsw.search_width(), int(k)))
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if len(scopes) == 1:
        return [item for _, item, _ in rows]
    # Per query vector, the k nearest over every searched domain: what one search leaving domains out returns.
    found: dict[int, list[tuple[float, int]]] = {}
    for position, item, distance in rows:
        found.setdefault(position, []).append((distance, item))
    return [item for position in sorted(found) for _, item in sorted(found[position])[:k]]


class DatabaseSources:
    def nearest(self, vectors, *, k, scope):
        if not vectors:
            return []
        # Leaving the person's own domain out, the catalog-wide index walks past every nearer item of that domain
        # (cheap while domains are small, thousands of rows at a million items); the domains' own indexes cost a
        # search per domain instead. The search-width measurement times both on this catalog and says which.
        split = per_domain_scopes(scope) if hnsw.searches_per_domain() else None
        return search(vectors, k=k, scopes=split or [scope])

    def neighbours(self, anchors, *, limits, scope):
        """Summed in the database, so a long history does not ship thousands of rows per request."""
        if not anchors:
            return {kind: ({}, {}) for kind in limits}
        kinds = list(limits)
        strongest = set(collaborative.anchor_weights(anchors, collaborative.COSINE))
        ids = list(anchors)
        where, params = _scope_sql(scope)
        sql = f"""
            WITH anchors(item_id, weight, strongest) AS (
                SELECT * FROM unnest(%(ids)s::bigint[], %(weights)s::float8[], %(strongest)s::bool[])),
            kinds(kind, unweighted, size) AS (
                SELECT * FROM unnest(%(kinds)s::text[], %(unweighted)s::bool[], %(sizes)s::int[])),
            summed AS MATERIALIZED (
                SELECT n.kind, n.neighbor_id,
                    sum(n.score * CASE WHEN k.unweighted THEN 1.0 ELSE a.weight END) AS score,
                    max(ARRAY[n.score * CASE WHEN k.unweighted THEN 1.0 ELSE a.weight END, n.item_id]) AS best
                FROM recommendations_coengagement n
                JOIN kinds k ON k.kind = n.kind
                JOIN anchors a ON a.item_id = n.item_id AND (k.unweighted OR a.strongest)
                WHERE n.item_id = ANY(%(ids)s)
                GROUP BY n.kind, n.neighbor_id
            )
            -- Per kind, best first, and only as far down as it takes to fill the list with items in scope: looking
            -- every summed neighbour up in the catalog cost half of this query.
            SELECT k.kind, r.neighbor_id, r.score, r.anchor FROM kinds k CROSS JOIN LATERAL (
                SELECT s.neighbor_id, s.score, s.best[2]::bigint AS anchor
                FROM (
                    -- OFFSET 0 keeps the planner from joining before sorting (it cannot tell how many rows a CTE has).
                    SELECT * FROM summed WHERE kind = k.kind AND score > 0 ORDER BY score DESC, neighbor_id OFFSET 0
                ) s
                WHERE EXISTS (SELECT FROM content_item i WHERE i.id = s.neighbor_id AND {where})
                ORDER BY s.score DESC, s.neighbor_id LIMIT k.size
            ) r
        """
        params |= {
            "ids": ids,
            "weights": [float(anchors[item]) for item in ids],
            "strongest": [item in strongest for item in ids],
            "kinds": kinds,
            "unweighted": [kind in collaborative.UNWEIGHTED for kind in kinds],
            "sizes": [limits[kind] for kind in kinds],
        }
        with binary_cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        result = {kind: ({}, {}) for kind in kinds}
        for kind, neighbour, score, anchor in rows:
            result[kind][0][neighbour] = score
            result[kind][1][neighbour] = anchor
        return result

    def people(self, vector, *, k, exclude_user, limit, scope):
        sql = """
            SELECT 1 - (p.embedding <=> %(vector)b), ip.positive_items
            FROM content_profile p JOIN recommendations_interestprofile ip ON ip.user_id = p.user_id
            WHERE p.embedding IS NOT NULL AND ip.positive_count > 0 AND p.user_id <> %(me)s
            ORDER BY p.embedding <=> %(vector)b LIMIT %(k)s
        """
        params = {"vector": HalfVector(np.asarray(vector, dtype=np.float32)), "me": exclude_user or 0, "k": k}
        with binary_cursor() as cursor:
            hnsw.serve_with(cursor, max(hnsw.search_width(), k))
            cursor.execute(sql, params)
            # Django reads jsonb as text on its connections and decodes it itself.
            found = [
                (float(similarity), {int(item): weight for item, weight in json.loads(liked).items()})
                for similarity, liked in cursor.fetchall()
            ]
        scores = collaborative.people_scores(found)
        if not scores:
            return {}
        where, params = _scope_sql(scope)
        with binary_cursor() as cursor:
            cursor.execute(
                f"SELECT i.id FROM content_item i WHERE i.id = ANY(%(ids)s) AND {where}", params | {"ids": list(scores)}
            )
            allowed = {row[0] for row in cursor.fetchall()}
        return {item: scores[item] for item in _top({item: scores[item] for item in allowed}, limit)}

    def _ranked_ids(self, order_by: str, condition: str, limit: int, scope: Scope) -> list[int]:
        where, params = _scope_sql(scope)
        sql = f"""
            SELECT i.id FROM content_item i LEFT JOIN recommendations_itemstats s ON s.item_id = i.id
            WHERE {where} AND {condition} ORDER BY {order_by}, i.id LIMIT %(limit)s
        """
        with binary_cursor() as cursor:
            cursor.execute(sql, params | {"limit": limit})
            return [row[0] for row in cursor.fetchall()]

    def popular(self, *, limit_per_domain, scope):
        def compute():
            domains = [scope.domain] if scope.domain else sorted(self.domain_names())
            return [
                item
                for domain in domains
                if domain not in scope.exclude_domains
                for item in self._ranked_ids(
                    "s.popularity DESC", "s.popularity > 0", limit_per_domain, Scope(domain, within=scope.within)
                )
            ]

        return shared.get(("popular", limit_per_domain, scope), compute)

    def trending(self, *, limit, scope):
        return shared.get(
            ("trending", limit, scope), lambda: self._ranked_ids("s.trending DESC", "s.trending > 0", limit, scope)
        )

    def fresh(self, *, limit, scope):
        return shared.get(
            ("fresh", limit, scope),
            lambda: self._ranked_ids("coalesce(i.published_at, i.created_at) DESC", "TRUE", limit, scope),
        )

    def facts(self, ids):
        # Statistics are looked up per item (the LIMIT keeps the planner from flattening the join): as a plain join,
        # the planner could hash a few hundred ids against a sequential scan of every item's statistics (13 ms
        # against 3 ms at 100k items).
        sql = """
            SELECT i.id, d.slug, halfvec_send(i.embedding), coalesce(s.popularity, 0)::float8, coalesce(s.trending, 0)::float8,
                   coalesce(s.engagement, 0)::float8,
                   extract(epoch FROM coalesce(i.published_at, i.created_at))::float8, i.is_active
            FROM content_item i JOIN content_domain d ON d.id = i.domain_id
            LEFT JOIN LATERAL (
                SELECT popularity, trending, engagement FROM recommendations_itemstats WHERE item_id = i.id LIMIT 1
            ) s ON TRUE
            WHERE i.id = ANY(%(ids)s) AND i.embedding IS NOT NULL
        """
        with binary_cursor() as cursor:
            cursor.execute(sql, {"ids": list(ids)}, binary=True)
            rows = cursor.fetchall()
        if not rows:
            return Facts.empty()
        # Keep the order asked for (the pool's order), as the in-memory sources do.
        position = {item: index for index, item in enumerate(ids)}
        rows.sort(key=lambda row: position[row[0]])
        item_ids, domains, vectors, popularity, trending, engagement, published, active = zip(*rows, strict=True)
        return Facts(
            ids=np.array(item_ids, dtype=np.int64),
            vectors=halfvecs(vectors),
            domains=np.array(domains, dtype=object),
            popularity=np.array(popularity, dtype=np.float32),
            trending=np.array(trending, dtype=np.float32),
            engagement=np.array(engagement, dtype=np.float32),
            published=np.array(published, dtype=np.float64),
            active=np.array(active, dtype=bool),
        )

    def titles(self, ids):
        from content.models import Item

        return dict(Item.objects.filter(pk__in=list(ids)).values_list("id", "title"))

    def domain_names(self):
        from content.models import Domain

        return shared.get("domain_names", lambda: dict(Domain.objects.values_list("slug", "name")))

    def domain_centres(self):
        return shared.get("domain_centres", domain_centres_shared)


def halfvecs(sent: tuple[bytes, ...]) -> np.ndarray:
    """Rows of halfvec_send output (dimensions and a spare int16, then big-endian float16 values) as one float32
    matrix: one conversion for the whole pool rather than an object per row."""
    dimensions = int.from_bytes(sent[0][:2], "big")
    return np.frombuffer(b"".join(sent), dtype=">f2").reshape(len(sent), dimensions + 2)[:, 2:].astype(np.float32)


# Each domain's mean vector moves by 1/N per edit: the statistics task recomputes it (one pass over the catalog,
# seconds at a million items) and every process reads it from the shared cache, instead of each process scanning
# the catalog after every edit.
DOMAIN_CENTRES_KEY = "recommendations:domain-centres"


def domain_centres_compute() -> dict[str, np.ndarray]:
    """Each domain's mean item vector, unit length."""
    sql = """
        SELECT d.slug, avg(i.embedding::vector) FROM content_item i JOIN content_domain d ON d.id = i.domain_id
        WHERE i.embedding IS NOT NULL GROUP BY d.slug
    """
    with binary_cursor() as cursor:
        cursor.execute(sql, binary=True)
        centres = {}
        for slug, mean in cursor.fetchall():
            vector = mean.to_numpy().astype(np.float32)
            centres[slug] = vector / max(float(np.linalg.norm(vector)), 1e-9)
        return centres


def domain_centres_store() -> int:
    centres = domain_centres_compute()
    cache.set(DOMAIN_CENTRES_KEY, centres, timeout=None)
    return len(centres)


def domain_centres_shared() -> dict[str, np.ndarray]:
    """From the shared cache; computed here only before the statistics task first stored them."""
    centres = cache.get(DOMAIN_CENTRES_KEY)
    if centres is None:
        centres = domain_centres_compute()
        cache.add(DOMAIN_CENTRES_KEY, centres, timeout=None)
    return centres
