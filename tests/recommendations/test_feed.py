"""Feeds built by the engine from a small hand-made catalog and the real embedding model."""

import numpy as np
import pytest
from django.core.cache import cache

from content import services, vectors
from content.embedding import to_array
from content.models import Interaction, Item
from recommendations.ranking import intra_list_diversity
from recommendations.selectors import feed_for_user, similar_items
from recommendations.services.interests import interests_refresh
from recommendations.sources import database as database_sources
from recommendations.types import MAX_QUERY_LENGTH, FeedRequestError
from tests import factories
from tests.recommendations.conftest import OCEAN_BIO

pytestmark = pytest.mark.django_db


def entries_for(user, **options):
    return feed_for_user(user=user, **options).entries


def test_bio_only_user_gets_bio_matching_items_on_top(topics, person, embed_everything, topic_of):
    user = person(bio=OCEAN_BIO)
    embed_everything()

    entries = entries_for(user)

    assert [topic_of(entry.item) for entry in entries[:3]] == ["ocean"] * 3
    for entry in entries[:3]:
        assert entry.reason_kind == "bio"
        assert entry.reason.startswith("Matches your bio: 'I am a marine biologist")


def test_feed_covers_the_catalog_without_repeats(topics, person, embed_everything):
    user = person(bio=OCEAN_BIO)
    embed_everything()

    feed = feed_for_user(user=user, limit=100)

    ids = [entry.item.pk for entry in feed.entries]
    assert len(ids) == len(set(ids)) == Item.objects.count() == feed.total
    assert all(entry.reason for entry in feed.entries)


def test_feed_pages_follow_on_from_each_other(topics, person, embed_everything):
    user = person(bio=OCEAN_BIO)
    embed_everything()

    whole = [entry.item.pk for entry in entries_for(user, limit=20)]
    first = feed_for_user(user=user, limit=8)
    second = feed_for_user(user=user, offset=first.next_offset, limit=8)

    assert first.next_offset == 8
    assert [entry.item.pk for entry in first.entries + second.entries] == whole[:16]


def test_new_item_reaches_a_matching_bio_only_user_once_embedded(
    topics, domains, person, embed_everything, monkeypatch
):
    user = person(bio=OCEAN_BIO)
    embed_everything()
    before = [entry.item.pk for entry in entries_for(user, limit=100)]
    # The catalog looks for new vectors at most once a second; don't make the test wait for it.
    monkeypatch.setattr(database_sources, "VERSION_CHECK_SECONDS", 0.0)

    seahorses = factories.ItemFactory(
        domain=domains["articles"],
        title="Seahorses of the Seagrass Meadows",
        description="Marine biologists track seahorses and sea turtles in coastal seagrass.",
        tags=["ocean"],
    )
    assert seahorses.pk not in [entry.item.pk for entry in entries_for(user, limit=100)], "not before it has a vector"
    vectors.items_embed(item_ids=[seahorses.pk])
    after = entries_for(user, limit=100)

    assert not Interaction.objects.filter(item=seahorses).exists()
    assert seahorses.pk not in before
    assert seahorses.pk in [entry.item.pk for entry in after[:5]]


def test_disliked_and_hidden_items_vanish_even_when_seen_items_are_kept(topics, person, embed_everything):
    user = person(bio=OCEAN_BIO)
    embed_everything()
    disliked, hidden, viewed = topics["ocean"][:3]
    assert {disliked.pk, hidden.pk, viewed.pk} <= {entry.item.pk for entry in entries_for(user)}

    services.interaction_record(user=user, item=disliked, kind="dislike")
    services.interaction_record(user=user, item=hidden, kind="hide")
    services.interaction_record(user=user, item=viewed, kind="view")
    interests_refresh(user_id=user.pk)

    unseen = {entry.item.pk for entry in entries_for(user, limit=100)}
    everything = {entry.item.pk for entry in entries_for(user, limit=100, exclude_seen=False)}
    assert not {disliked.pk, hidden.pk, viewed.pk} & unseen
    assert not {disliked.pk, hidden.pk} & everything
    assert viewed.pk in everything


def test_undoing_a_dislike_brings_the_item_back(topics, person, embed_everything):
    user = person(bio=OCEAN_BIO)
    embed_everything()
    item = topics["ocean"][0]
    interaction, _ = services.interaction_record(user=user, item=item, kind="dislike")
    interests_refresh(user_id=user.pk)
    assert item.pk not in {entry.item.pk for entry in entries_for(user, limit=100)}

    services.interaction_remove(user=user, interaction_id=interaction.pk)
    interests_refresh(user_id=user.pk)

    assert item.pk in {entry.item.pk for entry in entries_for(user, limit=100)}


