"""What the recommender does when content changes: queue a rebuild of the people's interests, after commit."""

from content.models import Interaction
from recommendations.tasks import interests_refresh_later


def rebuild_interests_of_people(sender, *, user_ids, **kwargs) -> None:
    for user_id in user_ids:
        interests_refresh_later(user_id=user_id)


def rebuild_interests_of_person(sender, *, user_id, **kwargs) -> None:
    interests_refresh_later(user_id=user_id)


def rebuild_interests_of_people_who_reacted(sender, *, item_ids, **kwargs) -> None:
    """An item's vector arrived or changed: the interests of the people who reacted to it were built without it."""
    user_ids = Interaction.objects.filter(item_id__in=item_ids).values_list("user_id", flat=True).distinct()
    for user_id in user_ids:
        interests_refresh_later(user_id=user_id)
