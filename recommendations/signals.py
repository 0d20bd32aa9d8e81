"""What each kind of feedback says about interest: the one definition.

Which feedback counts for an item and which against, how much, which was said rather than done, and which rules an
item out: interest models, stored positives, the reasons' anchors, engagement statistics, co-engagement, the hold-out
splits, fitting and offline evaluation all read feedback through these functions, and the SQL that counts engagement
is generated from the same table.
"""

from collections.abc import Iterable

import numpy as np

# How much each kind of feedback says about interest; negative values push away.
KIND_WEIGHTS = {"save": 1.2, "like": 1.0, "click": 0.3, "view": 0.1, "dislike": -1.0, "hide": -1.5}
# A rating is centred on 3 stars: 5 -> +1, 4 -> +0.5, 3 -> 0, 2 -> -0.5, 1 -> -1. Above 3 stars it counts for the
# item, below against it, and 3 stars says neither.
RATING_MIDPOINT = 3.0
RATING_SCALE = 2.0
# Feedback the person said (as opposed to what they only did, opening an item): a stronger anchor for a reason.
EXPLICIT_KINDS = ("like", "save", "rating", "dislike", "hide")
# Feedback that rules an item out for the person: it is never shown to them again, not even as a similar item.
DISMISSING_KINDS = ("dislike", "hide")
# Positive feedback as a reason names it, the most telling first: "you liked" says more than "you opened".
NAMED_ORDER = ("like", "save", "rating", "click", "view")
# A net weight this close to zero (opposite feedback cancelling out) leans neither way.
NEUTRAL = 1e-6
# Older feedback says less about what someone wants now.
RECENCY_HALF_LIFE_DAYS = 60.0
# Popularity decays from the latest activity, so an old log still has popular items.
POPULARITY_HALF_LIFE_DAYS = 30.0
TRENDING_WINDOW_DAYS = 7.0


def rating_weight(value: float) -> float:
    return (float(value) - RATING_MIDPOINT) / RATING_SCALE


def weight(kind: str, value: float | None = None) -> float:
    """Signed interest of one piece of feedback, before recency."""
    if kind == "rating":
        return rating_weight(value) if value is not None else 0.0
    return KIND_WEIGHTS.get(kind, 0.0)


def weights(kinds: np.ndarray, values: np.ndarray) -> np.ndarray:
    """weight() over parallel arrays (values: NaN where a kind has none)."""
    result = np.zeros(len(kinds), dtype=np.float32)
    for kind, kind_weight in KIND_WEIGHTS.items():
        result[kinds == kind] = kind_weight
    rated = kinds == "rating"
    result[rated] = (np.nan_to_num(values[rated], nan=RATING_MIDPOINT) - RATING_MIDPOINT) / RATING_SCALE
    return result


def leans_for(signed):
    """Does a signed weight (of one piece of feedback, of an interaction row, or an item's net) count for the item?
    Works on numbers and on arrays alike."""
    return signed > NEUTRAL


def leans_against(signed):
    """Does it count against the item (dislikes, hides, ratings below 3 stars)?"""
    return signed < -NEUTRAL


def is_positive(kind: str, value: float | None = None) -> bool:
    """The matcher: does this feedback count for the item (likes, saves, views, clicks, ratings above 3 stars)?"""
    return bool(leans_for(weight(kind, value)))


def is_explicit(kind: str) -> bool:
    return kind in EXPLICIT_KINDS


def strongest_positive(feedback: Iterable[tuple[int, str, float | None]]) -> dict[int, tuple[str, float | None]]:
    """Per item, from (item, kind, value) rows: the positive feedback a reason names, the most telling kind first."""
    strongest: dict[int, tuple[str, float | None]] = {}
    for item, kind, value in feedback:
        if not is_positive(kind, value):
            continue
        current = strongest.get(item)
        if current is None or NAMED_ORDER.index(kind) < NAMED_ORDER.index(current[0]):
            strongest[item] = (kind, value)
    return strongest


def recency(age_days: float | np.ndarray, half_life_days: float = RECENCY_HALF_LIFE_DAYS):
    return 0.5 ** (np.maximum(age_days, 0.0) / half_life_days)


def event_weight(kind: str, value: float | None, age_days: float) -> float:
    return weight(kind, value) * float(recency(age_days))


def sql_weight(kind_column: str = "kind", value_column: str = "value") -> tuple[str, dict]:
    """The same weights as a SQL expression with named parameters, for aggregates in the database."""
    cases = " ".join(f"WHEN %(kind_{kind})s THEN %(weight_{kind})s" for kind in KIND_WEIGHTS)
    sql = (
        f"CASE {kind_column} {cases} "
        f"WHEN 'rating' THEN ({value_column} - %(rating_midpoint)s) / %(rating_scale)s ELSE 0.0 END"
    )
    params = {f"kind_{kind}": kind for kind in KIND_WEIGHTS}
    params |= {f"weight_{kind}": kind_weight for kind, kind_weight in KIND_WEIGHTS.items()}
    params |= {"rating_midpoint": RATING_MIDPOINT, "rating_scale": RATING_SCALE}
    return sql, params