def test_adventurous_setting_gives_a_more_diverse_first_page(topics, person, embed_everything, topic_of):
    user = person(history=[(item, "like") for item in topics["ocean"][:3]])
    embed_everything()

    focused = entries_for(user, explore=0.0, limit=10)
    adventurous = entries_for(user, explore=1.0, limit=10)

    def diversity(entries):
        return intra_list_diversity(np.stack([to_array(entry.item.embedding) for entry in entries]))

    def first_other_topic(entries):
        return next(index for index, entry in enumerate(entries) if topic_of(entry.item) != "ocean")

    assert diversity(adventurous) > diversity(focused)
    assert first_other_topic(adventurous) < first_other_topic(focused)
    assert topic_of(focused[0].item) == topic_of(adventurous[0].item) == "ocean"


def test_profile_explore_setting_is_used_when_the_request_names_none(topics, person, embed_everything):
    adventurous_user = person(history=[(item, "like") for item in topics["ocean"][:3]], explore=1.0)
    embed_everything()

    default = [entry.item.pk for entry in entries_for(adventurous_user, limit=10)]

    assert default == [entry.item.pk for entry in entries_for(adventurous_user, explore=1.0, limit=10)]
    assert default != [entry.item.pk for entry in entries_for(adventurous_user, explore=0.0, limit=10)]


def test_single_domain_history_gets_its_topic_from_other_domains(topics, person, embed_everything, topic_of):
    ocean_books = [item for item in topics["ocean"] if item.domain.slug == "books"]
    user = person(history=[(item, "like") for item in ocean_books])
    embed_everything()

    top = entries_for(user, limit=5)

    assert {item.domain.slug for item in ocean_books} == {"books"}
    cross_domain = [entry for entry in top if entry.item.domain.slug != "books" and topic_of(entry.item) == "ocean"]
    assert cross_domain, [(entry.item.title, entry.item.domain.slug) for entry in top]


def test_liked_reasons_name_an_item_the_user_liked(topics, person, embed_everything):
    liked = topics["ocean"][:4]
    user = person(history=[(item, "like") for item in liked])
    embed_everything()

    entries = entries_for(user, limit=20)

    because = [entry for entry in entries if entry.reason.startswith("Because you liked ")]
    assert because
    liked_titles = {item.title for item in liked}
    for entry in because:
        assert entry.reason.removeprefix("Because you liked ") in liked_titles
    assert entries[0].reason_kind in {"liked", "collaborative"}


def test_anonymous_feed_explains_with_popularity_and_freshness(topics, person, embed_everything):
    for _ in range(2):
        person(history=[(topics["chess"][0], "like")])
    embed_everything()

    entries = feed_for_user(user=None).entries

    assert entries
    assert {entry.reason_kind for entry in entries} <= {"popular", "trending", "fresh"}
    for entry in entries:
        assert entry.reason.startswith(("Popular in ", "New in "))
        assert entry.item.domain.name in entry.reason
    assert entries[0].item == topics["chess"][0]


def test_query_steers_a_bio_users_feed_and_says_so(topics, person, embed_everything, topic_of):
    user = person(bio=OCEAN_BIO)
    embed_everything()

    feed = feed_for_user(user=user, query="chess openings")

    assert [topic_of(entry.item) for entry in feed.entries[:3]] == ["chess"] * 3
    assert feed.entries[0].item == topics["chess"][0]
    for entry in feed.entries[:3]:
        assert entry.reason == "You asked for 'chess openings'"
        assert entry.reason_kind == "query"
    ids = [entry.item.pk for entry in feed.entries]
    assert len(ids) == len(set(ids)) == 20
    assert "ocean" in {topic_of(entry.item) for entry in feed.entries}


def test_anonymous_query_is_answered_too(topics, embed_everything, topic_of):
    embed_everything()

    entries = feed_for_user(user=None, query="telescopes and planets").entries

    assert topic_of(entries[0].item) == "astronomy"
    assert entries[0].reason == "You asked for 'telescopes and planets'"


