"""Serving's HNSW settings: kept on the connection outside transactions, local to a transaction inside one."""

import numpy as np
import pytest
from django.db import connection, transaction

from recommendations.sources import Scope
from recommendations.sources.database import search
from tests import factories


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_search_outside_a_transaction_leaves_its_width_on_the_connection():
    factories.items_with_random_vectors(5, np.random.default_rng(0))
    query = [np.ones(384, dtype=np.float32) / np.sqrt(384)]

    assert len(search(query, k=3, scopes=[Scope()], width=77)) == 3
    assert (_setting("hnsw.ef_search"), _setting("hnsw.iterative_scan")) == ("77", "relaxed_order")

    search(query, k=3, scopes=[Scope()], width=55)
    assert _setting("hnsw.ef_search") == "55"


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_width_ends_with_it_and_a_rollback_cannot_mislead_the_next_search():
    query = [np.ones(384, dtype=np.float32) / np.sqrt(384)]
    search(query, k=3, scopes=[Scope()], width=60)

    with pytest.raises(RuntimeError), transaction.atomic():
        search(query, k=3, scopes=[Scope()], width=90)
        assert _setting("hnsw.ef_search") == "90"
        raise RuntimeError("rolled back")
    assert _setting("hnsw.ef_search") == "60"

    search(query, k=3, scopes=[Scope()], width=90)
    assert _setting("hnsw.ef_search") == "90"
