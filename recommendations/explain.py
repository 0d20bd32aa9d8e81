"""One grounded sentence per feed entry: the signal that put it there, named in the user's terms."""

import numpy as np

from recommendations.ranking import Candidates


def _domain_name(context: dict, slug: str) -> str:
    return context["catalog"].domain_names.get(slug, slug.title())


def _most_similar_liked(candidates: Candidates, row: int, context: dict) -> int | None:
    catalog, liked = context["catalog"], context["liked_rows"]
    if len(liked) == 0:
        return None
    similarity = catalog.vectors_for(liked) @ candidates.vectors[row]
    return int(catalog.item_ids[liked[int(np.argmax(similarity))]])


def _closest_bio_phrase(candidates: Candidates, row: int, context: dict) -> str:
    phrases = [interest for interest in context["model"].interests if interest.source == "bio"]
    best = max(phrases, key=lambda interest: float(interest.vector @ candidates.vectors[row]))
    return best.label


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def explain(candidates: Candidates, row: int, signals: dict[str, float], context: dict, *, exploration: bool, source: str | None) -> tuple[str, str]:
    domain = _domain_name(context, candidates.domains[row])
    if exploration:
        if candidates.freshness[row] > 0.5:
            return f"New in {domain}", "fresh"
        return f"Something different: {domain}", "explore"
    positive = {name: value for name, value in signals.items() if value > 0 and name != "negative"}
    strongest = max(positive, key=positive.get) if positive else None
    titles = context["titles"]
    if strongest == "query":
        return f"You asked for '{_quote(context['query'])}'", "query"
    if strongest == "collab":
        anchor = context["anchors"].get(int(candidates.item_ids[row]))
        if anchor in titles:
            return f"Because you liked {titles[anchor]}", "collaborative"
    if strongest in ("sem_history", "collab"):
        anchor = _most_similar_liked(candidates, row, context)
        if anchor in titles:
            return f"Because you liked {titles[anchor]}", "liked"
    if strongest == "sem_bio" or (strongest is None and context["model"].interests):
        phrase = _closest_bio_phrase(candidates, row, context) if any(i.source == "bio" for i in context["model"].interests) else ""
        if phrase:
            return f"Matches your bio: '{_quote(phrase)}'", "bio"
    if strongest == "freshness" or source == "fresh":
        return f"New in {domain}", "fresh"
    if candidates.trending[row] > 0.3:
        return f"Popular in {domain} this week", "trending"
    return f"Popular in {domain}", "popular"
