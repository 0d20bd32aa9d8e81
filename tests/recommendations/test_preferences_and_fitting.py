"""Stated domain preferences, fitted blend weights, and the semantic nearest-liked-item signal."""

import numpy as np
import pytest
from django.core.management import call_command

from content import services
from recommendations.interests import spherical_kmeans
from recommendations.models import RankerWeights
from recommendations.ranking import PRIORS
from recommendations.selectors import active_ranker, feed_for_user
from recommendations.services.training import ranker_refit
from recommendations.situations import SITUATIONS

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


@pytest.fixture
def regulars(topics, person, embed_everything):
    """Forty people, each into two of the five topics: enough varied behaviour to fit and check a fit on."""
    names = list(topics)
    for number in range(40):
        first, second = names[number % 5], names[(number % 5 + 1 + (number // 5) % 4) % 5]
        picks = [topics[first][(number + step) % len(topics[first])] for step in range(4)]
        picks += [topics[second][(number + step) % len(topics[second])] for step in range(3)]
        person(history=[(item, "like") for item in picks])
    embed_everything()


def test_an_adopted_refit_is_stored_as_a_new_version_and_serves_feeds(regulars):
    result = ranker_refit(min_users=3)

    stored = RankerWeights.objects.get(version=result["version"])
    assert stored.weights == result["weights"] and stored.is_active
    assert stored.metrics == result["metrics"]
    assert set(stored.weights) == set(SITUATIONS)
    adopted = [name for name in SITUATIONS if result["metrics"][name]["adopted"]]
    assert adopted, result["metrics"]
    for name in adopted:
        check = result["metrics"][name]
        assert check["check_served"] >= check["check_current"]
    # Nobody here wrote a bio: the words-only situation keeps its priors and the report says why.
    assert stored.weights["words_only"] == PRIORS["words_only"]
    assert "weights kept" in result["metrics"]["words_only"]["reason"]
    ranker = active_ranker()
    assert (ranker.weights, ranker.version) == (stored.weights, stored.version)


def test_a_refit_never_zeroes_a_signal_its_data_cannot_observe(regulars):
    # Everything was published just now and nobody disliked anything: freshness and push-away cannot be observed.
    result = ranker_refit(min_users=3)

    for situation in SITUATIONS:
        assert result["weights"][situation]["freshness"] == PRIORS[situation]["freshness"], situation
        assert result["weights"][situation]["negative"] == PRIORS[situation]["negative"], situation
        assert "freshness" not in result["metrics"][situation]["observed"]


def test_fitting_refuses_when_too_few_people_have_held_out_activity(topics, person, embed_everything):
    person(history=[(topics["ocean"][0], "like")])
    embed_everything()

    with pytest.raises(ValueError, match="need at least"):
        ranker_refit(min_users=5)
    assert not RankerWeights.objects.exists()
    assert active_ranker().version is None
    assert active_ranker().weights == PRIORS


def test_refit_ranker_command_dry_run_reports_each_situation_and_adopts_nothing(regulars, capsys):
    call_command("refit_ranker", "--dry-run", "--min-users", "1")

    printed = capsys.readouterr().out
    assert "held-out NDCG@10" in printed
    assert all(situation in printed for situation in SITUATIONS)
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


def test_scheduled_refit_adopts_a_version_when_there_is_enough(regulars):
    from recommendations.tasks import refit_ranker

    result = refit_ranker(min_users=1)

    assert RankerWeights.objects.filter(version=result["version"]).exists()


@pytest.mark.django_db
def test_admin_shows_per_situation_what_is_served_and_the_check_that_chose_it(admin_client):
    weights = RankerWeights.objects.create(
        version=7,
        weights={},
        metrics={
            "new_domain": {
                "users": 313,
                "served": "popularity (blend at 12%)",
                "best_expert": "popularity",
                "experts": {"popularity": 0.0612, "collaborative model": 0.055},
                "check_blend": 0.0601,
                "trust": 0.12,
                "blend_vs_expert": [-0.004, 0.002],
                "reason": "ranks held-out users at least as well as what was served",
                "notes": ["every event has the same timestamp"],
            },
            "_tasks": {"new_domain": 1000},
        },
    )

    listing = admin_client.get("/admin/recommendations/rankerweights/").content.decode()
    page = admin_client.get(f"/admin/recommendations/rankerweights/{weights.pk}/change/").content.decode()

    assert "new_domain: popularity (blend at 12%)" in listing
    assert "popularity 0.0612" in page and "313" in page and "-0.004 to 0.002" in page
    assert "every event has the same timestamp" in page


def test_a_refit_beyond_its_people_budget_learns_from_a_stable_sample(regulars, settings):
    settings.REFIT_MAX_PEOPLE = 25

    result = ranker_refit(min_users=3, adopt=False)

    assert result["trained_on"]["users"] == 25
    assert result["trained_on"]["sampled_from"] == 40
    assert ranker_refit(min_users=3, adopt=False)["trained_on"] == result["trained_on"]
