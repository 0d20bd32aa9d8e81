"""What the recommender does when content changes: queue a rebuild of the people's interests, after commit."""

from recommendations.services import interests_refresh_later


def rebuild_interests_of_people(sender, *, user_ids, **kwargs) -> None:
    for user_id in user_ids:
        interests_refresh_later(user_id=user_id)


def rebuild_interests_of_person(sender, *, user_id, **kwargs) -> None:
    interests_refresh_later(user_id=user_id)
