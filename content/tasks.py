"""Thin Celery tasks: take ids, call a service, safe to run twice."""

import logging

from celery import shared_task

from content import vectors
from content.models import Item, Profile

logger = logging.getLogger(__name__)

RETRY = {"autoretry_for": (Exception,), "retry_backoff": 2, "retry_backoff_max": 300, "max_retries": 5}


@shared_task(bind=True, **RETRY)
def embed_items(self, item_ids: list[int]) -> int:
    try:
        return vectors.items_embed(item_ids=item_ids)
    except Exception as exc:
        vectors.record_failure(model=Item, ids=item_ids, error=repr(exc))
        raise


@shared_task(bind=True, **RETRY)
def embed_profile(self, profile_id: int) -> bool:
    try:
        return vectors.profile_embed(profile_id=profile_id)
    except Exception as exc:
        vectors.record_failure(model=Profile, ids=[profile_id], error=repr(exc))
        raise


@shared_task
def embedding_sweep() -> dict:
    """Find rows whose vector is missing or stale (failed, never sent, other model, older text) and redo them;
    rows already queued and still pending are left alone."""
    from functools import partial

    from content.enqueue import send

    item_ids = vectors.stale_item_ids()
    for batch in vectors.batched(item_ids):
        send(embed_items, batch, on_sent=partial(vectors.mark_queued, Item, batch))
    profile_ids = vectors.stale_profile_ids()
    for profile_id in profile_ids:
        send(embed_profile, profile_id, on_sent=partial(vectors.mark_queued, Profile, [profile_id]))
    if item_ids or profile_ids:
        logger.info("sweep queued %d items and %d profiles", len(item_ids), len(profile_ids))
    return {"items": len(item_ids), "profiles": len(profile_ids)}


# A concurrent build over a large domain takes minutes; the default task limit is for embedding batches.
@shared_task(soft_time_limit=3300, time_limit=3600)
def ensure_domain_indexes() -> dict:
    """Build the per-domain vector indexes that are missing or invalid, drop those of deleted domains."""
    from content import domain_indexes

    return domain_indexes.ensure()
