"""A person's summed neighbour lists, stored with their interests.

Summing the neighbour lists over a history is the costliest read of a feed, and its inputs change only when the
person's history does (their interests are rebuilt then) or when the lists are rebuilt (the statistics task then
re-sums the people active lately). So the worker sums them and stores the result; a feed over the whole catalog
reads it and sums live only when the stored sums are from an older build of the lists, or when the feed is scoped
(a domain tab fills its lists from that domain). Stored and live sums come from the same statement
(DatabaseSources.neighbours).
"""

from recommendations.pipeline import NEIGHBOUR_LIMITS
from recommendations.sources import NeighbourLists, Scope
from recommendations.sources.database import DatabaseSources, neighbours_build


def current_build() -> int | None:
    """The label for sums: the newest row of the lists now. Read it before summing: lists rebuilt meanwhile are then
    labelled older than they are, and read live."""
    return neighbours_build(fresh=True)[1]


def _current(build: int | None) -> bool:
    """Sums labelled `build` were summed from the lists serving reads now: every row of those is newer than any
    earlier build's."""
    first, _ = neighbours_build()
    return build is None if first is None else build is not None and build >= first


def compute(anchors: dict[int, float], *, build: int | None) -> dict:
    """The summed lists over the whole catalog, to the pipeline's lengths, as stored: best first, with the build
    they were summed from."""
    found = DatabaseSources().neighbours(anchors, limits=NEIGHBOUR_LIMITS, scope=Scope()) if anchors else {}
    return {
        "build": build,
        "limits": dict(NEIGHBOUR_LIMITS),
        "lists": {
            kind: [[item, score, anchors_of[item]] for item, score in scores.items()]
            for kind, (scores, anchors_of) in found.items()
        },
    }


def usable(stored: dict | None) -> NeighbourLists | None:
    """The stored sums, when they were summed from the lists serving reads now and to the pipeline's lengths."""
    if not stored or stored.get("limits") != NEIGHBOUR_LIMITS or not _current(stored.get("build")):
        return None
    lists = stored.get("lists", {})
    return {
        kind: (
            {int(item): score for item, score, _ in lists.get(kind, [])},
            {int(item): int(anchor) for item, _, anchor in lists.get(kind, [])},
        )
        for kind in NEIGHBOUR_LIMITS
    }
