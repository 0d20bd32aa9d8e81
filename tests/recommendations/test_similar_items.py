"""More like this: an item page's candidates ranked by the ranker's similar-items weights, reasons from explain.py."""

import numpy as np
import pytest
from django.core.cache import cache

from recommendations import explain, fitting, interests, pipeline, splits
from recommendations.dataset import Dataset, build
from recommendations.features import FEATURES
from recommendations.models import RankerWeights
from recommendations.ranking import PRIORS, Ranker
from recommendations.selectors import similar_items
from recommendations.situations import SIMILAR_ITEMS, SITUATIONS
from recommendations.sources import Facts
from recommendations.sources.memory import MemorySources


def serve_with(similar_weights: dict[str, float]) -> None:
    """Serve a newer fitted version whose similar-items block is exactly these weights."""
    weights = {situation: dict(PRIORS[situation]) for situation in SITUATIONS}
    weights[SIMILAR_ITEMS] = dict.fromkeys(FEATURES, 0.0) | similar_weights
    version = RankerWeights.objects.count() + 1
    RankerWeights.objects.create(version=version, weights=weights, scales=dict.fromkeys(SITUATIONS, 1.0))
    cache.clear()


@pytest.fixture
def reef_and_sourdough(topics, person, embed_everything):
    # Different topics, so only behaviour connects them.
    reef, sourdough = topics["ocean"][1], topics["baking"][0]
    for _ in range(3):
        person(history=[(reef, "like"), (sourdough, "like")])
    embed_everything()
    return reef, sourdough


def test_similar_items_are_scored_by_the_ranker_signal_by_signal(reef_and_sourdough):
    reef, _ = reef_and_sourdough

    entries = similar_items(item=reef, limit=6)

    assert entries
    for entry in entries:
        assert set(entry.signals) == set(FEATURES)
        assert entry.score == pytest.approx(sum(entry.signals.values()), abs=1e-3)


def test_fitted_similar_items_weights_decide_the_order_and_the_reason(reef_and_sourdough):
    reef, sourdough = reef_and_sourdough

    serve_with({"collab": 1.0})
    by_co_engagement = similar_items(item=reef, limit=6)
    serve_with({"sem_items": 1.0})
    by_meaning = similar_items(item=reef, limit=6)

    assert by_co_engagement[0].item == sourdough
    assert by_co_engagement[0].reason == f"People who liked {reef.title} also liked this"
    assert by_co_engagement[0].reason_kind == "collaborative"
    assert by_meaning[0].item != sourdough
    assert by_meaning[0].reason_kind == "similar"
    assert by_meaning[0].reason in (
        f"Similar to {reef.title}",
        f"Close to {reef.title}, in {by_meaning[0].item.domain.name}",
    )


def test_stored_weights_from_before_similar_items_existed_serve_its_priors():
    stored = {situation: dict(PRIORS[situation]) for situation in SITUATIONS if situation != SIMILAR_ITEMS}

    ranker = Ranker(stored)

    assert ranker.raw_matrix()[SITUATIONS.index(SIMILAR_ITEMS)].tolist() == pytest.approx(
        [PRIORS[SIMILAR_ITEMS][name] for name in FEATURES]
    )


def facts_of(vectors, domains) -> Facts:
    n = len(vectors)
    return Facts(
        ids=np.arange(n),
        vectors=np.asarray(vectors, dtype=np.float32),
        domains=np.array(domains, dtype=object),
        popularity=np.zeros(n, dtype=np.float32),
        trending=np.zeros(n, dtype=np.float32),
        engagement=np.ones(n, dtype=np.float32),
        published=np.zeros(n),
        active=np.ones(n, dtype=bool),
    )


@pytest.mark.parametrize(
    ("signals", "domain", "reason"),
    [
        ({"sem_items": 0.6, "collab": 0.1}, "books", ("Similar to Moby-Dick", "similar")),
        ({"sem_items": 0.6, "collab": 0.1}, "podcasts", ("Close to Moby-Dick, in Podcasts", "similar")),
        (
            {"sem_items": 0.2, "collab": 0.3, "cf": 0.2},
            "podcasts",
            ("People who liked Moby-Dick also liked this", "collaborative"),
        ),
    ],
)
def test_an_item_page_reason_relates_each_entry_to_the_page_item(signals, domain, reason):
    page = facts_of([[1.0, 0.0]], ["books"])
    candidates = facts_of([[0.8, 0.6]], [domain])
    context = explain.Context(
        model=interests.InterestModel(),
        liked=page,
        titles={0: "Moby-Dick"},
        domain_names={"books": "Books", "podcasts": "Podcasts"},
        page_item=0,
    )

    assert explain.explain(candidates, 0, signals, context, freshness=1.0, exploration=False, source=None) == reason


def co_engaged_dataset(users: int = 12) -> Dataset:
    """Two topics; each person likes one topic's items in turn, so their next like is co-engaged with the last."""
    rng = np.random.default_rng(0)
    items = [{"id": f"{topic}-{n}", "domain": "books", "title": f"{topic} {n}"} for topic in "ab" for n in range(8)]
    rows = []
    for user in range(users):
        topic = "ab"[user % 2]
        for step, n in enumerate(rng.permutation(8)):
            rows.append((f"u{user}", f"{topic}-{n}", "like" if step % 3 else "view", None, 1_700_000_000 + step * 60))
        rows.append((f"u{user}", f"{'ba'[user % 2]}-0", "dislike", None, 1_700_000_000))
    dataset = build(name="co-engaged", item_rows=items, interaction_rows=rows)
    centres = {"a": np.array([1.0, 0.0, 0.0]), "b": np.array([0.0, 1.0, 0.0])}
    vectors = np.stack([centres[key[0]] + 0.3 * rng.normal(size=3) for key in dataset.item_keys])
    dataset.vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    return dataset


def test_co_engaged_split_asks_from_a_positive_item_for_what_the_person_went_on_to_like():
    split = splits.co_engaged(co_engaged_dataset())

    assert split.situation == SIMILAR_ITEMS and split.test
    train = split.train
    for user, query in split.queries.items():
        mine = train.users == user
        assert np.any(mine & (train.items == query) & (train.weights > 0))
        assert not split.test[user] & set(train.items[mine].tolist())


def test_fitting_builds_the_similar_items_task_from_the_page_items_pools():
    dataset = co_engaged_dataset()

    task = fitting.task_from_split(splits.co_engaged(dataset), seed=0)

    assert task.situation == SIMILAR_ITEMS
    assert set(np.unique(task.situations[task.situations >= 0]).tolist()) == {SITUATIONS.index(SIMILAR_ITEMS)}
    assert task.relevant.any()
    tasks, _, _ = fitting.tasks_for(dataset)
    assert SIMILAR_ITEMS in {found.situation for found in tasks}


def test_the_similar_pipeline_leaves_out_what_it_is_told_to():
    dataset = co_engaged_dataset()
    sources = MemorySources(dataset)

    ranked = pipeline.similar(0, excluded=frozenset({1, 2}), sources=sources, ranker=Ranker(), now=sources.now, limit=5)

    assert {entry.item_id for entry in ranked}.isdisjoint({0, 1, 2})
    assert all(entry.reason for entry in ranked)
