"""The HNSW search width serving uses, measured on the live catalog (real PostgreSQL and pgvector)."""

from datetime import timedelta

import numpy as np
import pytest
from django.core.cache import cache
from django.utils import timezone

from recommendations import search_width
from recommendations.sources import hnsw
from recommendations.sources.database import shared
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def measured(settings):
    settings.HNSW_SEARCH_WIDTH = None
    settings.HNSW_TARGET_RECALL = 0.9


def _catalog(domain, count: int, seed: int = 0) -> None:
    """Items with random unit vectors written directly: this measures the index, not the embedding model."""
    factories.items_with_random_vectors(count, np.random.default_rng(seed), domain=domain)


def test_serving_searches_as_wide_as_the_last_measurement_says(domains, measured):
    _catalog(domains["books"], 120)
    assert hnsw.search_width() == hnsw.UNMEASURED

    result = search_width.measure_and_store()
    shared.reset()

    # A small catalog is searched exactly at the narrowest width, so that is what serving uses.
    assert result["search_width"] == search_width.LADDER[0]
    assert result["reached"] and result["recall@10"] >= 0.9
    assert result["items"] == 120
    assert hnsw.search_width() == search_width.LADDER[0]


def test_a_recall_that_no_width_reaches_gets_the_widest_and_says_so(domains, measured):
    _catalog(domains["books"], 40)

    result = search_width.measure(target=1.01)

    assert result["search_width"] == search_width.LADDER[-1]
    assert not result["reached"]
    assert list(result["recall_by_width"]) == list(search_width.LADDER)


def test_a_configured_width_overrides_the_measurement(domains, settings):
    settings.HNSW_SEARCH_WIDTH = 321
    cache.set(hnsw.CACHE_KEY, {"search_width": 40})

    assert hnsw.search_width() == 321
    assert search_width.measure_if_due() is None


def test_the_statistics_task_measures_again_only_when_a_day_passed_or_the_catalog_changed_size(domains, measured):
    _catalog(domains["books"], 30)
    first = search_width.measure_if_due()
    assert first is not None

    assert search_width.measure_if_due() is None

    _catalog(domains["movies"], 30, seed=1)
    grown = search_width.measure_if_due()
    assert grown is not None and grown["items"] == 60

    stale = {**grown, "measured_at": (timezone.now() - timedelta(days=2)).isoformat()}
    cache.set(hnsw.CACHE_KEY, stale)
    assert search_width.measure_if_due() is not None


def test_a_measurement_made_elsewhere_reaches_serving_though_no_item_changed(domains, measured, monkeypatch):
    _catalog(domains["books"], 20)
    assert hnsw.search_width() == hnsw.UNMEASURED

    # Another process (the worker) stores a measurement; nothing in the catalog changes.
    cache.set(hnsw.CACHE_KEY, {"search_width": 400})
    assert hnsw.search_width() == hnsw.UNMEASURED  # read at most once per READ_EVERY_SECONDS
    monkeypatch.setattr(hnsw, "READ_EVERY_SECONDS", 0.0)

    assert hnsw.search_width() == 400
