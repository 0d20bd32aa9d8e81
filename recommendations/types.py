"""What the recommender hands to the website and the API."""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from content.models import Item


class FeedRequestError(ValueError):
    """Bad feed parameters: the message is safe to show; field names the offending parameter."""

    def __init__(self, message: str, field: str = "non_field_errors"):
        super().__init__(message)
        self.field = field


@dataclass
class FeedEntry:
    item: Item
    score: float
    # One sentence grounded in data, e.g. "Because you liked Deep Blue", "New in Courses".
    reason: str
    # Machine-readable kind: liked, bio, query, popular, trending, fresh, explore, preferred, collaborative, similar.
    reason_kind: str
    # Per-signal contributions, for staff previews and debugging.
    signals: dict[str, float] = field(default_factory=dict)


@dataclass
class Feed:
    """One page of a ranking. Its entries (the items themselves) are read only when something shows them, so a page
    whose rendering is already cached costs no item reads."""

    window: list  # this page's slice of the ranking (pipeline.Ranked)
    offset: int
    next_offset: int | None
    total: int
    load: Callable[[list], list[FeedEntry]]
    # Whether the ranking came from the shared feed cache (reported in an X-Feed-Cache header for load tests).
    cached: bool = False
    # Names this page of this exact ranking in the shared cache; empty when it must not be cached.
    key: str = ""

    @cached_property
    def entries(self) -> list[FeedEntry]:
        return self.load(self.window)


MAX_QUERY_LENGTH = 500
