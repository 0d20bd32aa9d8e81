"""Rebuilding and storing a person's interests from their bio and history."""

import time
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Greatest
from django.utils import timezone
from pgvector import HalfVector

from content.embedding import get_encoder, to_array
from content.models import Interaction, Item, Profile
from recommendations import dataset, neighbour_sums
from recommendations.interests import (
    Event,
    InterestModel,
    bio_phrases,
    build_interest_model,
    domain_scores,
)
from recommendations.models import Interest, InterestProfile
from recommendations.sources import Scope
from recommendations.sources.database import DatabaseSources

AFFINITY_TOP_ITEMS = 5


def _bio_phrases(profile: Profile | None) -> list[tuple[str, np.ndarray]]:
    if profile is None:
        return []
    whole = to_array(profile.embedding) if profile.embedding is not None else None
    return bio_phrases(profile.bio, whole, get_encoder().encode)


def _events(user_id: int) -> list[Event]:
    rows = Interaction.objects.filter(user_id=user_id).values_list("item_id", "kind", "value", "created_at")
    return dataset.events(
        ((item, kind, value, created_at.timestamp()) for item, kind, value, created_at in rows), now=time.time()
    )


def _domain_affinity(model: InterestModel) -> dict[str, float]:
    """Per domain, the mean weighted similarity of its best-matching items to the person's interests."""
    if not model.interests:
        return {}
    sources = DatabaseSources()
    interests = np.stack([interest.vector for interest in model.interests]).astype(np.float32)
    weights = np.array([interest.weight for interest in model.interests], dtype=np.float32)
    weights /= weights.max()
    affinity = {}
    for domain in sources.domain_names():
        found = sources.nearest(list(interests), k=AFFINITY_TOP_ITEMS, scope=Scope(domain=domain))
        facts = sources.facts(list(dict.fromkeys(found)))
        if len(facts) == 0:
            continue
        best = ((facts.vectors @ interests.T) * (0.6 + 0.4 * weights)).max(axis=1)
        affinity[domain] = float(np.sort(best)[-AFFINITY_TOP_ITEMS:].mean())
    return affinity


def interest_model_compute(*, user_id: int) -> tuple[InterestModel, dict[str, float]]:
    profile = Profile.objects.filter(user_id=user_id).first()
    events = _events(user_id)
    rows = Item.objects.filter(pk__in={event.item_id for event in events}, embedding__isnull=False).values_list(
        "id", "embedding", "title", "domain__slug"
    )
    vectors, titles, domains = {}, {}, {}
    for item_id, embedding, title, domain in rows:
        vectors[item_id] = to_array(embedding)
        titles[item_id] = title
        domains[item_id] = domain
    model = build_interest_model(bio_phrases=_bio_phrases(profile), events=events, vectors=vectors, titles=titles)
    scores = domain_scores(model=model, item_domains=domains, domain_affinity=_domain_affinity(model))
    return model.stored(), scores


def _inputs_changed_at(user_id: int):
    """When anything the interests are built from last changed: feedback, or the bio's vector."""
    return (
        Profile.objects.filter(user_id=user_id)
        .annotate(changed=Greatest("feedback_changed_at", "embedded_at"))
        .values_list("changed", flat=True)
        .first()
    )


@transaction.atomic
def interests_refresh(*, user_id: int) -> InterestProfile | None:
    """Rebuild the user's interests from their bio and history (idempotent)."""
    if not get_user_model().objects.filter(pk=user_id).exists():
        return None
    # Read before the inputs: a change committed while this runs is newer than based_on, so the sweep redoes it.
    based_on = _inputs_changed_at(user_id)
    build = neighbour_sums.current_build()
    model, scores = interest_model_compute(user_id=user_id)
    profile, _ = InterestProfile.objects.select_for_update().update_or_create(
        user_id=user_id,
        defaults={
            "based_on": based_on,
            "refresh_queued_at": None,
            "domain_scores": scores,
            "negative": HalfVector(model.negative) if model.negative is not None else None,
            "positive_items": {str(item): weight for item, weight in model.positive_items.items()},
            "positive_count": len(model.positive_items),
            "negative_count": len(model.negative_items),
            "neighbour_sums": neighbour_sums.compute(model.positive_items, build=build),
        },
    )
    profile.interests.all().delete()
    Interest.objects.bulk_create(
        Interest(
            profile=profile,
            source=interest.source,
            vector=HalfVector(interest.vector),
            weight=interest.weight,
            label=interest.label,
            anchor_item_id=interest.anchor_item_id,
        )
        for interest in model.interests
    )
    return profile


def stale_interest_user_ids() -> list[int]:
    """People whose feedback or bio changed after their interests were built (a lost or failed rebuild), except
    those whose rebuild is queued and still pending."""
    pending_since = timezone.now() - timedelta(seconds=settings.INTERESTS_PENDING_SECONDS)
    interests = InterestProfile.objects.filter(user_id=OuterRef("user_id"))
    return list(
        Profile.objects.annotate(
            changed=Greatest("feedback_changed_at", "embedded_at"),
            based_on=Subquery(interests.values("based_on")[:1]),
            queued=Subquery(interests.values("refresh_queued_at")[:1]),
        )
        .filter(changed__isnull=False)
        .filter(Q(based_on__isnull=True) | Q(based_on__lt=F("changed")))
        .filter(Q(queued__isnull=True) | Q(queued__lt=pending_since))
        .values_list("user_id", flat=True)
    )
