"""Stated domain preferences, fitted blend weights, and the semantic nearest-liked-item signal."""

import numpy as np
import pytest
from django.core.management import call_command

from content import services
from recommendations.interests import spherical_kmeans
from recommendations.models import RankerWeights
from recommendations.ranking import DEFAULT_WEIGHTS
from recommendations.selectors import active_weights, feed_for_user
from recommendations.services import ranker_fit
from tests.recommendations.conftest import OCEAN_BIO

pytestmark = pytest.mark.django_db


def test_followed_domain_rises_in_the_feed_of_a_user_with_no_words_or_history(
    topics, person, embed_everything, domains
):
    neutral = person()
    follower = person()
    services.profile_update(user=follower, preferred_domains=[domains["podcasts"]])
    embed_everything()

    def podcasts_on_first_page(user):
        return sum(entry.item.domain.slug == "podcasts" for entry in feed_for_user(user=user, limit=8).entries)

    assert podcasts_on_first_page(follower) > podcasts_on_first_page(neutral)
    reasons = {entry.reason for entry in feed_for_user(user=follower, limit=8).entries}
    assert "From Podcasts, a section you follow" in reasons


def test_fitted_weights_are_stored_as_a_new_version_and_serve_feeds(topics, person, embed_everything, topic_of):
    # Eight people who move from one topic to the next: enough held-out behaviour to fit on.
    ocean, chess = topics["ocean"], topics["chess"]
    for _ in range(8):
        person(bio=OCEAN_BIO, history=[(item, "like") for item in ocean[:4]] + [(item, "like") for item in chess[:2]])
    embed_everything()

    result = ranker_fit(min_users=3)

    stored = RankerWeights.objects.get(version=result["version"])
    assert stored.weights == result["weights"] and stored.is_active
    assert result["metrics"]["ndcg@10"] >= result["metrics"]["default_ndcg@10"]
    assert active_weights() == (stored.weights, stored.version)


def test_fitting_refuses_when_too_few_people_have_held_out_activity(topics, person, embed_everything):
    person(history=[(topics["ocean"][0], "like")])
    embed_everything()

    with pytest.raises(ValueError, match="need at least"):
        ranker_fit(min_users=5)
    assert not RankerWeights.objects.exists()
    assert active_weights() == (DEFAULT_WEIGHTS, None)


def test_fit_ranker_command_dry_run_stores_nothing(topics, person, embed_everything, capsys):
    for _ in range(6):
        person(history=[(item, "like") for item in topics["ocean"][:5]])
    embed_everything()

    call_command("fit_ranker", "--dry-run", "--min-users", "1")

    assert "NDCG@10" in capsys.readouterr().out
    assert not RankerWeights.objects.exists()


def test_spherical_kmeans_separates_two_directions():
    rng = np.random.default_rng(0)
    centres = np.eye(8)[:2]
    points = np.concatenate([centres[0] + rng.normal(0, 0.05, (10, 8)), centres[1] + rng.normal(0, 0.05, (6, 8))])
    points /= np.linalg.norm(points, axis=1, keepdims=True)

    labels = spherical_kmeans(points, np.ones(len(points)), 2)

    assert len(set(labels[:10])) == 1 and len(set(labels[10:])) == 1
    assert labels[0] != labels[10]


def test_nearest_liked_item_names_the_reason_for_a_specific_match(topics, person, embed_everything):
    whale_songs = next(item for item in topics["ocean"] if item.title == "Whale Songs")
    user = person(history=[(whale_songs, "like"), (topics["chess"][0], "like")])
    embed_everything()

    entries = feed_for_user(user=user, limit=10).entries

    liked_reasons = [entry.reason for entry in entries if entry.reason_kind == "liked"]
    assert liked_reasons
    assert all(
        reason in {"Because you liked Whale Songs", f"Because you liked {topics['chess'][0].title}"}
        for reason in liked_reasons
    )


def test_scheduled_refit_skips_quietly_without_enough_behaviour(topics, person, embed_everything):
    from recommendations.tasks import refit_ranker

    person(history=[(topics["ocean"][0], "like")])
    embed_everything()

    assert "skipped" in refit_ranker(min_users=5)
    assert not RankerWeights.objects.exists()


def test_scheduled_refit_stores_a_version_when_there_is_enough(topics, person, embed_everything):
    from recommendations.tasks import refit_ranker

    for _ in range(6):
        person(history=[(item, "like") for item in topics["ocean"][:5]])
    embed_everything()

    result = refit_ranker(min_users=1)

    assert RankerWeights.objects.filter(version=result["version"]).exists()
