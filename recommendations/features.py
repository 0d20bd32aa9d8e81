"""What the ranker knows about each candidate, as one number per signal (pure numpy)."""

from dataclasses import dataclass, field

import numpy as np

from recommendations import collaborative, situations
from recommendations.interests import InterestModel
from recommendations.sources import Facts

FEATURES = (
    "sem_history",  # close to one of the interests learned from history
    "sem_items",  # close to one liked item
    "sem_transfer",  # close to a liked item of another domain, once each domain's own style is set aside
    "sem_taste",  # close to what the collaborative model expects this person to like (reaches untouched items)
    "sem_bio",  # close to a phrase of the bio
    "query",  # close to what was typed just now
    "collab",  # engaged with by the people who engaged with the liked items
    "collab_cross",  # the same across domains: people who liked X in books liked Y in movies
    "cf",  # the stronger collaborative model (EASE / matrix factorisation neighbours)
    "people",  # liked by people whose words are close to this person's
    "popularity",
    "trending",
    "freshness",
    "preferred_domain",
    "negative",  # close to what was disliked or hidden
)
# Co-engagement at which the collaborative signals are half trusted (raw summed neighbour scores).
COLLAB_HALF_TRUST = 0.5
FRESH_HALF_LIFE_DAYS = 21.0


@dataclass
class Evidence:
    """What the sources said about this person's candidates, keyed by item id."""

    collab: dict[int, float]
    collab_cross: dict[int, float]
    cf: dict[int, float]
    people: dict[int, float]
    liked: Facts  # the strongest positive items (vectors and domains)
    # What the collaborative model ranks highest for this person anywhere, and how strongly (0..1).
    taste: Facts | None = None
    taste_weights: np.ndarray | None = None
    # The collaborative model fitted for domains the person never used (collaborative.CF_CROSS).
    cf_cross: dict[int, float] = field(default_factory=dict)


# Words at which what a person wrote about themselves is half trusted: a sentence or two says less than a paragraph.
WORDS_HALF_TRUST = 20.0


def words_trust(model: InterestModel) -> float:
    """A few words are weak evidence: one short sentence (8 words) counts 29%, a paragraph of 60 words 75%."""
    words = sum(len(interest.label.split()) for interest in model.interests if interest.source == "bio")
    return words / (words + WORDS_HALF_TRUST)


def history_trust(model: InterestModel) -> float:
    """A short history is weak evidence: one like counts 40%, five likes 77%."""
    evidence = model.history_evidence
    return evidence / (evidence + 1.5)


def freshness(published: np.ndarray, now: float) -> np.ndarray:
    age_days = np.clip((now - published) / 86400.0, 0.0, None)
    return (0.5 ** (age_days / FRESH_HALF_LIFE_DAYS)).astype(np.float32)


