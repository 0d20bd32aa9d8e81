"""Engagement statistics and co-engagement neighbours."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from content.models import Item
from recommendations.models import CoEngagement, ItemStats
from recommendations.selectors import feed_for_user, similar_items
from recommendations.services import statistics
from recommendations.services.statistics import item_stats_refresh, neighbours_refresh
from recommendations.sources import Scope
from recommendations.sources.database import DatabaseSources
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

    pairs = neighbours_refresh()

    assert pairs == CoEngagement.objects.count()
    for kind in (CoEngagement.Kind.COSINE, CoEngagement.Kind.CF):
        links = {(row.item_id, row.neighbor_id): row.score for row in CoEngagement.objects.filter(kind=kind)}
        assert set(links) == {(first.pk, second.pk), (second.pk, first.pk)}, kind
        assert all(score > 0 for score in links.values())
    # One domain: nothing to link across domains.
    assert not CoEngagement.objects.filter(kind=CoEngagement.Kind.CROSS).exists()


def test_neighbours_refresh_replaces_old_links(domains):
    first, second = factories.ItemFactory.create_batch(2, domain=domains["books"])
    user = factories.UserFactory()
    like = factories.InteractionFactory(user=user, item=first, kind="like")
    factories.InteractionFactory(user=user, item=second, kind="like")
    neighbours_refresh()

    like.delete()
    neighbours_refresh()

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


def test_sql_statistics_equal_the_numpy_definition_used_offline(domains):
    """Serving counts engagement in SQL, evaluation in numpy: both from signals.py, and they must agree."""
    import numpy as np
    from django.utils import timezone

    from recommendations.collaborative import item_statistics
    from recommendations.services.training import platform_dataset

    items = factories.ItemFactory.create_batch(4, domain=domains["books"], embedding=[0.1] * 384)
    now = timezone.now()
    events = [
        (items[0], "like", None, 0),
        (items[0], "save", None, 3),
        (items[1], "rating", 4, 20),
        (items[1], "rating", 2, 1),
        (items[2], "view", None, 45),
        (items[2], "dislike", None, 2),
        (items[3], "click", None, 2),
    ]
    for item, kind, value, days in events:
        factories.InteractionFactory(item=item, kind=kind, value=value, created_at=now - timedelta(days=days))

    item_stats_refresh()

    dataset = platform_dataset()
    expected = item_statistics(
        items=dataset.items, weights=dataset.weights, timestamps=dataset.timestamps, n_items=dataset.n_items
    )
    stored = {row.item_id: row for row in ItemStats.objects.all()}
    for position, key in enumerate(dataset.item_keys):
        row = stored[int(key)]
        assert row.engagement == expected.engagement[position]
        assert row.popularity == pytest.approx(float(expected.popularity[position]), abs=1e-6)
        assert row.trending == pytest.approx(float(expected.trending[position]), abs=1e-6)
    # Positive feedback within the week: items 0 and 3; a 2-star rating and a dislike are not interest.
    assert list(np.flatnonzero(expected.trending)) == [0, 3]


@pytest.mark.parametrize(
    ("kind", "value"),
    [("save", None), ("like", None), ("click", None), ("view", None), ("dislike", None), ("hide", None)]
    + [("rating", stars) for stars in (1, 2, 3, 4, 5)],
)
def test_sql_signal_weight_is_the_python_one(domains, kind, value):
    from django.db import connection

    from recommendations import signals

    sql, params = signals.sql_weight("%(kind)s", "%(value)s::float8")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params | {"kind": kind, "value": value})
        assert cursor.fetchone()[0] == pytest.approx(signals.weight(kind, value))


def test_the_statistics_pass_rebuilds_neighbour_lists_at_most_once_per_interval(domains):
    from django.core.cache import cache

    from recommendations.services.statistics import NEIGHBOURS_BUILT_KEY, neighbours_refresh_if_due

    first, second = factories.ItemFactory(domain=domains["books"]), factories.ItemFactory(domain=domains["books"])
    for _ in range(3):
        user = factories.UserFactory()
        factories.InteractionFactory(user=user, item=first, kind="like")
        factories.InteractionFactory(user=user, item=second, kind="like")

    assert neighbours_refresh_if_due() > 0
    CoEngagement.objects.all().delete()
    assert neighbours_refresh_if_due() is None, "a second pass within the interval leaves the lists alone"
    assert not CoEngagement.objects.exists()

    cache.delete(NEIGHBOURS_BUILT_KEY)  # the interval has passed
    assert neighbours_refresh_if_due() > 0
    assert CoEngagement.objects.filter(item=first, neighbor=second).exists()


def test_summed_neighbour_lists_fill_each_list_from_the_items_in_scope(domains):
    rng = np.random.default_rng(0)
    (anchor, _), (switched_off, _), (book, _), (film, _) = [
        factories.items_with_random_vectors(1, rng, domain=domains[slug])[0]
        for slug in ("books", "books", "books", "movies")
    ]
    Item.objects.filter(pk=switched_off).update(is_active=False)
    for neighbour, score in ((switched_off, 0.9), (film, 0.8), (book, 0.5)):
        CoEngagement.objects.create(kind="cosine", item_id=anchor, neighbor_id=neighbour, score=score)
    sources = DatabaseSources()

    def best(scope):
        return list(sources.neighbours({anchor: 1.0}, limits={"cosine": 1}, scope=scope)["cosine"][0])

    # The strongest neighbour is switched off and the next is in another domain: each list still gets its one item.
    assert best(Scope()) == [film]
    assert best(Scope(domain="books")) == [book]
    assert best(Scope(exclude_domains=("movies",))) == [book]


@pytest.mark.django_db
def test_interaction_arrays_read_every_field_as_stored_and_can_take_a_sample_of_people():
    first, second = factories.UserFactory(), factories.UserFactory()
    item, other = factories.ItemFactory(), factories.ItemFactory()
    at = timezone.now() - timedelta(days=3)
    factories.InteractionFactory(user=first, item=item, kind="rating", value=4.5, created_at=at)
    factories.InteractionFactory(user=first, item=other, kind="hide")
    factories.InteractionFactory(user=second, item=item, kind="view")

    users, items, kinds, values, stamps = statistics.interaction_arrays()

    assert users.tolist() == [first.pk, first.pk, second.pk]
    assert items.tolist() == [item.pk, other.pk, item.pk]
    assert kinds.tolist() == ["rating", "hide", "view"]
    assert values[0] == 4.5 and np.isnan(values[1:]).all()
    assert stamps[0] == pytest.approx(at.timestamp(), abs=1e-3)
    assert statistics.interaction_arrays(user_ids=[second.pk])[0].tolist() == [second.pk]
    assert len(statistics.interaction_arrays(user_ids=[])[0]) == 0
