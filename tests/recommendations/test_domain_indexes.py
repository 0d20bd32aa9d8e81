"""Per-domain HNSW indexes (real PostgreSQL and pgvector): built per domain, used by domain-filtered searches, and
never changing what a search finds."""

import numpy as np
import pytest
from django.db import transaction
from pgvector import HalfVector

from content import domain_indexes
from content.models import Domain
from recommendations import search_width
from recommendations.sources import Scope, hnsw
from recommendations.sources import database as database_sources
from recommendations.sources.database import DatabaseSources, shared
from tests import factories

pytestmark = pytest.mark.django_db


def _catalog(domains, per_domain: int, seed: int = 0) -> dict[int, tuple[str, np.ndarray]]:
    """Items with random unit vectors written directly: this is about the indexes, not the embedding model."""
    rng = np.random.default_rng(seed)
    return {
        pk: (slug, vector)
        for slug in ("books", "movies", "podcasts")
        for pk, vector in factories.items_with_random_vectors(per_domain, rng, domain=domains[slug])
    }


def _exact(written, query: np.ndarray, k: int, leave_out: str) -> list[int]:
    distance = {pk: 1.0 - float(vector @ query) / float(np.linalg.norm(vector)) for pk, (_, vector) in written.items()}
    kept = [pk for pk, (slug, _) in written.items() if slug != leave_out]
    return sorted(kept, key=lambda pk: distance[pk])[:k]


def test_every_domain_gets_its_own_index_and_a_deleted_domain_loses_it(domains):
    empty = factories.DomainFactory(slug="comics")

    result = domain_indexes.ensure()

    assert sorted(result["created"]) == sorted(Domain.objects.values_list("pk", flat=True))
    assert domain_indexes.existing() == dict.fromkeys(Domain.objects.values_list("pk", flat=True), True)
    assert domain_indexes.ensure()["created"] == []  # nothing to do twice

    empty_pk = empty.pk
    empty.delete()
    result = domain_indexes.ensure()

    assert result["dropped"] == [empty_pk]
    assert empty_pk not in domain_indexes.existing()


def test_a_domain_filtered_search_can_use_that_domains_index(domains, build_domain_indexes):
    _catalog(domains, 5)
    build_domain_indexes()
    where, params = database_sources._scope_sql(Scope(domain="movies"))
    query = HalfVector(np.ones(384) / np.sqrt(384))

    with transaction.atomic(), database_sources.binary_cursor() as cursor:
        # Tiny tables are cheaper to scan; what matters is that the domain's index answers the filter at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            f"EXPLAIN SELECT i.id FROM content_item i WHERE {where} ORDER BY i.embedding <=> %(q)s LIMIT 5",
            params | {"q": query},
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert f"{domain_indexes.PREFIX}{domains['movies'].pk}" in plan


def test_leaving_a_domain_out_finds_the_nearest_other_items_either_way(domains, build_domain_indexes):
    written = _catalog(domains, 40)
    rng = np.random.default_rng(1)
    queries = [vector / np.linalg.norm(vector) for vector in rng.normal(size=(3, 384))]
    scope = Scope(exclude_domains=("books",))
    expected = [pk for query in queries for pk in _exact(written, query, 8, "books")]

    assert database_sources.per_domain_scopes(scope) is None  # no domain indexes yet
    on_the_catalog = database_sources.search(queries, k=8, scopes=[scope])

    build_domain_indexes()
    shared.reset()
    split = database_sources.per_domain_scopes(scope)
    assert [each.domain for each in split] == ["articles", "courses", "movies", "podcasts"]
    per_domain = database_sources.search(queries, k=8, scopes=split)

    assert per_domain == expected
    assert sorted(on_the_catalog) == sorted(expected)


def test_serving_leaves_domains_out_the_way_the_measurement_found_faster(
    domains, build_domain_indexes, monkeypatch, settings
):
    settings.HNSW_SEARCH_WIDTH = None
    _catalog(domains, 30)
    build_domain_indexes()
    searched = []
    real_search = database_sources.search
    monkeypatch.setattr(
        database_sources, "search", lambda vectors, **options: searched.append(len(options["scopes"])) or []
    )
    query = [np.ones(384, dtype=np.float32) / np.sqrt(384)]
    scope = Scope(exclude_domains=("books",))

    DatabaseSources().nearest(query, k=5, scope=scope)  # not measured yet: the domains' own indexes
    monkeypatch.setattr(database_sources, "search", real_search)
    measured = search_width.measure_and_store(target=0.5)
    monkeypatch.setattr(
        database_sources, "search", lambda vectors, **options: searched.append(len(options["scopes"])) or []
    )
    DatabaseSources().nearest(query, k=5, scope=scope)

    timings = measured["cross_domain"]["ms_p50_p95_mean"]
    assert measured["cross_domain"]["per_domain"] == (timings["per_domain"][2] <= timings["catalog"][2])
    assert searched == [4, 4 if measured["cross_domain"]["per_domain"] else 1]


def test_a_bulk_load_rebuilds_the_domain_indexes(domains):
    from content.vectors import hnsw_deferred

    domain_indexes.ensure()
    with hnsw_deferred():
        assert domain_indexes.existing() == {}
    assert domain_indexes.existing() == {domain.pk: True for domain in domains.values()}


def test_a_measurement_before_the_domain_indexes_exist_leaves_the_choice_open(domains, settings):
    settings.HNSW_SEARCH_WIDTH = None
    _catalog(domains, 20)

    measured = search_width.measure_and_store(target=0.5)

    assert measured["cross_domain"] == {"reason": "no per-domain indexes yet"}
    assert hnsw.searches_per_domain()  # taken once the worker has built them
