"""Hold-out splits that reproduce each situation the ranker serves.

Fitting uses them on the site's own data (to learn each situation's weights); offline evaluation uses them on
public data. Each returns a Split: what may be learned from, what each test user must find, and where.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from recommendations import signals, situations
from recommendations.dataset import Dataset
from recommendations.sources import Scope


@dataclass
class Split:
    name: str
    situation: str
    train: Dataset
    # user -> item positions to find
    test: dict[int, set[int]]
    # user -> which items they are served from (a domain tab, a set of new items); default: everything
    scopes: dict[int, Scope] = field(default_factory=dict)
    # user -> the item whose page they are on, where what they must find is "more like this" of it
    queries: dict[int, int] = field(default_factory=dict)
    # What the split found in the data and did about it (no usable time, a random holdout instead, ...).
    notes: list[str] = field(default_factory=list)

    def scope(self, user: int) -> Scope:
        return self.scopes.get(user, Scope())


class SplitSkipped(ValueError):
    """The dataset cannot reproduce this situation (the message says why)."""


# Time orders a history only where it decides what comes last: an export that stamps every event alike (or by the
# day, in bulk) says nothing about which of a person's events came after the others.
MAX_TIED_SHARE = 0.5


def tied_share(dataset: Dataset, *, test_share: float = 0.2) -> float:
    """Of the events a split by time would hold out (each person's last share), the share whose timestamp equals that
    of an event kept for training: where they tie, chance, not time, decides what is held out."""
    order = np.lexsort((dataset.timestamps, dataset.users))
    tied, held = 0, 0
    for rows in np.split(order, np.flatnonzero(np.diff(dataset.users[order])) + 1) if len(order) else []:
        cut = int(round(len(rows) * (1 - test_share)))
        if 0 < cut < len(rows):
            stamps = dataset.timestamps[rows]
            tied += int(np.isin(stamps[cut:], stamps[:cut]).sum())
            held += len(rows) - cut
    return tied / held if held else 0.0


def time_is_usable(dataset: Dataset) -> bool:
    return tied_share(dataset) <= MAX_TIED_SHARE


def _by_user(dataset: Dataset, *, seed: int, by_time: bool = True) -> list[np.ndarray]:
    """Row indices per user, each in time order with ties in a seeded random order; without `by_time`, each user's
    rows in a seeded random order. The order is a hash of (user, item, seed), so the order of rows in a file never
    decides what comes first."""
    if len(dataset.users) == 0:
        return []
    shuffle = _mix(dataset.users, dataset.items, seed)
    keys = (shuffle, dataset.timestamps, dataset.users) if by_time else (shuffle, dataset.users)
    order = np.lexsort(keys)
    return np.split(order, np.flatnonzero(np.diff(dataset.users[order])) + 1)


def _mix(users: np.ndarray, items: np.ndarray, seed: int) -> np.ndarray:
    """A seeded pseudo-random number per (user, item) pair: splitmix64's finaliser over both ids."""
    with np.errstate(over="ignore"):
        x = (
            users.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
            + items.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
            + np.uint64(seed) * np.uint64(0x94D049BB133111EB)
        )
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return x


def _ordering(dataset: Dataset, name: str) -> tuple[bool, list[str]]:
    """Whether the split can follow time, and the note that says so when it cannot."""
    if time_is_usable(dataset):
        return True, []
    share = tied_share(dataset)
    return False, [
        f"{share:.0%} of the events a split by time would hold out share their timestamp with an event it would keep: "
        f"time cannot order these histories, so the {name} split holds out a random share of each person's events"
    ]


def _found(dataset: Dataset, held: np.ndarray, trained: np.ndarray) -> set[int]:
    """Positively engaged items among the held-out rows that the user did not already meet in training."""
    positive = {int(dataset.items[row]) for row in held if signals.leans_for(dataset.weights[row])}
    return positive - set(dataset.items[trained].tolist())


def _require(test: dict, name: str) -> None:
    if not test:
        raise SplitSkipped(f"no user qualifies for the {name} split in this dataset")


def temporal(dataset: Dataset, *, test_share: float = 0.2, min_interactions: int = 5, seed: int = 0) -> Split:
    """Per user, the last share of their interactions (by time) is held out: a long history continued. Without usable
    time, a random share of each user's interactions."""
    by_time, notes = _ordering(dataset, "temporal")
    train_mask = np.ones(len(dataset.users), dtype=bool)
    test: dict[int, set[int]] = {}
    for rows in _by_user(dataset, seed=seed, by_time=by_time):
        if len(rows) < min_interactions:
            continue
        cut = int(round(len(rows) * (1 - test_share)))
        train_mask[rows[cut:]] = False
        found = _found(dataset, rows[cut:], rows[:cut])
        if found:
            test[int(dataset.users[rows[0]])] = found
    _require(test, "temporal")
    return Split("temporal", situations.LONG_HISTORY, dataset.subset(train_mask), test, notes=notes)


def few_shot(
    dataset: Dataset, *, shots: int = 3, min_interactions: int = 10, seed: int = 0, shorter: bool = False
) -> Split:
    """Users keep only their first few interactions; everything after is to be found: a short history.

    With `shorter`, users with fewer than min_interactions keep all but their last interaction (at most `shots`),
    so data made only of short histories (a few-shot training set) can still reproduce an even shorter one. Without
    usable time, users keep a random few.
    """
    by_time, notes = _ordering(dataset, "few_shot")
    train_mask = np.ones(len(dataset.users), dtype=bool)
    test: dict[int, set[int]] = {}
    for rows in _by_user(dataset, seed=seed, by_time=by_time):
        if len(rows) < (2 if shorter else min_interactions):
            continue
        keep = shots if len(rows) >= min_interactions else min(shots, len(rows) - 1)
        train_mask[rows[keep:]] = False
        found = _found(dataset, rows[keep:], rows[:keep])
        if found:
            test[int(dataset.users[rows[0]])] = found
    _require(test, "few_shot")
    return Split("few_shot", situations.SHORT_HISTORY, dataset.subset(train_mask), test, notes=notes)


def cold_items(dataset: Dataset, *, share: float = 0.2, seed: int = 0) -> Split:
    """A share of items is removed from training entirely; users must find them among the other new items."""
    rng = np.random.default_rng(seed)
    cold = rng.choice(dataset.n_items, size=max(1, int(dataset.n_items * share)), replace=False)
    is_cold = np.zeros(dataset.n_items, dtype=bool)
    is_cold[cold] = True
    rows_cold = is_cold[dataset.items]
    train = dataset.subset(~rows_cold)
    trained_users = set(np.unique(train.users[signals.leans_for(train.weights)]).tolist())
    test: dict[int, set[int]] = {}
    for user, item, weight in zip(
        dataset.users[rows_cold], dataset.items[rows_cold], dataset.weights[rows_cold], strict=True
    ):
        if signals.leans_for(weight) and int(user) in trained_users:
            test.setdefault(int(user), set()).add(int(item))
    _require(test, "cold_items")
    scope = Scope(within=frozenset(int(item) for item in cold))
    return Split("cold_items", situations.NEW_ITEM, train, test, dict.fromkeys(test, scope))


def words_only(
    dataset: Dataset, *, share: float = 0.2, seed: int = 0, fold: int | None = None, brief: bool = False
) -> Split:
    """People who wrote a bio are held out wholesale: predicted from their words alone, trained on everyone else.

    With `fold` (0-4), the test users are that fifth of the people with bios, so five folds test everyone once.
    With `brief`, each held-out person keeps a random number of the leading phrases of their bio, at least one: the
    words-only people a site serves have often written a sentence or two so far, not a paragraph.
    """
    people = sorted(
        user for user in dataset.bios if np.any((dataset.users == user) & signals.leans_for(dataset.weights))
    )
    if not people:
        raise SplitSkipped("the words_only split needs users with a bio and at least one positive interaction")
    order = np.random.default_rng(seed).permutation(people)
    chosen = order[fold::5] if fold is not None else order[: max(1, int(round(len(order) * share)))]
    chosen = {int(user) for user in chosen}
    held = np.isin(dataset.users, list(chosen))
    test = {
        user: {int(item) for item in dataset.items[held & (dataset.users == user) & signals.leans_for(dataset.weights)]}
        for user in chosen
    }
    train = dataset.subset(~held)
    if brief:
        train = _briefer(train, chosen, np.random.default_rng(seed + 1))
    return Split("words_only", situations.WORDS_ONLY, train, test)


def _briefer(dataset: Dataset, people: set[int], rng) -> Dataset:
    """The same data where each of `people` wrote only the first few phrases of their bio, a uniformly drawn number
    of them (phrase vectors kept; the whole bio's vector becomes the mean of the phrases kept)."""
    bios, vectors, phrases = dict(dataset.bios), dict(dataset.bio_vectors), dict(dataset.bio_phrases)
    for user in sorted(people):
        found = phrases.get(user, [])
        if len(found) < 2:
            continue
        kept = found[: int(rng.integers(1, len(found) + 1))]
        centre = np.mean([vector for _, vector in kept], axis=0)
        phrases[user] = kept
        vectors[user] = (centre / (np.linalg.norm(centre) or 1.0)).astype(np.float32)
        bios[user] = " ".join(text for text, _ in kept)
    return replace(dataset, bios=bios, bio_vectors=vectors, bio_phrases=phrases)


def new_domain(dataset: Dataset, *, user_share: float = 0.3, seed: int = 0, min_in_domain: int = 3) -> Split:
    """For some users, one domain they use is hidden entirely; can their interest elsewhere find their items there?"""
    domains = dataset.item_domains
    if len(set(domains.tolist())) < 2:
        raise SplitSkipped("the new_domain split needs items in at least two domains (try --domains genre)")
    rng = np.random.default_rng(seed)
    train_mask = np.ones(len(dataset.users), dtype=bool)
    test: dict[int, set[int]] = {}
    scopes: dict[int, Scope] = {}
    for rows in _by_user(dataset, seed=seed, by_time=False):
        user = int(dataset.users[rows[0]])
        positive_rows = rows[signals.leans_for(dataset.weights[rows])]
        values, counts = np.unique(domains[dataset.items[positive_rows]], return_counts=True)
        eligible = [value for value, count in zip(values, counts, strict=True) if count >= min_in_domain]
        if len(values) < 2 or not eligible or rng.random() > user_share:
            continue
        hidden = eligible[rng.integers(len(eligible))]
        hidden_rows = rows[domains[dataset.items[rows]] == hidden]
        train_mask[hidden_rows] = False
        test[user] = {int(dataset.items[row]) for row in hidden_rows if signals.leans_for(dataset.weights[row])}
        scopes[user] = Scope(domain=str(hidden))
    _require(test, "new_domain")
    return Split("new_domain", situations.NEW_DOMAIN, dataset.subset(train_mask), test, scopes)


def co_engaged(dataset: Dataset, *, seed: int = 0, **options) -> Split:
    """A history continued (temporal), seen from an item page: the page is the person's latest positive before the
    cut, and what they must find among its similar items is what they went on to like, its held-out co-engaged
    items."""
    continued = temporal(dataset, seed=seed, **options)
    train = continued.train
    queries = {}
    for rows in _by_user(train, seed=seed, by_time=not continued.notes):
        user = int(train.users[rows[0]])
        positive = rows[signals.leans_for(train.weights[rows])]
        if user in continued.test and len(positive):
            queries[user] = int(train.items[positive[-1]])
    test = {user: continued.test[user] for user in queries}
    _require(test, "similar_items")
    return Split("similar_items", situations.SIMILAR_ITEMS, train, test, queries=queries, notes=continued.notes)


def holdout(dataset: Dataset, pairs: list[tuple[int, int, str | None]]) -> Split:
    """An external protocol: hide exactly these (user, item) pairs and find them; a domain limits that user's
    candidates. Everything not listed trains; a listed user with no interactions left is served from words alone."""
    hidden = set()
    test: dict[int, set[int]] = {}
    scopes: dict[int, Scope] = {}
    for user, item, domain in pairs:
        hidden.add((user, item))
        test.setdefault(user, set()).add(item)
        if domain:
            scopes[user] = Scope(domain=domain)
    keep = np.array([(int(u), int(i)) not in hidden for u, i in zip(dataset.users, dataset.items, strict=True)])
    return Split("holdout", situations.LONG_HISTORY, dataset.subset(keep), test, scopes)


SPLITS = {
    "temporal": temporal,
    "few_shot": few_shot,
    "words_only": words_only,
    "new_domain": new_domain,
    "cold_items": cold_items,
}
