"""Build a user's several interests from their words and their history (pure functions, no database)."""

import math
import re
from dataclasses import dataclass, field

import numpy as np

from recommendations import signals

MAX_HISTORY_INTERESTS = 4
# The strongest positive items kept with a person's interests (co-engagement anchors, "people like you").
MAX_STORED_POSITIVES = 300
MAX_BIO_PHRASES = 4
# The bio counts like this many liked items: it dominates a short history and fades behind a long one.
BIO_EVIDENCE = 3.0


@dataclass
class Event:
    item_id: int
    kind: str
    value: float | None
    age_days: float


@dataclass
class InterestVector:
    source: str  # "bio" or "history"
    vector: np.ndarray
    weight: float
    label: str = ""
    anchor_item_id: int | None = None


@dataclass
class InterestModel:
    interests: list[InterestVector] = field(default_factory=list)
    negative: np.ndarray | None = None
    positive_items: dict[int, float] = field(default_factory=dict)
    negative_items: dict[int, float] = field(default_factory=dict)

    @property
    def history_evidence(self) -> float:
        return sum(self.positive_items.values())

    def strongest(self, limit: int) -> list[int]:
        """Heaviest first; ties by id, so a reloaded model (stored as JSON, key order lost) agrees."""
        return sorted(self.positive_items, key=lambda item: (-self.positive_items[item], item))[:limit]

    def stored(self) -> "InterestModel":
        """The model as the site stores and reloads it: half-precision vectors, the strongest positives, rounded.

        Offline evaluation ranks with this form too, so both see exactly the same numbers.
        """

        def half(vector):
            return None if vector is None else np.asarray(vector, dtype=np.float16).astype(np.float32)

        return InterestModel(
            interests=[
                InterestVector(i.source, half(i.vector), float(i.weight), i.label[:300], i.anchor_item_id)
                for i in self.interests
            ],
            negative=half(self.negative),
            positive_items={item: round(self.positive_items[item], 4) for item in self.strongest(MAX_STORED_POSITIVES)},
            negative_items=dict(self.negative_items),
        )


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def item_weights(events: list[Event]) -> tuple[dict[int, float], dict[int, float]]:
    """Net weight per item, split into what the user leans towards and what they push away."""
    net: dict[int, float] = {}
    for event in events:
        net[event.item_id] = net.get(event.item_id, 0.0) + signals.event_weight(event.kind, event.value, event.age_days)
    positive = {item: weight for item, weight in net.items() if signals.leans_for(weight)}
    negative = {item: -weight for item, weight in net.items() if signals.leans_against(weight)}
    return positive, negative


def split_bio(bio: str) -> list[str]:
    """Phrases that can each carry an interest: sentences, and clauses joined by 'and also', 'but also'."""
    pieces = re.split(r"(?<=[.!?;])\s+|\n+|\s+(?:and also|but also|as well as)\s+", bio.strip())
    phrases = [piece.strip(" .!?;,") for piece in pieces if len(piece.split()) >= 3]
    return phrases[:MAX_BIO_PHRASES]


def spherical_kmeans(points: np.ndarray, weights: np.ndarray, clusters: int, iterations: int = 15) -> np.ndarray:
    """Weighted k-means on unit vectors by cosine; returns a cluster label per point.

    A few hundred points and k <= 4: plain numpy takes ~1 ms, where a general-purpose
    implementation spends ~50 ms per user on thread-pool start-up.
    """
    # Deterministic farthest-point seeding from the heaviest point.
    centres = [points[int(np.argmax(weights))]]
    for _ in range(1, clusters):
        closeness = np.max(points @ np.stack(centres).T, axis=1)
        centres.append(points[int(np.argmax((1.0 - closeness) * weights))])
    centres = np.stack(centres)
    labels = np.zeros(len(points), dtype=int)
    for _ in range(iterations):
        new_labels = np.argmax(points @ centres.T, axis=1)
        if _ > 0 and np.array_equal(new_labels, labels):
            break
        labels = new_labels
        for cluster in range(clusters):
            members = labels == cluster
            if members.any():
                centres[cluster] = _unit((points[members] * weights[members, None]).sum(axis=0))
    return labels


