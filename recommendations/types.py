"""What the recommender hands to the website and the API."""

from dataclasses import dataclass, field

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
    entries: list[FeedEntry]
    offset: int
    next_offset: int | None
    total: int
    # Whether the ranking came from the shared feed cache (reported in an X-Feed-Cache header for load tests).
    cached: bool = False


MAX_QUERY_LENGTH = 500
