"""Writes to content: every change goes through here so embedding and interest updates follow it."""

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from content import covers, events, tasks
from content.enqueue import enqueue_on_commit
from content.models import ITEM_EDITABLE_FIELDS, Domain, Interaction, Item, Profile


def normalize_tags(tags: Iterable[str] | str | None) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = tags.replace(";", ",").replace("|", ",").split(",")
    seen = []
    for tag in tags:
        tag = str(tag).strip().lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


@transaction.atomic
def item_save(*, item: Item) -> Item:
    """Validate and save an item; its vector is (re)made after commit."""
    item.title = (item.title or "").strip()
    item.tags = normalize_tags(item.tags)
    item.full_clean()
    if item.pk is None:
        item.save()
    else:
        # Never write the vector columns from this (possibly stale) object: the worker owns them.
        item.save(update_fields=[*ITEM_EDITABLE_FIELDS, "updated_at"])
    items_embed_later(item_ids=[item.pk])
    return item


def items_embed_later(*, item_ids: list[int]) -> None:
    """Queue items for embedding after commit (one task per batch) and tell subscribers they changed."""
    from content import vectors

    for batch in vectors.batched(item_ids):
        enqueue_on_commit(tasks.embed_items, batch, on_sent=partial(vectors.mark_queued, Item, batch))
    events.items_changed.send(sender=Item, item_ids=item_ids)


def item_create(*, domain: Domain, title: str, **fields) -> Item:
    return item_save(item=Item(domain=domain, title=title, **fields))


def item_update(*, item: Item, **fields) -> Item:
    for name, value in fields.items():
        if name not in ITEM_EDITABLE_FIELDS:
            raise ValueError(f"{name} is not an editable item field")
        setattr(item, name, value)
    return item_save(item=item)


def items_draw_covers(*, item_ids: list[int]) -> int:
    """Give the items that have no picture a cover drawn from their own text; returns how many got one.

    The file name carries the cover's hash, so drawing again after a load or an edit of the text reuses or replaces
    the file instead of piling up copies.
    """
    storage = Item._meta.get_field("image").storage
    drawn = 0
    for item in Item.objects.filter(pk__in=item_ids, image="").select_related("domain").defer("embedding"):
        svg = covers.cover_svg(domain=item.domain.slug, title=item.title, tags=item.tags).encode()
        name = f"covers/{item.pk}-{hashlib.sha256(svg).hexdigest()[:16]}.svg"
        if not storage.exists(name):
            name = storage.save(name, ContentFile(svg))
        drawn += Item.objects.filter(pk=item.pk, image="").update(image=name, updated_at=timezone.now())
    return drawn


@transaction.atomic
def item_deactivate(*, item: Item) -> Item:
    item.is_active = False
    item.save(update_fields=["is_active", "updated_at"])
    events.items_changed.send(sender=Item, item_ids=[item.pk])
    return item


def profile_get_or_create(*, user: AbstractBaseUser) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user, defaults={"display_name": user.get_username()})
    return profile


@transaction.atomic
def profile_update(
    *,
    user: AbstractBaseUser,
    bio: str | None = None,
    display_name: str | None = None,
    explore: float | None = None,
    preferred_domains: Iterable[Domain] | None = None,
) -> Profile:
    profile = profile_get_or_create(user=user)
    bio_changed = bio is not None and bio.strip() != profile.bio
    if bio is not None:
        profile.bio = bio.strip()
    if display_name is not None:
        profile.display_name = display_name.strip()
    if explore is not None:
        profile.explore = explore
    profile.full_clean(exclude=["user"])
    profile.save()
    if preferred_domains is not None:
        profile.preferred_domains.set(preferred_domains)
    if bio_changed:
        profile_embed_later(profile=profile)
    return profile


def profile_embed_later(*, profile: Profile) -> None:
    from content import vectors

    enqueue_on_commit(tasks.embed_profile, profile.pk, on_sent=partial(vectors.mark_queued, Profile, [profile.pk]))


@transaction.atomic
def interaction_record(
    *,
    user: AbstractBaseUser,
    item: Item,
    kind: str,
    value: float | None = None,
    created_at: datetime | None = None,
    client_id: str | None = None,
) -> tuple[Interaction, bool]:
    """Record feedback; returns (interaction, created). A repeated client_id returns the first row."""
    [(interaction, outcome)] = interactions_record_batch(
        user=user,
        entries=[{"item": item, "kind": kind, "value": value, "created_at": created_at, "client_id": client_id}],
    )
    return interaction, outcome == InteractionOutcome.CREATED


# Opening the same item again within this long is one visit: history keeps one view, and interests are not rebuilt.
VIEW_WINDOW = timedelta(minutes=30)


def item_view_record(*, user: AbstractBaseUser, item: Item) -> bool:
    """Record that the person opened the item, once per VIEW_WINDOW; True when a view was recorded."""
    since = timezone.now() - VIEW_WINDOW
    if Interaction.objects.filter(user=user, item=item, kind=Interaction.Kind.VIEW, created_at__gte=since).exists():
        return False
    interaction_record(user=user, item=item, kind=Interaction.Kind.VIEW)
    return True


