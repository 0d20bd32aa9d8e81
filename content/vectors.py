"""Embedding services: make, refresh and sweep the vectors of items and bios."""

import logging

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

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
    """Embed rows whose vector is missing or stale; returns how many were written."""
    stale = [row for row in rows if not _is_current(row, row.text_for_embedding)]
    if not stale:
        return 0
    texts = [row.text_for_embedding for row in stale]
    vectors = get_encoder().encode(texts)
    now = timezone.now()
    for row, text, vector in zip(stale, texts, vectors, strict=True):
        row.embedding = vector
        row.embedding_model = settings.EMBEDDING_MODEL_NAME
        row.embedding_hash = text_hash(text)
        row.embedded_at = now
        row.embedding_error = ""
    model.objects.bulk_update(
        stale, ["embedding", "embedding_model", "embedding_hash", "embedded_at", "embedding_error"]
    )
    return len(stale)


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
            Profile.objects.filter(pk=profile.pk).update(
                embedding=None, embedding_hash="", embedding_model="", embedded_at=None
            )
            return True
        return False
    return _embed_rows([profile], Profile) == 1


def record_failure(*, model, ids: list[int], error: str) -> None:
    model.objects.filter(pk__in=ids).update(embedding_error=error[:2000])


def _stale(model):
    """Rows without a vector, with one from another model, or edited since embedding."""
    return model.objects.filter(
        Q(embedded_at__isnull=True)
        | ~Q(embedding_model=settings.EMBEDDING_MODEL_NAME)
        | Q(updated_at__gt=F("embedded_at"))
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
