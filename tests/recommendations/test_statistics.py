"""Engagement statistics and co-engagement neighbours."""

import pytest

from recommendations.models import CoEngagement, ItemStats
from recommendations.selectors import feed_for_user, similar_items
from recommendations.services import coengagement_refresh, item_stats_refresh
from tests import factories

pytestmark = pytest.mark.django_db


def test_item_liked_by_more_people_is_more_popular(domains):
    favourite, niche, untouched = factories.ItemFactory.create_batch(3, domain=domains["books"])
    for _ in range(3):
        factories.InteractionFactory(item=favourite, kind="like")
    factories.InteractionFactory(item=niche, kind="like")

    item_stats_refresh()

    stats = {row.item_id: row for row in ItemStats.objects.all()}
    assert stats[favourite.pk].popularity > stats[niche.pk].popularity > stats[untouched.pk].popularity == 0
    assert stats[favourite.pk].engagement == 3
    assert stats[favourite.pk].trending > stats[niche.pk].trending


def test_dislikes_and_low_ratings_add_no_popularity(domains):
    disliked, rated_low = factories.ItemFactory.create_batch(2, domain=domains["books"])
    factories.InteractionFactory(item=disliked, kind="dislike")
    factories.InteractionFactory(item=rated_low, kind="rating", value=2)

    item_stats_refresh()

    assert set(ItemStats.objects.values_list("popularity", flat=True)) == {0.0}


def test_item_stats_refresh_only_rewrites_changed_rows(domains):
    item = factories.ItemFactory(domain=domains["books"])
    factories.InteractionFactory(item=item, kind="like")

    assert item_stats_refresh() == 1
    assert item_stats_refresh() == 0


def test_items_liked_by_the_same_people_become_neighbours(domains):
    first, second, unrelated = factories.ItemFactory.create_batch(3, domain=domains["books"])
    for _ in range(2):
        user = factories.UserFactory()
        factories.InteractionFactory(user=user, item=first, kind="like")
        factories.InteractionFactory(user=user, item=second, kind="save")
    factories.InteractionFactory(item=unrelated, kind="like")

    pairs = coengagement_refresh()

    links = {(row.item_id, row.neighbor_id): row.score for row in CoEngagement.objects.all()}
    assert pairs == len(links) == 2
    assert links[(first.pk, second.pk)] > 0
    assert links[(second.pk, first.pk)] > 0
    assert not any(unrelated.pk in pair for pair in links)


def test_coengagement_refresh_replaces_old_links(domains):
    first, second = factories.ItemFactory.create_batch(2, domain=domains["books"])
    user = factories.UserFactory()
    like = factories.InteractionFactory(user=user, item=first, kind="like")
    factories.InteractionFactory(user=user, item=second, kind="like")
    coengagement_refresh()

    like.delete()
    coengagement_refresh()

    assert not CoEngagement.objects.exists()


def test_co_engaged_item_is_recommended_because_of_the_shared_like(topics, person, embed_everything):
    # Different topics, so only behaviour connects them.
    reef, sourdough = topics["ocean"][1], topics["baking"][0]
    for _ in range(3):
        person(history=[(reef, "like"), (sourdough, "like")])
    newcomer = person(history=[(reef, "like")])
    embed_everything()

    similar = similar_items(item=reef, limit=21)
    feed = feed_for_user(user=newcomer, limit=100).entries

    assert sourdough.pk in [entry.item.pk for entry in similar]
    entry = next(entry for entry in feed if entry.item == sourdough)
    assert entry.signals["collab"] > 0
