"""One grounded sentence per feed entry: the signal that put it there, named in the person's terms; on an item page,
how each similar item relates to that item."""

import functools
from dataclasses import dataclass, field

import numpy as np

from recommendations import signals
from recommendations.interests import InterestModel
from recommendations.sources import Facts

# Below this cosine, "matches your bio" or "because you liked" would be a stretch (MiniLM: unrelated texts score ~0-0.2).
MEANINGFUL_SIMILARITY = 0.3
# An item someone only opened is a weaker anchor than one they liked, saved or rated.
IMPLICIT_ANCHOR_DISCOUNT = 0.85
SEMANTIC = ("sem_history", "sem_items", "sem_transfer", "sem_taste")
COLLABORATIVE = ("collab", "collab_cross", "cf")
# Signals that make one claim to the reader count together: four ways of being close to what was liked are one
# "because you liked", three kinds of co-engagement one "people who liked".
CLAIMS = {"liked": SEMANTIC, "collaborative": COLLABORATIVE}
CLAIM_OF = {name: claim for claim, members in CLAIMS.items() for name in members}


@dataclass
class Context:
    model: InterestModel
    liked: Facts
    titles: dict[int, str]
    domain_names: dict[str, str]
    feedback: dict[int, tuple[str, float | None]] = field(default_factory=dict)
    # Per collaborative signal: candidate -> the liked item that contributed most.
    anchors: dict[str, dict[int, int]] = field(default_factory=dict)
    query: str = ""
    query_similarity: np.ndarray | None = None
    # The item whose page lists these ("more like this"): reasons relate each entry to it, not to the person.
    page_item: int | None = None

    @functools.cached_property
    def anchor_preference(self) -> np.ndarray:
        """Per liked item: 1 for what was liked, saved or rated, less for what was only opened."""
        return np.array(
            [
                1.0 if signals.is_explicit(self.feedback.get(int(item), ("view",))[0]) else IMPLICIT_ANCHOR_DISCOUNT
                for item in self.liked.ids
            ]
        )


def _domain_name(context: Context, slug: str) -> str:
    return context.domain_names.get(slug, slug.replace("-", " ").title())


def _most_similar_liked(vector: np.ndarray, context: Context) -> int | None:
    liked = context.liked
    if len(liked) == 0:
        return None
    similarity = liked.vectors @ vector
    best = int(np.argmax(similarity * context.anchor_preference))
    return int(liked.ids[best]) if similarity[best] >= MEANINGFUL_SIMILARITY else None


def _because(item_id: int, context: Context) -> str:
    """Name what the person actually did: liked, saved, rated or only opened."""
    title = context.titles[item_id]
    kind, value = context.feedback.get(item_id, ("like", None))
    if kind == "save":
        return f"Because you saved {title}"
    if kind == "rating" and value:
        return f"Because you rated {title} {value:g}★"
    if kind in ("view", "click"):
        return f"Because you opened {title}"
    return f"Because you liked {title}"


def _closest_bio_phrase(vector: np.ndarray, context: Context) -> str:
    phrases = [interest for interest in context.model.interests if interest.source == "bio"]
    if not phrases:
        return ""
    similarity = [float(interest.vector @ vector) for interest in phrases]
    best = int(np.argmax(similarity))
    return phrases[best].label if similarity[best] >= MEANINGFUL_SIMILARITY else ""


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def explain(
    facts: Facts,
    row: int,
    signals: dict[str, float],
    context: Context,
    *,
    freshness: float,
    exploration: bool,
    source: str | None,
    typical: dict[str, float] | None = None,
) -> tuple[str, str]:
    domain = _domain_name(context, facts.domains[row])
    item_id = int(facts.ids[row])
    if exploration:
        if freshness > 0.5:
            return f"New in {domain}", "fresh"
        return f"Something different: {domain}", "explore"
    strongest = _strongest(signals, typical or {})
    if strongest == "query" and (
        context.query_similarity is None or context.query_similarity[row] < MEANINGFUL_SIMILARITY
    ):
        # Only claim "you asked for" when the item really is about what was asked.
        strongest = _strongest({**signals, "query": 0.0}, typical or {})
    titles = context.titles
    if context.page_item is not None:
        return _more_like(facts, row, strongest, context)
    if strongest == "query":
        return f"You asked for '{_quote(context.query)}'", "query"
    if strongest in COLLABORATIVE:
        # The anchor of the co-engagement kind that contributed most.
        for kind in sorted(COLLABORATIVE, key=lambda name: -signals.get(name, 0.0)):
            anchor = context.anchors.get(kind, {}).get(item_id)
            if anchor in titles:
                return f"People who liked {titles[anchor]} also liked this", "collaborative"
    if strongest == "people":
        return "Liked by people who describe themselves like you", "people"
    if strongest in (*SEMANTIC, *COLLABORATIVE):
        anchor = _most_similar_liked(facts.vectors[row], context)
        if anchor in titles:
            return _because(anchor, context), "liked"
    if strongest in ("sem_bio", *SEMANTIC, None):
        phrase = _closest_bio_phrase(facts.vectors[row], context)
        if phrase:
            return f"Matches your bio: '{_quote(phrase)}'", "bio"
    if strongest == "preferred_domain":
        return f"From {domain}, a section you follow", "preferred"
    if strongest == "freshness" or source == "fresh" or freshness > 0.5:
        return f"New in {domain}", "fresh"
    if facts.trending[row] > 0.3:
        return f"Popular in {domain} this week", "trending"
    if facts.popularity[row] > 0:
        return f"Popular in {domain}", "popular"
    return f"Something different: {domain}", "explore"


def _more_like(facts: Facts, row: int, strongest: str | None, context: Context) -> tuple[str, str]:
    title = context.titles.get(context.page_item, "")
    if strongest in COLLABORATIVE:
        return f"People who liked {title} also liked this", "collaborative"
    if len(context.liked) and facts.domains[row] != context.liked.domains[0]:
        return f"Close to {title}, in {_domain_name(context, facts.domains[row])}", "similar"
    return f"Similar to {title}", "similar"


def _strongest(signals: dict[str, float], typical: dict[str, float]) -> str | None:
    """The signal that set this item apart: its contribution above the typical candidate's, claims summed.

    A signal every candidate shares (everything is new, everything matches the bio a little) put no item anywhere,
    so it does not explain one. Returns the largest member of the winning claim, or None."""
    lift = {
        name: value - max(typical.get(name, 0.0), 0.0)
        for name, value in signals.items()
        if value > 0 and name != "negative"
    }
    totals: dict[str, float] = {}
    for name, value in lift.items():
        claim = CLAIM_OF.get(name, name)
        totals[claim] = totals.get(claim, 0.0) + value
    best = max(totals, key=totals.get, default=None)
    if best is None or totals[best] <= 0:
        return None
    return max((name for name in lift if CLAIM_OF.get(name, name) == best), key=signals.get)
