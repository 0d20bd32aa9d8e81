"""Score candidates with per-situation weights, then diversify (pure numpy)."""

import math
from dataclasses import dataclass, field

import numpy as np

from recommendations.features import FEATURES
from recommendations.situations import (
    LONG_HISTORY,
    NEW_DOMAIN,
    NEW_ITEM,
    SHORT_HISTORY,
    SIMILAR_ITEMS,
    SITUATIONS,
    WORDS_ONLY,
)

# Set by the person, not learned from logs: fitting leaves these weights as designed.
STATED_FEATURES = ("query", "preferred_domain")
# Signals that can only push an item down.
PUSH_AWAY = ("negative",)

# Set by the person, the same in every situation.
_STATED = {"query": 2.5, "preferred_domain": 0.15, "negative": -0.8}
_NONE = dict.fromkeys(FEATURES, 0.0)
# Priors: what ranks before the site has behaviour to fit on, and what a situation keeps for any signal its
# fitting task cannot observe. With a history, the collaborative model leads (EASE is the strongest simple peer) and
# meaning refines it; with words only, the people who wrote alike and the words themselves lead; across a domain
# boundary, co-engagement across domains and meaning without each domain's style carry the interest over; a new item
# has only its meaning and its freshness.
_LONG = (
    _NONE
    | _STATED
    | {
        "cf": 1.0,
        "collab": 0.3,
        "collab_cross": 0.1,
        "sem_history": 0.5,
        "sem_items": 0.3,
        "sem_transfer": 0.1,
        "sem_taste": 0.1,
        "sem_bio": 0.3,
        "people": 0.2,
        "popularity": 0.1,
        "trending": 0.05,
        "freshness": 0.05,
    }
)
PRIORS = {
    LONG_HISTORY: _LONG,
    # A few clicks are weak evidence: the bio, single liked items, people alike and popularity speak louder.
    SHORT_HISTORY: _LONG | {"sem_items": 0.5, "sem_bio": 0.8, "people": 0.5, "popularity": 0.2, "trending": 0.1},
    WORDS_ONLY: _NONE | _STATED | {"sem_bio": 1.0, "people": 1.0, "popularity": 0.3, "trending": 0.1, "freshness": 0.1},
    NEW_DOMAIN: _NONE
    | _STATED
    | {
        "cf": 1.0,
        "collab": 0.3,
        "collab_cross": 0.5,
        "sem_history": 0.3,
        "sem_items": 0.3,
        "sem_transfer": 0.5,
        "sem_taste": 0.3,
        "sem_bio": 0.3,
        "people": 0.3,
        "popularity": 0.3,
        "trending": 0.1,
        "freshness": 0.05,
    },
    # Closeness to what the collaborative model expects the person to like, and to what they liked, on the scale of
    # the meaning part of a history's blend: an untouched item outranks engaged ones only when it is much closer in
    # meaning (fitting rescales it where new items compete with the rest).
    NEW_ITEM: _NONE
    | _STATED
    | {"sem_taste": 0.6, "sem_items": 0.4, "sem_history": 0.1, "sem_transfer": 0.1, "sem_bio": 0.5, "freshness": 0.1},
    # More like this (features.for_item): mostly closeness in meaning to the page's item, co-engagement with it second
    # (the hand-set blend served before this situation could be fitted: on MovieLens 100k, 99.8% of its top 10). No
    # person's words or choices take part, so nothing is stated.
    SIMILAR_ITEMS: _NONE | {"sem_items": 0.75, "collab": 0.25},
}


@dataclass
class Ranker:
    """Blend weights per situation, and a scale per situation that sets how an item-level situation (a new item, a
    new domain) competes with the rest of a person's candidates; `version` is the stored fit (None: the priors)."""

    weights: dict[str, dict[str, float]] = field(default_factory=lambda: {s: dict(PRIORS[s]) for s in SITUATIONS})
    version: int | None = None
    scales: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SITUATIONS, 1.0))

    def raw_matrix(self) -> np.ndarray:
        """situations x features, before scales."""
        return np.array(
            [[self.weights.get(s, PRIORS[s]).get(name, PRIORS[s][name]) for name in FEATURES] for s in SITUATIONS],
            dtype=np.float32,
        )

    def scale_vector(self) -> np.ndarray:
        return np.array([self.scales.get(s, 1.0) for s in SITUATIONS], dtype=np.float32)

    def matrix(self) -> np.ndarray:
        """situations x features, as scores are computed."""
        return self.raw_matrix() * self.scale_vector()[:, None]

    def score(self, values: dict[str, np.ndarray], situations: np.ndarray) -> np.ndarray:
        if len(situations) == 0:
            return np.zeros(0, dtype=np.float32)
        return self.contribution_matrix(values, situations).sum(axis=1)

    def contribution_matrix(self, values: dict[str, np.ndarray], situations: np.ndarray) -> np.ndarray:
        """candidates x features: what each signal adds to each candidate's score."""
        stacked = np.stack([values[name] for name in FEATURES], axis=1)
        return stacked * self.matrix()[situations]


