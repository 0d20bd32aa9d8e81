"""One HNSW index per domain, beside the catalog-wide one.

A domain tab or a search for other domains' items filters by domain. On the catalog-wide index pgvector finds those
rows by walking past every nearer item of the other domains (an iterative scan), and a person's interest in books is
surrounded by books: at a million items that is thousands of rows per query. A partial index per domain answers the
same query directly.

Queries never depend on these indexes: PostgreSQL uses one when it exists and is valid, and the filtered search on
the catalog-wide index otherwise, so an index being built changes how fast a feed is, not what it holds.
"""

import logging

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from pgvector.django import HnswIndex

from content.models import Domain, Item

logger = logging.getLogger(__name__)

PREFIX = "item_embedding_hnsw_domain_"
# Held while indexes are created or dropped, so two workers never build the same one.
LOCK_KEY = 0x0D0_1DE7


def catalog_index() -> HnswIndex:
    """The catalog-wide item index, as the model declares it."""
    return next(index for index in Item._meta.indexes if index.name == "item_embedding_hnsw")


def index_for(domain_id: int) -> HnswIndex:
    """The catalog-wide index's definition, restricted to one domain."""
    catalog = catalog_index()
    return HnswIndex(
        name=f"{PREFIX}{domain_id}",
        fields=catalog.fields,
        m=catalog.m,
        ef_construction=catalog.ef_construction,
        opclasses=catalog.opclasses,
        condition=Q(domain_id=domain_id),
    )


def existing() -> dict[int, bool]:
    """Domain id -> whether its index is usable (an interrupted concurrent build leaves an invalid one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, x.indisvalid FROM pg_index x
            JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = %s AND c.relname LIKE %s
            """,
            [Item._meta.db_table, PREFIX + "%"],
        )
        return {int(name.removeprefix(PREFIX)): valid for name, valid in cursor.fetchall()}


def validity(domain_id_column: str) -> RawSQL:
    """The same, as a column for a query over domains: true, false (interrupted build) or null (not built)."""
    return RawSQL(
        f"SELECT x.indisvalid FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
        f"WHERE c.relname = %s::text || {domain_id_column}",
        [PREFIX],
    )


def usable() -> set[int]:
    return {domain_id for domain_id, valid in existing().items() if valid}


def ensure(*, concurrently: bool | None = None, log=None) -> dict:
    """Create the missing domains' indexes, rebuild invalid ones and drop those of deleted domains.

    By default the builds are concurrent outside a transaction, so items stay writable meanwhile; a bulk load builds
    them plainly, which is faster. Returns what changed, or busy when another process is at it."""
    if concurrently is None:
        concurrently = not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if not cursor.fetchone()[0]:
            return {"created": [], "dropped": [], "busy": True}
    try:
        found = existing()
        wanted = set(Domain.objects.values_list("pk", flat=True))
        stale = sorted(domain_id for domain_id, valid in found.items() if domain_id not in wanted or not valid)
        missing = sorted(domain_id for domain_id in wanted if domain_id not in found or not found[domain_id])
        with connection.schema_editor(atomic=False) as editor:
            for domain_id in stale:
                editor.remove_index(Item, index_for(domain_id), concurrently=concurrently)
            for domain_id in missing:
                editor.add_index(Item, index_for(domain_id), concurrently=concurrently)
                if log:
                    log(f"built the HNSW index of domain {domain_id}")
        if stale or missing:
            logger.info("domain indexes: built %s, dropped %s", missing, stale)
        return {"created": missing, "dropped": [d for d in stale if d not in wanted], "busy": False}
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def drop_all() -> None:
    """Before a bulk load: like the catalog-wide index, these are built faster once after it than row by row."""
    with connection.schema_editor() as editor:
        for domain_id in existing():
            editor.remove_index(Item, index_for(domain_id))
