"""The shared feed cache: a return visit is served without ranking or reading the history, and everything the feed
depends on (the person's feedback, settings, interests and the items) gives a fresh ranking."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from content import services
from content.models import Interaction
from recommendations import selectors
from recommendations.models import ItemStats
from recommendations.services.interests import interests_refresh
from recommendations.services.statistics import item_stats_refresh
from recommendations.sources import database as database_sources
from tests import factories
from tests.recommendations.conftest import OCEAN_BIO

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_versions(monkeypatch):
    """Every request re-reads the catalog version (processes otherwise check it once a second)."""
    monkeypatch.setattr(database_sources, "VERSION_CHECK_SECONDS", 0.0)
    cache.clear()


@pytest.fixture
def visited(topics, person, embed_everything, fresh_versions):
    """A person whose feed was ranked once; returns them and that first ranking's ids."""
    user = person(bio=OCEAN_BIO)
    embed_everything()
    first = selectors.feed_for_user(user=user)
    assert not first.cached
    return user, [entry.item.pk for entry in first.entries]


def _ids(feed):
    return [entry.item.pk for entry in feed.entries]


def test_return_visit_is_served_without_reading_the_history(visited, monkeypatch):
    user, first = visited

    def no_ranking(*args, **kwargs):
        raise AssertionError("a cached feed must not read the person's history")

    monkeypatch.setattr(selectors, "person_state", no_ranking)
    again = selectors.feed_for_user(user=user)

    assert again.cached
    assert _ids(again) == first


def test_a_like_gives_a_fresh_ranking(visited, topics):
    user, first = visited
    liked = topics["baking"][0]

    services.interaction_record(user=user, item=liked, kind=Interaction.Kind.LIKE)
    after = selectors.feed_for_user(user=user)

    assert not after.cached
    assert liked.pk not in _ids(after)


def test_an_interaction_written_around_the_services_still_counts(visited, topics):
    user, _ = visited

    factories.InteractionFactory(user=user, item=topics["baking"][0], kind=Interaction.Kind.DISLIKE)

    assert not selectors.feed_for_user(user=user).cached


def test_settings_and_rebuilt_interests_give_a_fresh_ranking(visited, domains):
    user, _ = visited

    user.profile.preferred_domains.add(domains["courses"])
    assert not selectors.feed_for_user(user=user).cached
    assert selectors.feed_for_user(user=user).cached

    interests_refresh(user_id=user.pk)
    assert not selectors.feed_for_user(user=user).cached


def test_statistics_refresh_keeps_cached_feeds_but_an_item_edit_does_not(visited, topics):
    user, _ = visited
    factories.InteractionFactory(user=factories.UserFactory(), item=topics["jazz"][0], kind=Interaction.Kind.LIKE)
    before = database_sources.catalog_version()
    item_stats_refresh()
    # A test runs in one transaction, where now() stands still: stamp the rows as a later refresh would.
    ItemStats.objects.update(updated_at=timezone.now() + timedelta(minutes=5))
    assert database_sources.catalog_version() != before

    assert selectors.feed_for_user(user=user).cached

    services.item_update(item=topics["jazz"][1], title="Jazz standards, revised")
    assert not selectors.feed_for_user(user=user).cached
