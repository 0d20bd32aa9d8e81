"""Embedding services: make, refresh and sweep the vectors of items and bios."""

import logging
import time
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from content import domain_indexes, events
from content.embedding import get_encoder, text_hash
from content.models import Item, Profile

logger = logging.getLogger(__name__)

SWEEP_BATCH = 64


def _is_current(row, text: str) -> bool:
    return (
        row.embedded_at is not None
        and row.embedding_model == settings.EMBEDDING_MODEL_NAME
        and row.embedding_hash == text_hash(text)
    )


def _embed_rows(rows: list, model) -> int:
    """Embed rows whose vector is missing or stale; returns how many were written.

    Encoding takes a while; an edit can land meanwhile. A vector is stored only if the row's text still hashes to
    what was embedded (checked under a row lock), so a stale vector is never stored as if it were current.
    """
    stale = [row for row in rows if not _is_current(row, row.text_for_embedding)]
    if not stale:
        return 0
    texts = [row.text_for_embedding for row in stale]
    vectors = get_encoder().encode(texts)
    now = timezone.now()
    embedded = {row.pk: (text_hash(text), vector) for row, text, vector in zip(stale, texts, vectors, strict=True)}
    with transaction.atomic():
        current = model.objects.select_for_update().filter(pk__in=embedded).order_by("pk")
        fresh = [row for row in current if text_hash(row.text_for_embedding) == embedded[row.pk][0]]
        for row in fresh:
            row.embedding = embedded[row.pk][1]
            row.embedding_model = settings.EMBEDDING_MODEL_NAME
            row.embedding_hash = embedded[row.pk][0]
            row.embedded_at = now
            row.embedding_error = ""
            row.embedding_attempts = 0
            row.embedding_queued_at = None
        model.objects.bulk_update(fresh, [*VECTOR_FIELDS, "embedding_attempts", "embedding_queued_at"])
        if len(fresh) < len(stale):
            logger.info(
                "%d %s rows changed while embedding; left for their own task", len(stale) - len(fresh), model.__name__
            )
        _announce(model, fresh)
    return len(fresh)


VECTOR_FIELDS = ["embedding", "embedding_model", "embedding_hash", "embedded_at", "embedding_error"]


def _announce(model, rows: list) -> None:
    if not rows:
        return
    if model is Item:
        item_ids = [row.pk for row in rows]
        events.items_changed.send(sender=Item, item_ids=item_ids)
        events.items_embedded.send(sender=Item, item_ids=item_ids)
    else:
        for row in rows:
            events.bio_embedded.send(sender=Profile, user_id=row.user_id)


def items_embed(*, item_ids: list[int]) -> int:
    items = list(Item.objects.filter(pk__in=item_ids))
    return _embed_rows(items, Item)


def profile_embed(*, profile_id: int) -> bool:
    """Embed a bio; an emptied bio loses its vector."""
    profile = Profile.objects.filter(pk=profile_id).first()
    if profile is None:
        return False
    if not profile.text_for_embedding:
        if profile.embedded_at is not None:
            with transaction.atomic():
                Profile.objects.filter(pk=profile.pk).update(
                    embedding=None, embedding_hash="", embedding_model="", embedded_at=None, embedding_queued_at=None
                )
                _announce(Profile, [profile])
            return True
        return False
    return _embed_rows([profile], Profile) == 1


def record_failure(*, model, ids: list[int], error: str) -> None:
    """Count the failure: a row that keeps failing stops being retried by the sweep (and shows in the admin)."""
    model.objects.filter(pk__in=ids).update(
        embedding_error=error[:2000], embedding_attempts=F("embedding_attempts") + 1, embedding_queued_at=None
    )


def mark_queued(model, ids: list[int]) -> None:
    model.objects.filter(pk__in=ids).update(embedding_queued_at=timezone.now())


def _stale(model):
    """Rows without a vector, with one from another model, or edited since embedding; not while a task for them is
    still pending, and not once they have failed too often."""
    pending_since = timezone.now() - timedelta(seconds=settings.EMBEDDING_PENDING_SECONDS)
    return model.objects.filter(
        Q(embedded_at__isnull=True)
        | ~Q(embedding_model=settings.EMBEDDING_MODEL_NAME)
        | Q(updated_at__gt=F("embedded_at")),
        Q(embedding_queued_at__isnull=True) | Q(embedding_queued_at__lt=pending_since),
        embedding_attempts__lt=settings.EMBEDDING_MAX_ATTEMPTS,
    )


def stale_item_ids(limit: int | None = None) -> list[int]:
    candidates = _stale(Item).only("title", "description", "tags", "embedded_at", "embedding_model", "embedding_hash")
    ids = [item.pk for item in candidates.iterator(chunk_size=2000) if not _is_current(item, item.text_for_embedding)]
    return ids[:limit] if limit else ids


def stale_profile_ids() -> list[int]:
    candidates = _stale(Profile).exclude(bio="").only("bio", "embedded_at", "embedding_model", "embedding_hash")
    return [p.pk for p in candidates.iterator(chunk_size=2000) if not _is_current(p, p.text_for_embedding)]


def embedding_coverage() -> dict:
    return {
        "items": Item.objects.count(),
        "items_embedded": Item.objects.filter(embedded_at__isnull=False).count(),
        "profiles_with_bio": Profile.objects.exclude(bio="").count(),
        "profiles_embedded": Profile.objects.exclude(bio="").filter(embedded_at__isnull=False).count(),
    }


def batched(ids: list[int], size: int = SWEEP_BATCH) -> list[list[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


# Loads bigger than this drop the item HNSW index and build it once afterwards.
BULK_LOAD_ROWS = 20_000


@contextmanager
def hnsw_deferred(*, log=None):
    """Bulk loads: pgvector maintains an HNSW index row by row, far slower than building it once over the loaded
    rows, so the index is dropped for the load and built afterwards with memory sized from this machine."""
    from platform_site.embedded.keeper import server_settings

    index = domain_indexes.catalog_index()
    with connection.schema_editor() as editor:
        editor.execute(f"DROP INDEX IF EXISTS {index.name}")
    domain_indexes.drop_all()
    try:
        yield
    finally:
        started = time.perf_counter()
        sizing = server_settings()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SET maintenance_work_mem = '{settings.HNSW_BUILD_MEMORY or sizing['maintenance_work_mem']}'"
            )
            cursor.execute(f"SET max_parallel_maintenance_workers = {int(sizing['max_parallel_maintenance_workers'])}")
        with connection.schema_editor() as editor:
            editor.add_index(Item, index)
        if log:
            log(f"built the HNSW index in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        domain_indexes.ensure(concurrently=False)
        if log:
            log(f"built the per-domain HNSW indexes in {time.perf_counter() - started:.1f} s")