def explained(contributions: np.ndarray, rows: list[int]) -> tuple[list[dict[str, float]], dict[str, float]]:
    """From a contribution matrix (Ranker.contribution_matrix): what each signal adds to the score of each of `rows`,
    rounded as shown, and the median candidate's contributions: what does not set any one item apart."""
    if len(contributions) == 0:
        return [], dict.fromkeys(FEATURES, 0.0)
    contributions = contributions.astype(np.float64)
    typical = dict(zip(FEATURES, np.median(contributions, axis=0).tolist(), strict=True))
    shown = np.round(contributions[rows], 4).tolist() if rows else []
    return [dict(zip(FEATURES, row, strict=True)) for row in shown], typical


def mmr_lambda(explore: float) -> float:
    """explore 0 -> pure relevance; explore 1 -> novelty outweighs relevance."""
    return 1.0 - 0.7 * explore


def diversify(
    vectors: np.ndarray,
    domains: np.ndarray,
    popularity: np.ndarray,
    scores: np.ndarray,
    *,
    explore: float,
    limit: int,
    page_size: int = 20,
    domain_cap: float | None = 0.4,
) -> list[int]:
    """Maximal marginal relevance with a per-domain cap on each page and a popularity penalty.

    Returns row positions in display order.
    """
    n = len(scores)
    if n == 0:
        return []
    relevance = scores - scores.min()
    if relevance.max() > 0:
        relevance = relevance / relevance.max()
    relevance = relevance - 0.25 * explore * popularity
    lam = mmr_lambda(explore)
    cap = max(2, math.ceil(page_size * domain_cap)) if domain_cap and len(set(domains.tolist())) > 1 else None
    closest = np.zeros(n, dtype=np.float32)
    available = np.ones(n, dtype=bool)
    order: list[int] = []
    page_counts: dict[str, int] = {}
    while len(order) < min(limit, n):
        if len(order) % page_size == 0:
            page_counts = {}
        value = lam * relevance - (1 - lam) * closest
        value[~available] = -np.inf
        if cap is not None:
            for domain, count in page_counts.items():
                if count >= cap:
                    value[domains == domain] = -np.inf
        pick = int(np.argmax(value))
        if not np.isfinite(value[pick]):
            # Every remaining item is in a capped domain: relax the cap rather than end the feed early.
            if cap is None or not available.any():
                break
            page_counts = {}
            continue
        order.append(pick)
        available[pick] = False
        page_counts[domains[pick]] = page_counts.get(domains[pick], 0) + 1
        np.maximum(closest, vectors @ vectors[pick], out=closest)
    return order


def exploration_slots(explore: float, page_size: int) -> list[int]:
    """Positions within a page reserved for something new or different; more of them the more adventurous."""
    count = round(explore * page_size * 0.15)
    if count == 0:
        return []
    step = page_size // (count + 1)
    return [step * (index + 1) for index in range(count)]


def with_exploration(
    order: list[int],
    *,
    domains: np.ndarray,
    popularity: np.ndarray,
    freshness: np.ndarray,
    scores: np.ndarray,
    explore: float,
    page_size: int = 20,
) -> list[tuple[int, bool]]:
    """Put fresh or long-tail items from domains the page lacks into the reserved exploration slots.

    Returns (row, is_exploration) in display order.
    """
    slots = exploration_slots(explore, page_size)
    result = [(row, False) for row in order]
    if not slots:
        return result
    used = set(order[:page_size])
    long_tail = popularity < 0.5
    for page_start in range(0, len(result), page_size):
        page_domains = {domains[row] for row, _ in result[page_start : page_start + page_size]}
        for slot in slots:
            position = page_start + slot
            if position >= len(result):
                break
            options = [
                row
                for row, _ in result[position + 1 :]
                if row not in used and domains[row] not in page_domains and (long_tail[row] or freshness[row] > 0.5)
            ]
            if not options:
                continue
            pick = max(options, key=lambda row: scores[row])
            result = [entry for entry in result if entry[0] != pick]
            result.insert(position, (pick, True))
            page_domains.add(domains[pick])
            used.add(pick)
    return result


def intra_list_diversity(vectors: np.ndarray) -> float:
    """Mean pairwise cosine distance of a list."""
    if len(vectors) < 2:
        return 0.0
    similarity = vectors @ vectors.T
    n = len(vectors)
    return float((n * n - similarity.sum()) / (n * (n - 1)))
