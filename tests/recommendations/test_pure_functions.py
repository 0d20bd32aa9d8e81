"""Interest building and ranking are pure numpy: checked here without a database or the model."""

import numpy as np
import pytest

from recommendations import collaborative, explain, features, interests, ranking, signals, situations
from recommendations.interests import Event, build_interest_model, item_weights, split_bio
from recommendations.signals import event_weight, rating_weight
from recommendations.sources import Facts


@pytest.mark.parametrize(("value", "weight"), [(5, 1.0), (4, 0.5), (3, 0.0), (2, -0.5), (1, -1.0)])
def test_rating_weight_is_centred_on_three(value, weight):
    assert rating_weight(value) == weight


def test_event_weight_halves_every_half_life():
    half_life = signals.RECENCY_HALF_LIFE_DAYS

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


class Candidates:
    """The three arrays diversity reads, for tests."""

    def __init__(self, vectors, domains, popularity=None):
        self.vectors = vectors
        self.domains = np.array(domains, dtype=object)
        self.popularity = np.zeros(len(vectors), dtype=np.float32) if popularity is None else popularity


def candidates_from(vectors, domains, popularity=None):
    return Candidates(vectors, domains, popularity)


def diversify(candidates, scores, **options):
    return ranking.diversify(candidates.vectors, candidates.domains, candidates.popularity, scores, **options)


def test_diversify_caps_each_domain_per_page():
    candidates = candidates_from(unit_rows(30), ["books"] * 10 + ["podcasts"] * 10 + ["courses"] * 10)
    # Every book outranks every podcast, which outranks every course.
    scores = np.linspace(1.0, 0.0, 30)

    order = diversify(candidates, scores, explore=0.0, limit=30, page_size=10, domain_cap=0.4)

    first_page = [candidates.domains[row] for row in order[:10]]
    assert first_page == ["books"] * 4 + ["podcasts"] * 4 + ["courses"] * 2
    assert sorted(order) == list(range(30)), "the cap relaxes rather than end the feed early"
    uncapped = diversify(candidates, scores, explore=0.0, limit=10, page_size=10, domain_cap=None)
    assert [candidates.domains[row] for row in uncapped] == ["books"] * 10


def test_diversify_with_no_exploration_keeps_relevance_order():
    candidates = candidates_from(unit_rows(15), ["books"] * 15)
    scores = np.random.default_rng(3).random(15)

    order = diversify(candidates, scores, explore=0.0, limit=15, domain_cap=None)

    assert order == list(np.argsort(-scores))


def test_diversify_with_exploration_skips_near_duplicates():
    vectors = unit_rows(3)
    duplicate = vectors[0] + 0.01 * vectors[1]
    candidates = candidates_from(
        np.vstack([vectors[0], duplicate / np.linalg.norm(duplicate), vectors[2]]), ["books"] * 3
    )
    scores = np.array([1.0, 0.95, 0.8])

    assert diversify(candidates, scores, explore=0.0, limit=3, domain_cap=None) == [0, 1, 2]
    assert diversify(candidates, scores, explore=1.0, limit=3, domain_cap=None) == [0, 2, 1]


def test_diversify_of_nothing_is_empty():
    assert diversify(candidates_from(np.zeros((0, 16), dtype=np.float32), []), np.zeros(0), explore=0.5, limit=10) == []


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


def facts_of(vectors, domains, *, engagement=None, popularity=None):
    n = len(vectors)
    return Facts(
        ids=np.arange(n),
        vectors=vectors,
        domains=np.array(domains, dtype=object),
        popularity=np.zeros(n, dtype=np.float32) if popularity is None else popularity,
        trending=np.zeros(n, dtype=np.float32),
        engagement=np.ones(n, dtype=np.float32) if engagement is None else engagement,
        published=np.zeros(n),
        active=np.ones(n, dtype=bool),
    )


def no_evidence(dimensions=16):
    empty = facts_of(np.zeros((0, dimensions), dtype=np.float32), [])
    return features.Evidence(collab={}, collab_cross={}, cf={}, people={}, liked=empty)


def test_query_feature_dominates_the_blend_for_a_matching_candidate():
    vectors = unit_rows(2)
    facts = facts_of(vectors, ["books", "books"])

    values = features.compute(
        facts,
        model=interests.InterestModel(),
        evidence=no_evidence(),
        now=0.0,
        query_vector=vectors[1],
        preferred_domains=frozenset(),
        centres={},
    )
    scores = ranking.Ranker().score(values, np.zeros(2, dtype=int))

    assert values["query"][1] == pytest.approx(1.0)
    assert scores[1] > scores[0]