def test_long_query_is_shortened_in_the_reason(topics, person, embed_everything):
    user = person()
    embed_everything()
    query = "sourdough bread " * 10

    reason = entries_for(user, query=query)[0].reason

    assert reason.startswith("You asked for 'sourdough bread")
    assert reason.endswith("…'")
    assert len(reason) < len(query)


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_query_gives_the_ordinary_feed(topics, person, embed_everything, query):
    user = person(bio=OCEAN_BIO)
    embed_everything()
    ordinary = [entry.item.pk for entry in entries_for(user)]
    cache.clear()

    assert [entry.item.pk for entry in entries_for(user, query=query)] == ordinary


def test_query_of_the_maximum_length_is_accepted(topics, person, embed_everything):
    user = person()
    embed_everything()

    assert entries_for(user, query="a" * MAX_QUERY_LENGTH)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"query": "a" * (MAX_QUERY_LENGTH + 1)}, "q"),
        ({"domain": "spaceships"}, "domain"),
        ({"explore": 1.5}, "explore"),
        ({"explore": -0.1}, "explore"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
@pytest.mark.parametrize("signed_in", [True, False])
def test_bad_feed_request_names_the_field(domains, person, options, field, signed_in):
    user = person() if signed_in else None

    with pytest.raises(FeedRequestError) as error:
        feed_for_user(user=user, **options)

    assert error.value.field == field
    assert str(error.value)


def test_domain_feed_keeps_to_that_domain(topics, person, embed_everything, topic_of):
    user = person(bio=OCEAN_BIO)
    embed_everything()

    entries = entries_for(user, domain="podcasts")

    assert {entry.item.domain.slug for entry in entries} == {"podcasts"}
    assert topic_of(entries[0].item) == "ocean"


def test_user_who_has_seen_everything_gets_an_empty_feed(topics, person, embed_everything):
    user = person(bio=OCEAN_BIO, history=[(item, "view") for item in Item.objects.all()])
    embed_everything()

    feed = feed_for_user(user=user, exclude_seen=True)

    assert feed.entries == []
    assert feed.total == 0
    assert feed.next_offset is None
    assert len(entries_for(user, exclude_seen=False)) == 20


def test_empty_catalog_gives_an_empty_feed(domains, person, embed_everything):
    user = person(bio=OCEAN_BIO)
    embed_everything()

    assert feed_for_user(user=user).entries == []
    assert feed_for_user(user=None).entries == []


def test_items_without_vectors_do_not_break_the_feed(topics, domains, person, embed_everything):
    user = person(bio=OCEAN_BIO)
    embed_everything()
    pending = factories.ItemFactory.create_batch(3, domain=domains["books"], title="Ocean tides and coral reefs")

    ids = {entry.item.pk for entry in entries_for(user, limit=100)}

    assert len(ids) == 22
    assert not ids & {item.pk for item in pending}
    assert similar_items(item=pending[0]) == []


def test_deactivated_item_leaves_the_feed(topics, person, embed_everything, monkeypatch):
    user = person(bio=OCEAN_BIO)
    embed_everything()
    top = entries_for(user)[0].item
    monkeypatch.setattr(database_sources, "VERSION_CHECK_SECONDS", 0.0)

    services.item_deactivate(item=top)
    cache.clear()

    assert top.pk not in {entry.item.pk for entry in entries_for(user, limit=100)}
    assert top.pk not in {entry.item.pk for entry in feed_for_user(user=None, limit=100).entries}


def test_user_without_profile_or_history_still_gets_a_feed(topics, embed_everything):
    user = factories.UserFactory()
    embed_everything()

    assert len(entries_for(user)) == 20


def test_similar_items_exclude_the_item_and_reach_other_domains(topics, embed_everything, topic_of):
    embed_everything()
    book = topics["ocean"][0]

    similar = similar_items(item=book, limit=6)

    ids = [entry.item.pk for entry in similar]
    assert book.pk not in ids
    assert len(ids) == len(set(ids)) == 6
    assert topic_of(similar[0].item) == "ocean"
    other_domains = [entry for entry in similar if entry.item.domain_id != book.domain_id]
    assert any(topic_of(entry.item) == "ocean" for entry in other_domains)
    for entry in other_domains:
        assert entry.reason == f"Close to {book.title}, in {entry.item.domain.name}"


def test_similar_items_leave_out_what_the_user_disliked(topics, person, embed_everything):
    user = person()
    embed_everything()
    book, disliked = topics["ocean"][0], topics["ocean"][1]
    services.interaction_record(user=user, item=disliked, kind="dislike")

    assert disliked.pk not in {entry.item.pk for entry in similar_items(item=book, user=user)}
    assert disliked.pk in {entry.item.pk for entry in similar_items(item=book)}
