"""Interest building and ranking are pure numpy: checked here without a database or the model."""

import numpy as np
import pytest

from recommendations import interests, ranking
from recommendations.interests import Event, build_interest_model, event_weight, item_weights, rating_weight, split_bio


@pytest.mark.parametrize(("value", "weight"), [(5, 1.0), (4, 0.5), (3, 0.0), (2, -0.5), (1, -1.0)])
def test_rating_weight_is_centred_on_three(value, weight):
    assert rating_weight(value) == weight


def test_event_weight_halves_every_half_life():
    half_life = interests.RECENCY_HALF_LIFE_DAYS

    assert event_weight("like", None, 0) == 1.0
    assert event_weight("like", None, half_life) == pytest.approx(0.5)
    assert event_weight("save", None, 2 * half_life) == pytest.approx(1.2 / 4)
    assert event_weight("rating", 5, half_life) == pytest.approx(0.5)


def test_event_weight_of_negative_signals_is_negative_and_future_events_do_not_grow():
    assert event_weight("hide", None, 0) < event_weight("dislike", None, 0) < 0
    assert event_weight("like", None, -30) == 1.0
    assert event_weight("unknown-kind", None, 0) == 0.0


def test_item_weights_net_out_opposite_signals():
    events = [
        Event(1, "like", None, 0),
        Event(1, "view", None, 0),
        Event(2, "dislike", None, 0),
        Event(3, "like", None, 0),
        Event(3, "dislike", None, 0),
    ]

    positive, negative = item_weights(events)

    assert positive == {1: pytest.approx(1.1)}
    assert negative == {2: pytest.approx(1.0)}


def test_split_bio_keeps_sentences_and_joined_clauses_of_three_words_or_more():
    bio = "I love the deep ocean. Chess too! I bake sourdough bread and also play jazz saxophone on Fridays.\nHi."

    assert split_bio(bio) == ["I love the deep ocean", "I bake sourdough bread", "play jazz saxophone on Fridays"]


def test_split_bio_keeps_at_most_four_phrases():
    bio = " ".join(f"Sentence number {n} is here." for n in range(10))

    assert len(split_bio(bio)) == interests.MAX_BIO_PHRASES


def test_split_bio_of_an_empty_bio_is_empty():
    assert split_bio("   ") == []


def unit_rows(count, dimensions=16, seed=0):
    rows = np.random.default_rng(seed).normal(size=(count, dimensions)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_interest_model_finds_two_clusters_and_normalizes_weights():
    base = unit_rows(2, seed=1)
    vectors = {}
    for item in range(6):
        centre = base[item % 2]
        noisy = centre + 0.05 * unit_rows(1, seed=10 + item)[0]
        vectors[item] = noisy / np.linalg.norm(noisy)
    events = [Event(item, "like", None, 1) for item in vectors]

    model = build_interest_model(
        bio_phrases=[("my bio phrase", base[0])], events=events, vectors=vectors, titles={i: f"t{i}" for i in vectors}
    )

    history = [interest for interest in model.interests if interest.source == "history"]
    assert len(history) == 2
    # Items alternate between the two centres, so the anchors' parities tell the clusters apart.
    assert {interest.anchor_item_id % 2 for interest in history} == {0, 1}
    assert sum(interest.weight for interest in model.interests) == pytest.approx(1.0)
    assert [interest.weight for interest in model.interests] == sorted(
        (i.weight for i in model.interests), reverse=True
    )
    assert model.negative is None


def candidates_from(vectors, domains, popularity=None):
    n = len(vectors)
    return ranking.Candidates(
        item_ids=np.arange(n),
        vectors=vectors,
        domains=np.array(domains, dtype=object),
        collab=np.zeros(n, dtype=np.float32),
        popularity=np.zeros(n, dtype=np.float32) if popularity is None else popularity,
        freshness=np.zeros(n, dtype=np.float32),
        trending=np.zeros(n, dtype=np.float32),
    )


def test_diversify_caps_each_domain_per_page():
    candidates = candidates_from(unit_rows(30), ["books"] * 10 + ["podcasts"] * 10 + ["courses"] * 10)
    # Every book outranks every podcast, which outranks every course.
    scores = np.linspace(1.0, 0.0, 30)

    order = ranking.diversify(candidates, scores, explore=0.0, limit=30, page_size=10, domain_cap=0.4)

    first_page = [candidates.domains[row] for row in order[:10]]
    assert first_page == ["books"] * 4 + ["podcasts"] * 4 + ["courses"] * 2
    assert sorted(order) == list(range(30)), "the cap relaxes rather than end the feed early"
    uncapped = ranking.diversify(candidates, scores, explore=0.0, limit=10, page_size=10, domain_cap=None)
    assert [candidates.domains[row] for row in uncapped] == ["books"] * 10


def test_diversify_with_no_exploration_keeps_relevance_order():
    candidates = candidates_from(unit_rows(15), ["books"] * 15)
    scores = np.random.default_rng(3).random(15)

    order = ranking.diversify(candidates, scores, explore=0.0, limit=15, domain_cap=None)

    assert order == list(np.argsort(-scores))


def test_diversify_with_exploration_skips_near_duplicates():
    vectors = unit_rows(3)
    duplicate = vectors[0] + 0.01 * vectors[1]
    candidates = candidates_from(
        np.vstack([vectors[0], duplicate / np.linalg.norm(duplicate), vectors[2]]), ["books"] * 3
    )
    scores = np.array([1.0, 0.95, 0.8])

    assert ranking.diversify(candidates, scores, explore=0.0, limit=3, domain_cap=None) == [0, 1, 2]
    assert ranking.diversify(candidates, scores, explore=1.0, limit=3, domain_cap=None) == [0, 2, 1]


def test_diversify_of_nothing_is_empty():
    assert (
        ranking.diversify(candidates_from(np.zeros((0, 16), dtype=np.float32), []), np.zeros(0), explore=0.5, limit=10)
        == []
    )


def test_exploration_slots_grow_with_explore():
    counts = [len(ranking.exploration_slots(explore, 20)) for explore in (0.0, 0.25, 0.5, 0.75, 1.0)]

    assert counts[0] == 0
    assert counts == sorted(counts)
    assert counts[-1] > counts[1]
    slots = ranking.exploration_slots(1.0, 20)
    assert len(set(slots)) == len(slots)
    assert all(0 < slot < 20 for slot in slots)


def test_mmr_lambda_is_pure_relevance_when_not_exploring():
    assert ranking.mmr_lambda(0.0) == 1.0
    assert ranking.mmr_lambda(1.0) < ranking.mmr_lambda(0.5) < 1.0


def test_intra_list_diversity_is_zero_for_copies_and_one_for_orthogonal_vectors():
    assert ranking.intra_list_diversity(np.tile(unit_rows(1), (4, 1))) == pytest.approx(0.0, abs=1e-6)
    assert ranking.intra_list_diversity(np.eye(4, dtype=np.float32)) == pytest.approx(1.0)
    assert ranking.intra_list_diversity(unit_rows(1)) == 0.0


def test_query_feature_dominates_the_blend_for_a_matching_candidate():
    vectors = unit_rows(2)
    candidates = candidates_from(vectors, ["books", "books"])

    values = ranking.features(candidates, interests.InterestModel(), query_vector=vectors[1])
    scores = ranking.blend(values, ranking.DEFAULT_WEIGHTS)

    assert values["query"][1] == pytest.approx(1.0)
    assert scores[1] > scores[0]
