"""A user's several interests, per-domain scores and negative signals, built from stored data."""

import numpy as np
import pytest

from content import services
from content.embedding import to_array
from content.models import Item
from recommendations.models import Interest, InterestProfile
from recommendations.selectors import interest_summary, load_interests
from recommendations.services.interests import interests_refresh
from tests import factories
from tests.recommendations.conftest import OCEAN_BIO

pytestmark = pytest.mark.django_db


def test_history_on_two_topics_gives_an_interest_for_each(topics, person, embed_everything, topic_of):
    liked = topics["ocean"][:3] + topics["chess"][:3]
    user = person(history=[(item, "like") for item in liked])
    embed_everything()

    history = Interest.objects.filter(profile__user=user, source="history")

    assert history.count() >= 2
    titles = {item.title: item for item in liked}
    assert set(history.values_list("label", flat=True)) <= set(titles)
    assert {topic_of(titles[label]) for label in history.values_list("label", flat=True)} == {"ocean", "chess"}
    for interest in history:
        assert interest.anchor_item.title == interest.label


def test_bio_and_history_interests_share_the_weight(topics, person, embed_everything):
    user = person(
        bio="I bake sourdough bread every weekend. I also play chess openings online.",
        history=[(topics["ocean"][0], "like")],
    )
    embed_everything()

    interests = list(Interest.objects.filter(profile__user=user))

    assert {interest.source for interest in interests} == {"bio", "history"}
    assert sum(interest.weight for interest in interests) == pytest.approx(1.0, abs=1e-6)
    bio_labels = {interest.label for interest in interests if interest.source == "bio"}
    assert bio_labels == {"I bake sourdough bread every weekend", "I also play chess openings online"}
    # A single like is weak evidence next to the bio.
    history_weight = sum(interest.weight for interest in interests if interest.source == "history")
    assert history_weight < 0.5


def test_domain_scores_lie_in_unit_range_and_favour_the_domain_engaged_with(topics, person, embed_everything):
    podcasts = [item for items in topics.values() for item in items if item.domain.slug == "podcasts"]
    user = person(history=[(item, "like") for item in podcasts] + [(topics["chess"][0], "view")])
    embed_everything()

    scores = InterestProfile.objects.get(user=user).domain_scores

    assert set(scores) == {"books", "podcasts", "courses"}
    assert all(0.0 <= score <= 1.0 for score in scores.values())
    assert max(scores, key=scores.get) == "podcasts"
    assert interest_summary(user=user)["domains"] == dict(sorted(scores.items(), key=lambda pair: -pair[1]))


def test_bio_alone_scores_domains_by_closeness_of_their_items(topics, person, embed_everything):
    user = person(bio=OCEAN_BIO)
    embed_everything()

    scores = InterestProfile.objects.get(user=user).domain_scores

    assert all(0.0 <= score <= 1.0 for score in scores.values())
    # Books carries four ocean titles, the others one each.
    assert max(scores, key=scores.get) == "books"


def test_interests_refresh_is_idempotent(topics, person, embed_everything):
    user = person(bio=OCEAN_BIO, history=[(item, "like") for item in topics["ocean"][:3] + topics["chess"][:3]])
    embed_everything()
    first = [(i.source, i.label, round(i.weight, 4)) for i in Interest.objects.filter(profile__user=user)]

    interests_refresh(user_id=user.pk)
    interests_refresh(user_id=user.pk)

    assert InterestProfile.objects.filter(user=user).count() == 1
    again = [(i.source, i.label, round(i.weight, 4)) for i in Interest.objects.filter(profile__user=user)]
    assert sorted(again) == sorted(first)


def test_refresh_for_a_deleted_user_does_nothing(db):
    assert interests_refresh(user_id=987654) is None


def test_dislikes_and_hides_make_a_negative_vector(topics, person, embed_everything):
    user = person(bio=OCEAN_BIO)
    embed_everything()
    assert InterestProfile.objects.get(user=user).negative is None

    services.interaction_record(user=user, item=topics["baking"][0], kind="dislike")
    services.interaction_record(user=user, item=topics["baking"][1], kind="hide")
    profile = interests_refresh(user_id=user.pk)

    profile.refresh_from_db()
    assert profile.negative_count == 2
    negative = to_array(profile.negative)
    assert np.linalg.norm(negative) == pytest.approx(1.0, abs=2e-3)
    baking = to_array(Item.objects.get(pk=topics["baking"][2].pk).embedding)
    chess = to_array(Item.objects.get(pk=topics["chess"][0].pk).embedding)
    assert negative @ baking > negative @ chess


def test_low_rating_counts_against_and_high_rating_for(topics, person, embed_everything):
    loved, hated = topics["jazz"][0], topics["baking"][0]
    user = person()
    services.interaction_record(user=user, item=loved, kind="rating", value=5)
    services.interaction_record(user=user, item=hated, kind="rating", value=1)
    embed_everything()

    model, _ = load_interests(user_id=user.pk)

    assert set(model.positive_items) == {loved.pk}
    assert model.negative is not None
    assert InterestProfile.objects.get(user=user).negative_count == 1


def test_user_with_nothing_has_an_empty_interest_model(topics, embed_everything):
    user = factories.UserFactory()
    embed_everything()

    model, _ = load_interests(user_id=user.pk)

    assert model.interests == []
    assert model.negative is None
    assert interest_summary(user=user)["interests"] == []