def test_situations_follow_history_domains_and_untouched_items():
    facts = facts_of(unit_rows(4), ["books", "books", "movies", "books"], engagement=np.array([3, 0, 5, 2]))

    def named(**person):
        return [situations.SITUATIONS[index] for index in situations.assign(facts=facts, **person)]

    assert named(positive_items=0, history_domains=set()) == ["words_only"] * 4
    assert named(positive_items=3, history_domains={"books"}) == [
        "short_history",
        "new_item",
        "new_domain",
        "short_history",
    ]
    assert named(positive_items=40, history_domains={"books", "movies"})[0] == "long_history"


def test_ranker_scores_each_candidate_with_its_situations_weights():
    values = {name: np.ones(2, dtype=np.float32) if name == "popularity" else np.zeros(2) for name in features.FEATURES}
    ranker = ranking.Ranker()
    ranker.weights["new_item"] = {**ranking.PRIORS["new_item"], "popularity": 5.0}

    scores = ranker.score(
        values, np.array([situations.SITUATIONS.index("long_history"), situations.SITUATIONS.index("new_item")])
    )

    assert scores[0] == pytest.approx(ranking.PRIORS["long_history"]["popularity"])
    assert scores[1] == pytest.approx(5.0)


def test_item_statistics_decay_popularity_and_count_the_last_week_as_trending():
    day = 86400.0
    items = np.array([0, 0, 1, 2, 2])
    weights = signals.weights(np.array(["like", "like", "like", "dislike", "view"], dtype=object), np.full(5, np.nan))
    stamps = np.array([100 * day, 100 * day, 40 * day, 100 * day, 100 * day])

    stats = collaborative.item_statistics(items=items, weights=weights, timestamps=stamps, n_items=4)

    assert list(stats.engagement) == [2, 1, 2, 0]
    assert stats.popularity[0] == pytest.approx(1.0)
    # Two likes today; one like sixty days (two half-lives) ago still outweighs a view today.
    assert stats.popularity[0] > stats.popularity[1] > stats.popularity[2] > 0
    assert stats.trending[1] == 0.0 and stats.trending[0] == pytest.approx(1.0)
    assert stats.popularity[3] == stats.trending[3] == 0.0


def test_ease_neighbour_lists_keep_the_strongest_weights_negative_ones_included():
    from scipy import sparse

    rng = np.random.default_rng(4)
    matrix = sparse.csr_matrix((rng.random((60, 12)) < 0.3).astype(np.float32))
    dense = collaborative.ease_weights(matrix, np.arange(12))
    assert dense.min() < 0, "EASE explains items away with negative weights"

    lists = collaborative.neighbour_lists(matrix, np.array(["books"] * 12, dtype=object))

    row, column = np.unravel_index(np.argmin(dense), dense.shape)
    assert lists[collaborative.CF][row, column] == pytest.approx(dense[row, column])
    assert lists[collaborative.COSINE].min() >= 0
    assert not lists[collaborative.CROSS].nnz, "one domain: nothing across domains"


def test_people_scores_weigh_closer_words_more_and_scale_each_persons_likes():
    scores = collaborative.people_scores([(0.9, {1: 2.0, 2: 1.0}), (0.3, {3: 5.0}), (-0.2, {4: 1.0})])

    assert scores[1] == pytest.approx(0.9**3)
    assert scores[2] == pytest.approx(0.9**3 / 2)
    assert scores[3] == pytest.approx(0.3**3)
    assert 4 not in scores


def test_the_pipeline_serves_the_explore_setting_a_new_profile_starts_with():
    from content.models import DEFAULT_EXPLORE, Profile
    from recommendations.pipeline import DEFAULT_EXPLORE as SERVED

    assert SERVED == DEFAULT_EXPLORE == Profile._meta.get_field("explore").default


