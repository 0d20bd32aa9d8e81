"""A catalog and an interaction log as arrays: what fitting and offline evaluation learn from.

The site builds one from its own tables (`services.training.platform_dataset`); evaluation loads one from files.
Items and users are positions in these arrays; `item_keys` / `user_keys` hold their real ids.
"""

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from recommendations import signals
from recommendations.interests import Event


@dataclass
class Dataset:
    name: str
    item_keys: list[str]
    item_domains: np.ndarray  # domain slug per item
    item_texts: list[str]
    item_titles: list[str]
    # One row per interaction, as parallel arrays.
    users: np.ndarray
    items: np.ndarray
    kinds: np.ndarray  # interaction kind (view, like, rating, ...)
    values: np.ndarray  # rating value, NaN for other kinds
    timestamps: np.ndarray  # unix seconds
    user_keys: list[str]
    # When each item became available (unix seconds, NaN when unknown).
    item_published: np.ndarray | None = None
    bios: dict[int, str] = field(default_factory=dict)
    # Unit item vectors of the serving model, once embedded (or read from the site's tables).
    vectors: np.ndarray | None = None
    # Per user with a bio: the whole bio's vector, and one (phrase, vector) per phrase as the site embeds them.
    bio_vectors: dict[int, np.ndarray] = field(default_factory=dict)
    bio_phrases: dict[int, list[tuple[str, np.ndarray]]] = field(default_factory=dict)
    # Items not offered to anyone (inactive on the site); they still carry history.
    inactive: np.ndarray | None = None

    @property
    def n_items(self) -> int:
        return len(self.item_keys)

    @property
    def n_users(self) -> int:
        return len(self.user_keys)

    @cached_property
    def weights(self) -> np.ndarray:
        """Signed interest of each interaction (the one definition in signals.py)."""
        return signals.weights(self.kinds, self.values)

    def events(self, rows: np.ndarray, *, now: float) -> list[Event]:
        """The interactions in `rows` as the interest builder reads them."""
        return events(
            zip(self.items[rows], self.kinds[rows], self.values[rows], self.timestamps[rows], strict=True), now=now
        )

    @property
    def latest(self) -> float:
        return float(self.timestamps.max()) if len(self.timestamps) else 0.0

    def subset(self, mask: np.ndarray) -> "Dataset":
        """The same catalog and people with only the interactions where mask is true."""
        subset = replace(
            self,
            users=self.users[mask],
            items=self.items[mask],
            kinds=self.kinds[mask],
            values=self.values[mask],
            timestamps=self.timestamps[mask],
        )
        subset.__dict__.pop("weights", None)
        return subset


def rows_by_user(dataset: Dataset) -> dict[int, np.ndarray]:
    """Each user's interaction rows, in log order."""
    order = np.argsort(dataset.users, kind="stable")
    if len(order) == 0:
        return {}
    groups = np.split(order, np.flatnonzero(np.diff(dataset.users[order])) + 1)
    return {int(dataset.users[rows[0]]): rows for rows in groups}


def events(rows, *, now: float) -> list[Event]:
    """Interactions as the interest builder reads them, from rows of (item, kind, value, unix seconds) with no value
    as None or NaN: the site's table and a dataset's arrays alike. Ages count back from `now`."""
    return [
        Event(int(item), str(kind), _value(value), (now - float(stamp)) / 86400.0) for item, kind, value, stamp in rows
    ]


def _value(value) -> float | None:
    return None if value is None or np.isnan(value) else float(value)


# Fewer items than this in a domain is too little for its own collaborative model or popularity to say much.
SMALL_DOMAIN_ITEMS = 10


def diagnose(dataset: Dataset) -> list[str]:
    """What in this data limits what can be learned from it, in words a site operator can act on."""
    found = []
    if len(dataset.users) and len(np.unique(dataset.timestamps)) == 1:
        found.append("every event has the same timestamp: splits hold out a random share of each person's events")
    for domain, count in zip(*np.unique(dataset.item_domains, return_counts=True), strict=True):
        if count < SMALL_DOMAIN_ITEMS:
            found.append(
                f"domain {domain!r} has {count} item(s): too few to learn from on its own; "
                "its items are reached through the other domains and their meaning"
            )
    engaged = set(np.unique(dataset.users).tolist())
    positive = set(np.unique(dataset.users[dataset.weights > 0]).tolist())
    if engaged - positive:
        found.append(
            f"{len(engaged - positive)} of {len(engaged)} people have no positive feedback: they count only "
            "against items, and fitting tasks leave them out"
        )
    texts = [text.strip() for text in dataset.item_texts]
    empty = sum(1 for text in texts if not text)
    if empty:
        found.append(f"{empty} of {len(texts)} items have no text: meaning cannot place them")
    if texts and len(set(texts)) < 0.5 * len(texts):
        found.append("most items share their text with another: meaning tells little apart")
    return found


def build(
    *,
    name: str,
    item_rows: list[dict],
    interaction_rows: list[tuple[str, str, str, float | None, float]],
    bios: dict[str, str] | None = None,
) -> Dataset:
    """item_rows: id, domain, title, text, published (unix seconds or None), active (optional);
    interaction_rows: (user key, item key, kind, value, timestamp) with known item keys."""
    item_keys = [str(row["id"]) for row in item_rows]
    position = {key: index for index, key in enumerate(item_keys)}
    user_keys: dict[str, int] = {}
    for user in bios or {}:
        user_keys.setdefault(str(user), len(user_keys))
    users, items, kinds, values, stamps = [], [], [], [], []
    for user, item, kind, value, stamp in interaction_rows:
        users.append(user_keys.setdefault(str(user), len(user_keys)))
        items.append(position[str(item)])
        kinds.append(kind)
        values.append(np.nan if value is None else float(value))
        stamps.append(float(stamp))
    published = [row.get("published") for row in item_rows]
    return Dataset(
        name=name,
        item_keys=item_keys,
        item_domains=np.array([str(row.get("domain") or "items") for row in item_rows], dtype=object),
        item_texts=[str(row.get("text") or row.get("title") or "") for row in item_rows],
        item_titles=[str(row.get("title") or "") for row in item_rows],
        users=np.array(users, dtype=np.int64),
        items=np.array(items, dtype=np.int64),
        kinds=np.array(kinds, dtype=object),
        values=np.array(values, dtype=np.float64),
        timestamps=np.array(stamps, dtype=np.float64),
        user_keys=list(user_keys),
        item_published=np.array([np.nan if value is None else float(value) for value in published]),
        bios={user_keys[str(user)]: bio for user, bio in (bios or {}).items() if bio},
        inactive=np.array([not row.get("active", True) for row in item_rows], dtype=bool),
    )