def history_interests(
    vectors: dict[int, np.ndarray], positive: dict[int, float], titles: dict[int, str]
) -> list[InterestVector]:
    """Weighted clusters of the positive history; each is anchored on its most typical item."""
    item_ids = [item for item in positive if item in vectors]
    if not item_ids:
        return []
    matrix = np.stack([vectors[item] for item in item_ids])
    weights = np.array([positive[item] for item in item_ids])
    clusters = min(MAX_HISTORY_INTERESTS, max(1, round(math.sqrt(len(item_ids) / 2))))
    labels = spherical_kmeans(matrix, weights, clusters)
    interests = []
    for cluster in range(clusters):
        members = np.flatnonzero(labels == cluster)
        if len(members) == 0:
            continue
        centre = _unit((matrix[members] * weights[members, None]).sum(axis=0))
        typical = members[int(np.argmax(matrix[members] @ centre * weights[members]))]
        anchor = item_ids[typical]
        interests.append(
            InterestVector("history", centre, float(weights[members].sum()), titles.get(anchor, ""), anchor)
        )
    return interests


def build_interest_model(
    *,
    bio_phrases: list[tuple[str, np.ndarray]],
    events: list[Event],
    vectors: dict[int, np.ndarray],
    titles: dict[int, str],
) -> InterestModel:
    positive, negative = item_weights(events)
    interests = history_interests(vectors, positive, titles)
    if bio_phrases:
        share = BIO_EVIDENCE / len(bio_phrases)
        interests += [InterestVector("bio", _unit(vector), share, phrase) for phrase, vector in bio_phrases]
    total = sum(interest.weight for interest in interests) or 1.0
    for interest in interests:
        interest.weight /= total
    interests.sort(key=lambda interest: interest.weight, reverse=True)
    negative_vectors = [vectors[item] * weight for item, weight in negative.items() if item in vectors]
    negative_vector = _unit(np.sum(negative_vectors, axis=0)) if negative_vectors else None
    return InterestModel(interests, negative_vector, positive, negative)


def domain_scores(
    *,
    model: InterestModel,
    item_domains: dict[int, str],
    domain_affinity: dict[str, float],
) -> dict[str, float]:
    """Per-domain interest in [0, 1]: what the user did there, blended with how close the domain's items are to their interests.

    domain_affinity: mean cosine of each domain's best-matching items to the user's interests.
    """
    history: dict[str, float] = {}
    for item, weight in model.positive_items.items():
        domain = item_domains.get(item)
        if domain:
            history[domain] = history.get(domain, 0.0) + weight
    top = max(history.values(), default=0.0)
    evidence = model.history_evidence
    trust_history = evidence / (evidence + 5.0)
    scores = {}
    for domain, affinity in domain_affinity.items():
        semantic = min(1.0, max(0.0, (affinity - 0.15) / 0.45))
        behaviour = history.get(domain, 0.0) / top if top else 0.0
        scores[domain] = round(trust_history * behaviour + (1 - trust_history) * semantic, 3)
    return scores


def bio_phrases(bio: str, whole: np.ndarray | None, encode) -> list[tuple[str, np.ndarray]]:
    """(phrase, vector) per phrase of a bio, each phrase embedded on its own so each can be its own interest.

    A bio of one phrase reuses its whole vector; `encode` turns a list of texts into unit vectors.
    """
    bio = bio.strip()
    if not bio:
        return []
    phrases = split_bio(bio)
    if len(phrases) > 1:
        return list(zip(phrases, encode(phrases), strict=True))
    vector = whole if whole is not None else encode([bio])[0]
    return [(phrases[0] if phrases else bio, vector)]
