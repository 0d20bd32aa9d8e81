"""Train/test splits. Each returns a Split: what the recommender may learn from, and what it must find."""

from dataclasses import dataclass

import numpy as np

from recommendations.evaluation.data import Dataset


@dataclass
class Split:
    name: str
    train: Dataset
    # user index -> set of item indices to find
    test: dict[int, set[int]]
    # item indices that may be recommended (None: every item the user has not trained on)
    candidate_items: np.ndarray | None = None
    # per-user candidate restriction (cross-domain: only the hidden domain)
    user_candidates: dict[int, np.ndarray] | None = None


def _positive(dataset: Dataset) -> np.ndarray:
    return dataset.weights > 0


def _per_user_order(dataset: Dataset):
    order = np.lexsort((dataset.timestamps, dataset.users))
    users = dataset.users[order]
    boundaries = np.flatnonzero(np.diff(users)) + 1
    return np.split(order, boundaries)


def temporal(dataset: Dataset, *, test_share: float = 0.2, min_interactions: int = 5) -> Split:
    """Per user, the last share of their interactions (by time) is held out."""
    train_mask = np.ones(len(dataset.users), dtype=bool)
    test: dict[int, set[int]] = {}
    for rows in _per_user_order(dataset):
        if len(rows) < min_interactions:
            continue
        held = rows[int(round(len(rows) * (1 - test_share))) :]
        train_mask[held] = False
        found = {int(dataset.items[row]) for row in held if dataset.weights[row] > 0}
        found -= set(dataset.items[rows[: len(rows) - len(held)]].tolist())
        if found:
            test[int(dataset.users[rows[0]])] = found
    return Split("temporal", dataset.subset(train_mask), test)


def cold_items(dataset: Dataset, *, share: float = 0.2, seed: int = 0) -> Split:
    """A share of items is removed from training entirely; users must find them among the other cold items."""
    rng = np.random.default_rng(seed)
    cold = rng.choice(dataset.n_items, size=int(dataset.n_items * share), replace=False)
    is_cold = np.zeros(dataset.n_items, dtype=bool)
    is_cold[cold] = True
    rows_cold = is_cold[dataset.items]
    test: dict[int, set[int]] = {}
    for user, item, weight in zip(
        dataset.users[rows_cold], dataset.items[rows_cold], dataset.weights[rows_cold], strict=True
    ):
        if weight > 0:
            test.setdefault(int(user), set()).add(int(item))
    train = dataset.subset(~rows_cold)
    trained_users = set(np.unique(train.users[_positive(train)]).tolist())
    test = {user: items for user, items in test.items() if user in trained_users}
    return Split("cold_items", train, test, candidate_items=np.sort(cold))


def few_shot(dataset: Dataset, *, shots: int = 3, min_interactions: int = 10) -> Split:
    """Users keep only their first few interactions; everything after is to be found."""
    train_mask = np.ones(len(dataset.users), dtype=bool)
    test: dict[int, set[int]] = {}
    for rows in _per_user_order(dataset):
        if len(rows) < min_interactions:
            continue
        held = rows[shots:]
        train_mask[held] = False
        found = {int(dataset.items[row]) for row in held if dataset.weights[row] > 0} - set(
            dataset.items[rows[:shots]].tolist()
        )
        if found:
            test[int(dataset.users[rows[0]])] = found
    return Split("few_shot", dataset.subset(train_mask), test)


def cross_domain(dataset: Dataset, *, user_share: float = 0.3, seed: int = 0, min_in_domain: int = 3) -> Split:
    """For some users, one domain they use is hidden entirely; can interest elsewhere find their items there?"""
    domains = dataset.item_domains
    if len(set(domains.tolist())) < 2:
        raise ValueError("the cross-domain split needs a dataset with at least two domains")
    rng = np.random.default_rng(seed)
    train_mask = np.ones(len(dataset.users), dtype=bool)
    test: dict[int, set[int]] = {}
    user_candidates: dict[int, np.ndarray] = {}
    for rows in _per_user_order(dataset):
        user = int(dataset.users[rows[0]])
        positive_rows = rows[dataset.weights[rows] > 0]
        row_domains = domains[dataset.items[positive_rows]]
        values, counts = np.unique(row_domains, return_counts=True)
        eligible = [value for value, count in zip(values, counts, strict=True) if count >= min_in_domain]
        if len(values) < 2 or not eligible or rng.random() > user_share:
            continue
        hidden = eligible[rng.integers(len(eligible))]
        hidden_rows = rows[domains[dataset.items[rows]] == hidden]
        train_mask[hidden_rows] = False
        test[user] = {int(dataset.items[row]) for row in hidden_rows if dataset.weights[row] > 0}
        user_candidates[user] = np.flatnonzero(domains == hidden)
    return Split("cross_domain", dataset.subset(train_mask), test, user_candidates=user_candidates)


SPLITS = {"temporal": temporal, "cold_items": cold_items, "few_shot": few_shot, "cross_domain": cross_domain}
