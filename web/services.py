"""Website compositions of content and recommendation services."""

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from content.models import Interaction, Item
from content.services import interaction_record, interaction_remove, profile_get_or_create

logger = logging.getLogger(__name__)


@transaction.atomic
def user_sign_up(*, form) -> AbstractBaseUser:
    """Create the account and its profile together, so every signed-up user has one."""
    user = form.save()
    profile_get_or_create(user=user)
    return user


def profile_personalize_now(*, user: AbstractBaseUser) -> bool:
    """Embed the bio and rebuild interests in this request so the very next page is personal.

    The worker does the same after commit; doing it here only saves the new user a wait.
    Returns False when it could not (the worker still catches up later).
    """
    from content.vectors import profile_embed
    from recommendations.services.interests import interests_refresh

    profile = profile_get_or_create(user=user)
    try:
        profile_embed(profile_id=profile.pk)
        interests_refresh(user_id=user.pk)
    except Exception:
        logger.exception("could not personalize the feed of user %s now; the worker will", user.pk)
        return False
    return True


def feedback_toggle(*, user: AbstractBaseUser, item: Item, kind: str, value: float | None = None) -> bool:
    """Set a feedback state, or undo it when it is already set; returns whether it is now set.

    A rating with a different value replaces the old one rather than undoing it.
    """
    current = Interaction.objects.filter(user=user, item=item, kind=kind).first()
    if current is not None and (kind != Interaction.Kind.RATING or current.value == value):
        interaction_remove(user=user, interaction_id=current.pk)
        return False
    interaction_record(user=user, item=item, kind=kind, value=value)
    return True