def _weighted_max_similarity(similarity: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Best interest per candidate; heavier interests count a little more, so a minor one still gets heard."""
    if similarity.shape[1] == 0:
        return np.zeros(similarity.shape[0], dtype=np.float32)
    return (similarity * (0.6 + 0.4 * weights / weights.max())).max(axis=1)


def _interest_similarity(vectors: np.ndarray, model: InterestModel, source: str) -> np.ndarray:
    interests = [interest for interest in model.interests if interest.source == source]
    if not interests:
        return np.zeros(len(vectors), dtype=np.float32)
    matrix = np.stack([interest.vector for interest in interests]).astype(np.float32)
    weights = np.array([interest.weight for interest in interests], dtype=np.float32)
    return _weighted_max_similarity(vectors @ matrix.T, weights)


def _centred(vectors: np.ndarray, domains: np.ndarray, centres: dict[str, np.ndarray]) -> np.ndarray:
    shifted = vectors - np.stack([centres.get(domain, np.zeros(vectors.shape[1])) for domain in domains])
    return shifted / np.maximum(np.linalg.norm(shifted, axis=1, keepdims=True), 1e-9)


def _transfer(facts: Facts, liked: Facts, centres: dict[str, np.ndarray]) -> np.ndarray:
    """For each candidate, its closest liked item from another domain, compared without each domain's mean."""
    if len(liked) == 0 or len(facts) == 0:
        return np.zeros(len(facts), dtype=np.float32)
    similarity = _centred(facts.vectors, facts.domains, centres) @ _centred(liked.vectors, liked.domains, centres).T
    similarity[facts.domains[:, None] == liked.domains[None, :]] = 0.0
    return np.clip(similarity.max(axis=1), 0.0, None).astype(np.float32)


def _scaled(values: dict[int, float], ids: np.ndarray) -> np.ndarray:
    raw = np.array([values.get(int(item), 0.0) for item in ids], dtype=np.float32)
    best = float(raw.max(initial=0.0))
    return np.clip(raw / best, 0.0, None) if best > 0 else np.zeros(len(ids), dtype=np.float32)


def _collaborative_model(facts: Facts, evidence: Evidence) -> np.ndarray:
    """The collaborative model's score: in a domain the history never touched, the model fitted to predict a domain
    from the others (scaled among those candidates), elsewhere the one fitted on everything."""
    scores = _scaled(evidence.cf, facts.ids)
    away = situations.in_new_domain(facts, set(evidence.liked.domains.tolist()))
    if evidence.cf_cross and away.any():
        scores[away] = _scaled(evidence.cf_cross, facts.ids[away])
    return scores


def compute(
    facts: Facts,
    *,
    model: InterestModel,
    evidence: Evidence,
    now: float,
    query_vector: np.ndarray | None,
    preferred_domains: frozenset[str],
    centres: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    n = len(facts)
    trust = history_trust(model)
    values = {name: np.zeros(n, dtype=np.float32) for name in FEATURES}
    if n == 0:
        return values
    values["sem_history"] = _interest_similarity(facts.vectors, model, "history") * trust
    # The bio speaks loudest while history is short, and keeps half its voice behind a long one; a few words speak
    # softly against what everyone likes (popularity keeps its voice).
    said = words_trust(model)
    values["sem_bio"] = _interest_similarity(facts.vectors, model, "bio") * (1.0 - 0.5 * trust) * said
    if len(evidence.liked):
        # Interest centres blur a varied history; the single closest liked item keeps the specifics.
        values["sem_items"] = (facts.vectors @ evidence.liked.vectors.T).max(axis=1) * trust
        values["sem_transfer"] = _transfer(facts, evidence.liked, centres) * trust
    if evidence.taste is not None and len(evidence.taste):
        closeness = np.clip(facts.vectors @ evidence.taste.vectors.T, 0.0, None) * evidence.taste_weights
        values["sem_taste"] = closeness.max(axis=1) * trust
    if query_vector is not None:
        values["query"] = facts.vectors @ query_vector
    for name in ("collab", "collab_cross"):
        raw = np.array([getattr(evidence, name).get(int(item), 0.0) for item in facts.ids], dtype=np.float32)
        values[name] = collaborative.evidence_scaled(raw, COLLAB_HALF_TRUST) * trust
    values["cf"] = _collaborative_model(facts, evidence) * trust
    # People alike are found from the bio and from what was typed just now (asked for: fully trusted).
    values["people"] = _scaled(evidence.people, facts.ids) * (1.0 if query_vector is not None else said)
    values["popularity"] = facts.popularity.astype(np.float32)
    values["trending"] = facts.trending.astype(np.float32)
    values["freshness"] = freshness(facts.published, now)
    if preferred_domains:
        values["preferred_domain"] = np.isin(facts.domains, list(preferred_domains)).astype(np.float32)
    if model.negative is not None:
        values["negative"] = np.clip(facts.vectors @ model.negative, 0.0, None)
    return values


def for_item(facts: Facts, *, item: Facts, evidence: Evidence, now: float, centres: dict[str, np.ndarray]):
    """An item page's candidates, on the same scale as a feed's signals for someone who liked just that item: close
    to it in meaning (within its domain or across), co-engaged with it (each kind trusted by its own strength),
    popular, trending, fresh. `item` holds the page's item; `evidence` its neighbour lists."""
    n = len(facts)
    values = {name: np.zeros(n, dtype=np.float32) for name in FEATURES}
    if n == 0:
        return values
    values["sem_items"] = (facts.vectors @ item.vectors[0]).astype(np.float32)
    values["sem_transfer"] = _transfer(facts, item, centres)
    for name in ("collab", "cf"):
        raw = np.array([getattr(evidence, name).get(int(candidate), 0.0) for candidate in facts.ids], dtype=np.float32)
        values[name] = collaborative.evidence_scaled(raw, COLLAB_HALF_TRUST)
    values["popularity"] = facts.popularity.astype(np.float32)
    values["trending"] = facts.trending.astype(np.float32)
    values["freshness"] = freshness(facts.published, now)
    return values
