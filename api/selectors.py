"""Reads the API needs that the content app does not offer yet."""

from django.db.models import Q, QuerySet

from content.models import Interaction, Item


def item_list(*, domain: str | None = None, tag: str | None = None, search: str | None = None) -> QuerySet[Item]:
    items = Item.objects.filter(is_active=True).select_related("domain")
    if domain:
        items = items.filter(domain__slug=domain)
    if tag:
        items = items.filter(tags__contains=[tag.strip().lower()])
    if search:
        items = items.filter(Q(title__icontains=search) | Q(description__icontains=search))
    return items


def item_visible(*, user) -> QuerySet[Item]:
    """Items a user may open by id: staff also see deactivated ones (to edit or reactivate them)."""
    items = Item.objects.select_related("domain")
    return items if user.is_staff else items.filter(is_active=True)


def interaction_list(*, user, kind: str | None = None, item_id: int | None = None) -> QuerySet[Interaction]:
    interactions = Interaction.objects.filter(user=user)
    if kind:
        interactions = interactions.filter(kind=kind)
    if item_id is not None:
        interactions = interactions.filter(item_id=item_id)
    return interactions.order_by("-created_at", "-id")