@transaction.atomic
def interaction_remove(*, user: AbstractBaseUser, interaction_id: int) -> bool:
    """Undo one of the user's own interactions; another user's id does nothing."""
    deleted, _ = Interaction.objects.filter(user=user, pk=interaction_id).delete()
    if deleted:
        feedback_touched(user_ids=[user.pk])
    return bool(deleted)


@transaction.atomic
def interactions_reset(*, user: AbstractBaseUser) -> int:
    """Forget the user's history so recommendations start again from the bio."""
    deleted, _ = Interaction.objects.filter(user=user).delete()
    feedback_touched(user_ids=[user.pk])
    return deleted


def feedback_touched(*, user_ids) -> None:
    """Every change to feedback ends here: stamp when it changed (the interest sweep compares against it) and
    tell subscribers. People without a profile yet get one."""
    user_ids = sorted(set(user_ids))
    now = timezone.now()
    stamped = set(Profile.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True))
    Profile.objects.filter(user_id__in=stamped).update(feedback_changed_at=now)
    Profile.objects.bulk_create(
        [Profile(user_id=user_id, feedback_changed_at=now) for user_id in user_ids if user_id not in stamped],
        ignore_conflicts=True,
    )
    events.feedback_changed.send(sender=Interaction, user_ids=user_ids)


# --- Batches (the API's bulk endpoints) -------------------------------------------------------


@transaction.atomic
def items_upsert(*, rows: list[dict]) -> list[tuple[Item, bool]]:
    """Create or update items matched on external_id, all or none; returns (item, created) per row.

    Fields a row leaves out keep their current value; embedding is queued once per batch of ids after commit.
    """
    results = []
    for fields in rows:
        unknown = set(fields) - set(ITEM_EDITABLE_FIELDS)
        if unknown:
            raise ValueError(f"{sorted(unknown)} are not editable item fields")
        item = Item.objects.select_for_update().filter(external_id=fields["external_id"]).first()
        created = item is None
        item = item or Item()
        for name, value in fields.items():
            setattr(item, name, value)
        item.tags = normalize_tags(item.tags)
        item.full_clean()
        item.save()
        results.append((item, created))
    items_embed_later(item_ids=[item.pk for item, _ in results])
    return results


class InteractionOutcome:
    CREATED = "created"
    UPDATED = "updated"
    DUPLICATE = "duplicate"


def _interaction_write(
    *,
    user: AbstractBaseUser,
    item: Item,
    kind: str,
    value: float | None = None,
    created_at: datetime | None = None,
    client_id: str | None = None,
) -> tuple[Interaction, str]:
    """Validate and write one interaction; like and dislike replace each other, states are one row each."""
    if client_id:
        existing = Interaction.objects.filter(user=user, client_id=client_id).first()
        if existing:
            return existing, InteractionOutcome.DUPLICATE
    if kind not in Interaction.Kind.values:
        raise ValidationError({"kind": f"Unknown interaction kind '{kind}'."})
    if kind == Interaction.Kind.RATING and (value is None or not 1 <= value <= 5):
        raise ValidationError({"value": "A rating needs a value from 1 to 5."})
    if kind != Interaction.Kind.RATING:
        value = None
    extra = {"created_at": created_at} if created_at else {}
    try:
        with transaction.atomic():
            if kind in Interaction.STATE_KINDS:
                opposite = {
                    Interaction.Kind.LIKE: Interaction.Kind.DISLIKE,
                    Interaction.Kind.DISLIKE: Interaction.Kind.LIKE,
                }
                if kind in opposite:
                    Interaction.objects.filter(user=user, item=item, kind=opposite[kind]).delete()
                interaction, created = Interaction.objects.update_or_create(
                    user=user, item=item, kind=kind, defaults={"value": value, "client_id": client_id, **extra}
                )
            else:
                interaction = Interaction.objects.create(user=user, item=item, kind=kind, client_id=client_id, **extra)
                created = True
    except IntegrityError:
        # A concurrent retry carrying the same client_id won the race.
        existing = Interaction.objects.filter(user=user, client_id=client_id).first() if client_id else None
        if existing is None:
            raise
        return existing, InteractionOutcome.DUPLICATE
    return interaction, InteractionOutcome.CREATED if created else InteractionOutcome.UPDATED


@transaction.atomic
def interactions_record_batch(*, user: AbstractBaseUser, entries: list[dict]) -> list[tuple[Interaction, str]]:
    """Record interactions (keyword arguments of interaction_record) for one user, refreshing interests once.

    Returns (interaction, outcome) per entry in order; an entry whose client_id was seen before is a duplicate
    and changes nothing, so a retried batch is never counted twice.
    """
    results = [_interaction_write(user=user, **entry) for entry in entries]
    if any(outcome != InteractionOutcome.DUPLICATE for _, outcome in results):
        feedback_touched(user_ids=[user.pk])
    return results
