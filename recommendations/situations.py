"""Which situation each (person, candidate) pair is in: the ranker has weights for each.

Collaborative filtering is strong for a regular with a long history and silent for someone who only wrote a bio,
for a domain the person never used, or for an item nobody has touched yet; the blend differs accordingly. An item
page's "more like this" is a situation of its own: its candidates are ranked by how they relate to that item, not to
a person (pipeline.similar assigns it to all of them).
"""

import numpy as np

from recommendations.sources import Facts

LONG_HISTORY = "long_history"
SHORT_HISTORY = "short_history"
WORDS_ONLY = "words_only"
NEW_DOMAIN = "new_domain"
NEW_ITEM = "new_item"
SIMILAR_ITEMS = "similar_items"
SITUATIONS = (LONG_HISTORY, SHORT_HISTORY, WORDS_ONLY, NEW_DOMAIN, NEW_ITEM, SIMILAR_ITEMS)
# At most this many distinct items with positive feedback is a short history.
SHORT_HISTORY_ITEMS = 5


def in_new_domain(facts: Facts, history_domains: set[str]) -> np.ndarray:
    """Per candidate: is it in a domain the person's history never touched?"""
    return ~np.isin(facts.domains, list(history_domains))


def assign(*, positive_items: int, history_domains: set[str], facts: Facts) -> np.ndarray:
    """Situation index per candidate. Someone with no history is always words-only (bio, query or nothing);
    otherwise an untouched item is new, then a domain without history is new, then history length decides."""
    n = len(facts)
    if positive_items == 0:
        return np.full(n, SITUATIONS.index(WORDS_ONLY))
    base = SITUATIONS.index(SHORT_HISTORY if positive_items <= SHORT_HISTORY_ITEMS else LONG_HISTORY)
    result = np.full(n, base)
    result[in_new_domain(facts, history_domains)] = SITUATIONS.index(NEW_DOMAIN)
    result[facts.engagement == 0] = SITUATIONS.index(NEW_ITEM)
    return result
