"""A person's summed neighbour lists, stored with their interests and read by feeds over the whole catalog."""

from datetime import timedelta

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from content.models import Item
from recommendations import pipeline
from recommendations.models import CoEngagement, InterestProfile
from recommendations.selectors import feed_for_user, load_interests
from recommendations.services.interests import interests_refresh
from recommendations.services.statistics import neighbours_refresh
from recommendations.sources import Scope
from recommendations.sources.database import DatabaseSources, shared
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def engaged(domains):
    """Twelve items over books and movies, liked in overlapping pairs by eight people; the first person's user."""
    rng = np.random.default_rng(0)
    items = [
        item
        for slug in ("books", "movies")
        for item, _ in factories.items_with_random_vectors(6, rng, domain=domains[slug])
    ]
    people = [factories.UserFactory() for _ in range(8)]
    for number, user in enumerate(people):
        factories.ProfileFactory(user=user)
        for item in (items[number], items[(number + 1) % 12], items[(number + 6) % 12]):
            factories.InteractionFactory(user=user, item_id=item, kind="like")
    neighbours_refresh()
    for user in people:
        interests_refresh(user_id=user.pk)
    shared.reset()
    return items, people[0]


def live_sums(user):
    model, _ = load_interests(user_id=user.pk)
    return DatabaseSources().neighbours(model.positive_items, limits=pipeline.NEIGHBOUR_LIMITS, scope=Scope())


def test_stored_sums_are_what_summing_now_gives(engaged):
    _, user = engaged

    _, stored = load_interests(user_id=user.pk)

    assert stored == live_sums(user)
    assert any(scores for scores, _ in stored.values())


def test_a_rebuild_of_the_lists_resums_everyone_and_leaves_their_feeds_cached(engaged):
    items, user = engaged
    profile = InterestProfile.objects.get(user=user)
    before = load_interests(user_id=user.pk)[1]
    # Someone new makes two of the person's neighbours much closer.
    newcomer = factories.UserFactory()
    for item in (items[1], items[9], items[10]):
        factories.InteractionFactory(user=newcomer, item_id=item, kind="like")

    neighbours_refresh()
    shared.reset()

    after = load_interests(user_id=user.pk)[1]
    assert after is not None and after == live_sums(user)
    assert after != before
    # Only the sums were rewritten: the stamp the person's cached feeds are keyed by did not move.
    assert InterestProfile.objects.get(user=user).computed_at == profile.computed_at


def test_sums_from_an_older_build_are_not_read(engaged):
    _, user = engaged
    profile = InterestProfile.objects.get(user=user)
    profile.neighbour_sums["build"] = CoEngagement.objects.earliest("id").pk - 1
    profile.save(update_fields=["neighbour_sums"])

    assert load_interests(user_id=user.pk)[1] is None


def test_deleting_an_item_leaves_the_stored_sums_readable(engaged):
    _, user = engaged
    # The item whose neighbours were written last: its rows go with it, the newest of the build among them.
    Item.objects.filter(pk=CoEngagement.objects.latest("id").item_id).delete()
    shared.reset()

    assert load_interests(user_id=user.pk)[1] is not None


def test_only_a_feed_over_the_whole_catalog_reads_the_stored_sums(engaged, monkeypatch):
    _, user = engaged
    summed = []
    original = DatabaseSources.neighbours

    def counting(self, anchors, *, limits, scope):
        summed.append(scope)
        return original(self, anchors, limits=limits, scope=scope)

    monkeypatch.setattr(DatabaseSources, "neighbours", counting)

    whole = feed_for_user(user=user)
    assert whole.entries and summed == []

    feed_for_user(user=user, domain="movies")
    assert summed and summed[0] == Scope(domain="movies")


def test_staff_see_a_person_s_interests_without_the_stored_sums(engaged, admin_client):
    _, user = engaged
    profile = InterestProfile.objects.get(user=user)

    listing = admin_client.get(reverse("admin:recommendations_interestprofile_changelist"))
    page = admin_client.get(reverse("admin:recommendations_interestprofile_change", args=[profile.pk]))

    assert listing.status_code == page.status_code == 200
    assert user.username in listing.content.decode()
    assert "neighbour_sums" not in page.content.decode()


def test_a_rebuild_leaves_people_inactive_for_long_to_sum_live(engaged, settings):
    items, user = engaged
    InterestProfile.objects.filter(user=user).update(
        computed_at=timezone.now() - timedelta(days=settings.NEIGHBOUR_SUMS_ACTIVE_DAYS + 1)
    )
    factories.InteractionFactory(item_id=items[2], kind="like")

    neighbours_refresh()
    shared.reset()

    assert load_interests(user_id=user.pk)[1] is None
    assert any(scores for scores, _ in live_sums(user).values())
    # Their next rebuild sums them again.
    interests_refresh(user_id=user.pk)
    assert load_interests(user_id=user.pk)[1] == live_sums(user)