def test_a_reason_names_what_set_the_item_apart_not_what_every_candidate_shares():
    """Everything is new, so freshness explains nothing; closeness to the like, split over several signals, does."""
    liked_vector = unit_rows(1)[0]
    facts = facts_of(np.stack([liked_vector, liked_vector]), ["books", "books"])
    context = explain.Context(
        model=interests.InterestModel(),
        liked=facts_of(liked_vector[None, :], ["articles"]),
        titles={0: "Hubble's Deepest Field"},
        domain_names={"books": "Books"},
    )
    signals = {"sem_items": 0.05, "sem_history": 0.02, "sem_transfer": 0.02, "freshness": 0.1}

    shared = explain.explain(
        facts, 0, signals, context, freshness=1.0, exploration=False, source=None, typical={"freshness": 0.1}
    )
    unaware = explain.explain(facts, 0, signals, context, freshness=1.0, exploration=False, source=None, typical={})

    assert shared == ("Because you liked Hubble's Deepest Field", "liked")
    assert unaware == ("New in Books", "fresh"), "with no other candidates to compare, freshness is the largest"


def test_ease_across_domains_predicts_a_domain_from_the_others_only():
    from scipy import sparse

    # Items 0-1 are books, 2-3 movies. People who liked book 0 liked movie 2; people who liked book 1 liked movie 3.
    rows = [(person, item) for person in range(6) for item in ((0, 2) if person < 3 else (1, 3))]
    users, items = zip(*rows, strict=True)
    matrix = sparse.csr_matrix((np.ones(len(rows)), (users, items)), shape=(6, 4))
    domains = np.array(["books", "books", "movies", "movies"], dtype=object)

    weights = np.zeros((4, 4))
    for source, target, block in collaborative.ease_across_domains(matrix, np.arange(4), domains):
        weights[np.ix_(source, target)] = block

    assert weights[0, 2] > weights[0, 3] and weights[1, 3] > weights[1, 2]
    # An item never weighs on its own domain: a newcomer to that domain has nothing there.
    assert weights[0, 1] == weights[2, 3] == weights[0, 0] == 0


def test_ease_across_domains_on_a_large_catalog_regresses_on_each_domains_most_engaged_items(monkeypatch):
    from scipy import sparse

    monkeypatch.setattr(collaborative, "EASE_MAX_ITEMS", 1)
    # Book 1 is engaged by more people than book 0; movie 3 more than movie 2.
    rows = [(0, 0), (0, 2), (1, 1), (1, 3), (2, 1), (2, 3), (3, 1)]
    users, items = zip(*rows, strict=True)
    matrix = sparse.csr_matrix((np.ones(len(rows)), (users, items)), shape=(4, 4))
    domains = np.array(["books", "books", "movies", "movies"], dtype=object)

    blocks = {
        tuple(source): tuple(target)
        for source, target, _ in collaborative.ease_across_domains(matrix, np.arange(4), domains)
    }

    assert blocks == {(3,): (1,), (1,): (3,)}


def test_a_candidate_in_a_domain_the_history_never_touched_is_scored_by_the_model_fitted_for_it():
    liked = Facts(
        ids=np.array([1]),
        vectors=np.zeros((1, 2), dtype=np.float32),
        domains=np.array(["books"], dtype=object),
        popularity=np.zeros(1, dtype=np.float32),
        trending=np.zeros(1, dtype=np.float32),
        engagement=np.ones(1, dtype=np.float32),
        published=np.zeros(1),
        active=np.ones(1, dtype=bool),
    )
    candidates = Facts(
        ids=np.array([10, 20, 30]),
        vectors=np.zeros((3, 2), dtype=np.float32),
        domains=np.array(["books", "movies", "movies"], dtype=object),
        popularity=np.zeros(3, dtype=np.float32),
        trending=np.zeros(3, dtype=np.float32),
        engagement=np.ones(3, dtype=np.float32),
        published=np.zeros(3),
        active=np.ones(3, dtype=bool),
    )
    evidence = features.Evidence(
        collab={}, collab_cross={}, cf={10: 2.0, 20: 4.0}, people={}, liked=liked, cf_cross={20: 1.0, 30: 3.0}
    )

    scores = features._collaborative_model(candidates, evidence)

    # The book keeps the model fitted on everything (scaled among all candidates); the films take the one fitted
    # across domains, scaled among themselves.
    assert scores.tolist() == pytest.approx([0.5, 1 / 3, 1.0])


def test_a_few_words_are_trusted_less_than_a_paragraph():
    from recommendations.features import words_trust
    from recommendations.interests import InterestModel, InterestVector

    def wrote(*phrases):
        return InterestModel(interests=[InterestVector("bio", np.zeros(2), 1.0, phrase) for phrase in phrases])

    short = words_trust(wrote("hi, any comedies?"))
    long = words_trust(wrote("I love slow science fiction with big ideas", "and quiet family dramas set in the 70s"))

    assert 0 < short < long < 1
    assert words_trust(InterestModel()) == 0.0
