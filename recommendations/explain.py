"""One grounded sentence per feed entry: the signal that put it there, named in the user's terms."""

import numpy as np

from recommendations.ranking import Candidates

# Below this cosine, "matches your bio" or "because you liked" would be a stretch (MiniLM: unrelated texts score ~0-0.2).
MEANINGFUL_SIMILARITY = 0.3


def _domain_name(context: dict, slug: str) -> str:
    return context["catalog"].domain_names.get(slug, slug.title())


# An item someone only opened is a weaker anchor than one they liked, saved or rated.
IMPLICIT_ANCHOR_DISCOUNT = 0.85


def _most_similar_liked(candidates: Candidates, row: int, context: dict) -> int | None:
    liked_ids, liked_vectors, feedback = context["liked_ids"], context["liked_vectors"], context["feedback"]
    if len(liked_ids) == 0:
        return None
    similarity = liked_vectors @ candidates.vectors[row]
    preference = np.array(
        [
            1.0 if feedback.get(int(item), ("view",))[0] in ("like", "save", "rating") else IMPLICIT_ANCHOR_DISCOUNT
            for item in liked_ids
        ]
    )
    best = int(np.argmax(similarity * preference))
    return int(liked_ids[best]) if similarity[best] >= MEANINGFUL_SIMILARITY else None


def _because(item_id: int, context: dict) -> str:
    """Name what the person actually did: liked, saved, rated or only opened."""
    title = context["titles"][item_id]
    kind, value = context["feedback"].get(item_id, ("like", None))
    if kind == "save":
        return f"Because you saved {title}"
    if kind == "rating" and value:
        return f"Because you rated {title} {value:g}★"
    if kind in ("view", "click"):
        return f"Because you opened {title}"
    return f"Because you liked {title}"


def _closest_bio_phrase(candidates: Candidates, row: int, context: dict) -> str:
    phrases = [interest for interest in context["model"].interests if interest.source == "bio"]
    if not phrases:
        return ""
    similarity = [float(interest.vector @ candidates.vectors[row]) for interest in phrases]
    best = int(np.argmax(similarity))
    return phrases[best].label if similarity[best] >= MEANINGFUL_SIMILARITY else ""


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def explain(
    candidates: Candidates, row: int, signals: dict[str, float], context: dict, *, exploration: bool, source: str | None
) -> tuple[str, str]:
    domain = _domain_name(context, candidates.domains[row])
    if exploration:
        if candidates.freshness[row] > 0.5:
            return f"New in {domain}", "fresh"
        return f"Something different: {domain}", "explore"
    positive = {name: value for name, value in signals.items() if value > 0 and name != "negative"}
    if context["query_similarity"][row] < MEANINGFUL_SIMILARITY:
        # Only claim "you asked for" when the item really is about what was asked.
        positive.pop("query", None)
    strongest = max(positive, key=positive.get) if positive else None
    titles = context["titles"]
    if strongest == "query":
        return f"You asked for '{_quote(context['query'])}'", "query"
    if strongest == "collab":
        anchor = context["anchors"].get(int(candidates.item_ids[row]))
        if anchor in titles:
            return f"People who liked {titles[anchor]} also liked this", "collaborative"
    if strongest in ("sem_history", "sem_items", "collab"):
        anchor = _most_similar_liked(candidates, row, context)
        if anchor in titles:
            return _because(anchor, context), "liked"
    if strongest in ("sem_bio", "sem_history", "sem_items", None):
        phrase = _closest_bio_phrase(candidates, row, context)
        if phrase:
            return f"Matches your bio: '{_quote(phrase)}'", "bio"
    if strongest == "preferred_domain":
        return f"From {domain}, a section you follow", "preferred"
    if strongest == "freshness" or source == "fresh" or candidates.freshness[row] > 0.5:
        return f"New in {domain}", "fresh"
    if candidates.trending[row] > 0.3:
        return f"Popular in {domain} this week", "trending"
    if candidates.popularity[row] > 0:
        return f"Popular in {domain}", "popular"
    return f"Something different: {domain}", "explore"
