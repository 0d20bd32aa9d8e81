"""Score candidates with per-situation weights, then diversify (pure numpy)."""

import math
from dataclasses import dataclass, field

import numpy as np

from recommendations.features import FEATURES
from recommendations.situations import SITUATIONS

# Set by the person, not learned from logs: fitting leaves these weights as designed.
STATED_FEATURES = ("query", "preferred_domain")
# Signals that can only push an item down.
PUSH_AWAY = ("negative",)

# Priors: what ranks before the site has behaviour to fit on, and what a situation keeps for any signal
# its fitting task cannot observe.
PRIOR = {
    "sem_history": 1.0,
    "sem_items": 0.5,
    "sem_transfer": 0.3,
    "sem_bio": 1.0,
    "query": 2.5,
    "collab": 0.5,
    "collab_cross": 0.3,
    "cf": 0.5,
    "people": 0.5,
    "popularity": 0.2,
    "trending": 0.1,
    "freshness": 0.1,
    "preferred_domain": 0.15,
    "negative": -0.8,
}
PRIOR_WEIGHTS = {situation: dict(PRIOR) for situation in SITUATIONS}


@dataclass
class Ranker:
    """Blend weights per situation; `version` is the stored fit they came from (None: the priors)."""

    weights: dict[str, dict[str, float]] = field(default_factory=lambda: {s: dict(PRIOR) for s in SITUATIONS})
    version: int | None = None

    def matrix(self) -> np.ndarray:
        """situations x features."""
        return np.array(
            [[self.weights.get(s, PRIOR).get(name, PRIOR[name]) for name in FEATURES] for s in SITUATIONS],
            dtype=np.float32,
        )

    def score(self, values: dict[str, np.ndarray], situations: np.ndarray) -> np.ndarray:
        if len(situations) == 0:
            return np.zeros(0, dtype=np.float32)
        stacked = np.stack([values[name] for name in FEATURES], axis=1)
        return (stacked * self.matrix()[situations]).sum(axis=1)

    def contributions(self, values: dict[str, np.ndarray], situation: int, row: int) -> dict[str, float]:
        weights = self.weights.get(SITUATIONS[situation], PRIOR)
        return {name: round(float(weights.get(name, PRIOR[name]) * values[name][row]), 4) for name in FEATURES}


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
