"""Reads the website needs beyond the recommender's own selectors."""

from collections import defaultdict

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from content.models import Domain, Interaction, Item

HISTORY_LIMIT = 100


def domain_list() -> QuerySet[Domain]:
    return Domain.objects.all()


def item_get_active(*, pk: int) -> Item | None:
    return Item.objects.select_related("domain").filter(pk=pk, is_active=True).first()


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
    """The user's feedback that can be undone; plain views are left out as they are not a choice."""
    return (
        Interaction.objects.filter(user=user, kind__in=Interaction.STATE_KINDS)
        .select_related("item", "item__domain")
        .order_by("-created_at")[:limit]
    )
