"""Per-situation fitting on synthetic tasks: what it adopts, what it keeps, and why (pure numpy)."""

import numpy as np
import pytest

from recommendations import fitting
from recommendations.features import FEATURES
from recommendations.ranking import PRIORS, Ranker
from recommendations.situations import SITUATIONS


def synthetic_task(situation: str, informative: str, *, users: int = 60, pool: int = 30, seed: int = 0):
    """Every candidate in `situation`; only `informative` says which ones are wanted, the rest is noise."""
    rng = np.random.default_rng(seed)
    values = rng.random((users, pool, len(FEATURES))).astype(np.float32) * 0.3
    values[..., FEATURES.index("freshness")] = 0.5  # the same everywhere: nothing to learn from it
    relevant = np.zeros((users, pool), dtype=bool)
    for user in range(users):
        wanted = rng.choice(pool, size=3, replace=False)
        relevant[user, wanted] = True
    values[..., FEATURES.index(informative)] = relevant * 0.6 + rng.random((users, pool)) * 0.5
    situations = np.full((users, pool), SITUATIONS.index(situation))
    return fitting.Task(situation, values, situations, relevant, np.full(users, 3.0, dtype=np.float32))


def test_fit_learns_the_informative_signal_of_a_situation_and_says_it_adopted_it():
    task = synthetic_task("words_only", "people")

    result = fitting.fit([task], Ranker())

    weights = result.ranker.weights["words_only"]
    assert weights["people"] == max(weights[name] for name in FEATURES if name not in ("query", "sem_bio"))
    assert result.report["words_only"]["adopted"]
    assert result.report["words_only"]["check_served"] > result.report["words_only"]["check_current"]
    assert result.changed


def test_a_signal_the_task_cannot_observe_keeps_its_prior_weight():
    task = synthetic_task("new_item", "sem_items")

    result = fitting.fit([task], Ranker())

    assert "freshness" not in result.report["new_item"]["observed"]
    assert result.ranker.weights["new_item"]["freshness"] == PRIORS["new_item"]["freshness"]
    # Stated signals are the person's own words and choices: never fitted.
    assert result.ranker.weights["new_item"]["query"] == PRIORS["new_item"]["query"]


def test_situations_without_a_task_keep_the_serving_weights():
    current = Ranker()
    current.weights["long_history"] = {**PRIORS["long_history"], "cf": 3.0}

    result = fitting.fit([synthetic_task("words_only", "people")], current)

    assert result.ranker.weights["long_history"]["cf"] == 3.0
    assert not result.report["long_history"]["adopted"]
    assert "weights kept" in result.report["long_history"]["reason"]


def test_a_fit_that_cannot_beat_the_serving_weights_on_held_out_users_is_not_adopted():
    task = synthetic_task("short_history", "cf")
    best = Ranker()
    best.weights["short_history"] = {name: (1.0 if name == "cf" else 0.0) for name in FEATURES}

    result = fitting.fit([task], best)

    assert not result.report["short_history"]["adopted"]
    assert result.ranker.weights["short_history"] == pytest.approx(best.weights["short_history"])
    assert not result.changed


def test_ndcg_counts_wanted_items_missing_from_the_pool_against_the_ranking():
    task = synthetic_task("long_history", "cf", users=1, pool=5)
    task.relevant[:] = False
    task.relevant[0, 0] = True
    weights = np.zeros((len(SITUATIONS), len(FEATURES)), dtype=np.float32)
    task.values[0, :, FEATURES.index("cf")] = [1.0, 0.5, 0.4, 0.3, 0.2]
    weights[:, FEATURES.index("cf")] = 1.0

    task.wanted[:] = 1
    assert fitting.ndcg(task, weights) == pytest.approx(1.0)
    task.wanted[:] = 2  # a second wanted item was never a candidate: the best possible list misses it
    assert fitting.ndcg(task, weights) == pytest.approx(1.0 / (1.0 + 1.0 / np.log2(3)))


def test_a_hit_on_an_item_everyone_engages_with_counts_for_less_than_a_hit_on_a_rarely_seen_one():
    task = synthetic_task("short_history", "cf", users=1, pool=4)
    task.relevant[:] = False
    task.relevant[0, :2] = True
    task.wanted[:] = 2
    task.worth[0] = fitting.exposure_weights(np.array([400, 3, 50, 50]))
    finds_popular, finds_rare = (np.zeros((len(SITUATIONS), len(FEATURES)), dtype=np.float32) for _ in range(2))
    task.values[0, :, FEATURES.index("popularity")] = [1.0, 0.1, 0.5, 0.5]
    task.values[0, :, FEATURES.index("cf")] = [0.1, 1.0, 0.5, 0.5]
    finds_popular[:, FEATURES.index("popularity")] = 1.0
    finds_rare[:, FEATURES.index("cf")] = 1.0

    # Each blend puts one wanted item first and the other last.
    assert fitting.ndcg(task, finds_rare) > 1.5 * fitting.ndcg(task, finds_popular)


def test_exposure_weights_fall_with_engagement_and_give_an_untouched_item_full_worth():
    weights = fitting.exposure_weights(np.array([0, 3, 99]))

    assert weights.tolist() == pytest.approx([1.0, 0.5, 0.1])


def test_a_blend_that_cannot_beat_the_best_single_expert_on_held_out_users_is_not_served():
    # Only popularity says what is wanted: the prior blend (led by the collaborative model) ranks far below it.
    task = synthetic_task("long_history", "popularity", users=120)

    result = fitting.fit([task], Ranker())

    entry = result.report["long_history"]
    assert entry["best_expert"] == "popularity"
    assert entry["check_served"] >= entry["experts"]["popularity"] - 1e-9
    weights = result.ranker.weights["long_history"]
    assert weights["popularity"] == max(weights[name] for name in FEATURES if name not in ("query", "negative"))


def test_shrinkage_trusts_a_clear_gain_on_many_people_and_not_a_noisy_one_on_few():
    rng = np.random.default_rng(0)
    clear = 0.05 + rng.normal(0, 0.05, 2000)
    noisy = 0.05 + rng.normal(0, 0.5, 20)

    assert fitting.shrinkage(clear) > 0.95
    assert fitting.shrinkage(noisy) < 0.5
    assert fitting.shrinkage(-clear) == 0.0
