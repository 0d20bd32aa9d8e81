"""Reads of content for the website and the API."""

from collections import defaultdict

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import Q, QuerySet

from content.models import Domain, Interaction, Item

HISTORY_LIMIT = 100
# How long the answer to "does the catalog have more than one language?" is reused; it changes with whole imports.
LANGUAGES_CACHE_SECONDS = 300


def domain_list() -> QuerySet[Domain]:
    return Domain.objects.all()


def item_list(*, domain: str | None = None, tag: str | None = None, search: str | None = None) -> QuerySet[Item]:
    items = Item.objects.filter(is_active=True).select_related("domain").defer("embedding")
    if domain:
        items = items.filter(domain__slug=domain)
    if tag:
        items = items.filter(tags__contains=[tag.strip().lower()])
    if search:
        items = items.filter(Q(title__icontains=search) | Q(description__icontains=search))
    return items


def item_get_active(*, pk: int) -> Item | None:
    return Item.objects.select_related("domain").defer("embedding").filter(pk=pk, is_active=True).first()


def catalog_is_multilingual() -> bool:
    """Whether active items come in more than one language (only then is an item's language worth showing)."""
    multilingual = cache.get("catalog:multilingual")
    if multilingual is None:
        languages = Item.objects.filter(is_active=True).order_by().values("language").distinct()[:2]
        multilingual = len(languages) > 1
        cache.set("catalog:multilingual", multilingual, LANGUAGES_CACHE_SECONDS)
    return multilingual


def saved_list(*, user: AbstractBaseUser) -> QuerySet[Interaction]:
    """The user's saves of active items, newest first, with their items."""
    return (
        Interaction.objects.filter(user=user, kind=Interaction.Kind.SAVE, item__is_active=True)
        .select_related("item", "item__domain")
        .defer("item__embedding")
        .order_by("-created_at", "-id")
    )


def item_visible(*, user) -> QuerySet[Item]:
    """Items a user may open by id: staff also see deactivated ones (to edit or reactivate them)."""
    items = Item.objects.select_related("domain").defer("embedding")
    return items if user.is_staff else items.filter(is_active=True)


def interaction_list(*, user, kind: str | None = None, item_id: int | None = None) -> QuerySet[Interaction]:
    interactions = Interaction.objects.filter(user=user)
    if kind:
        interactions = interactions.filter(kind=kind)
    if item_id is not None:
        interactions = interactions.filter(item_id=item_id)
    return interactions.order_by("-created_at", "-id")


def feedback_states(*, user: AbstractBaseUser, item_ids: list[int]) -> dict[int, dict[str, Interaction]]:
    """{item id: {kind: interaction}} of the user's toggled states, for showing buttons as pressed."""
    states: dict[int, dict[str, Interaction]] = defaultdict(dict)
    if not user.is_authenticated or not item_ids:
        return states
    rows = Interaction.objects.filter(user=user, item_id__in=item_ids, kind__in=Interaction.STATE_KINDS)
    for interaction in rows:
        states[interaction.item_id][interaction.kind] = interaction
    return states


def feedback_history(*, user: AbstractBaseUser, limit: int = HISTORY_LIMIT) -> QuerySet[Interaction]:
    """Everything the user did that recommendations learn from (views included), newest first; each can be undone."""
    return (
        Interaction.objects.filter(user=user)
        .select_related("item", "item__domain")
        .defer("item__embedding")
        .order_by("-created_at")[:limit]
    )
