"""Datasets for offline evaluation: MovieLens atomic files, a generic layout, or the platform's own tables.

Generic layout (a directory):
  items.jsonl or items.csv         id, domain, title, description, tags (list or comma-separated)
  interactions.csv or .jsonl       user, item, kind (view/click/like/dislike/save/hide/rating) or rating, value, timestamp
  users.jsonl (optional)           user, bio
"""

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.utils.dateparse import parse_datetime

from recommendations.interests import SIGNAL_WEIGHTS, rating_weight


@dataclass
class Dataset:
    name: str
    item_keys: list[str]
    item_domains: np.ndarray
    item_texts: list[str]
    item_titles: list[str]
    # One row per interaction, as parallel arrays (item and user as indices).
    users: np.ndarray
    items: np.ndarray
    weights: np.ndarray  # signed interest weight of the interaction (negative for dislikes and hides)
    timestamps: np.ndarray
    user_keys: list[str]
    bios: dict[int, str] = field(default_factory=dict)
    # Stored vectors when the data comes from the platform (no need to embed again).
    vectors: np.ndarray | None = None
    bio_vectors: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def n_items(self) -> int:
        return len(self.item_keys)

    @property
    def n_users(self) -> int:
        return len(self.user_keys)

    def subset(self, mask: np.ndarray) -> "Dataset":
        return Dataset(
            self.name,
            self.item_keys,
            self.item_domains,
            self.item_texts,
            self.item_titles,
            self.users[mask],
            self.items[mask],
            self.weights[mask],
            self.timestamps[mask],
            self.user_keys,
            self.bios,
            self.vectors,
            self.bio_vectors,
        )


def _read_table(path: Path) -> list[dict]:
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    if path.suffix in {".inter", ".item", ".user"}:
        with path.open(encoding="utf-8", errors="replace") as fh:
            header = [column.split(":")[0] for column in fh.readline().rstrip("\n").split("\t")]
            return [dict(zip(header, line.rstrip("\n").split("\t"), strict=False)) for line in fh if line.strip()]
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _first(directory: Path, *names: str) -> Path | None:
    return next((directory / name for name in names if (directory / name).exists()), None)


def _timestamp(value) -> float:
    text = str(value or "0").strip()
    try:
        return float(text)
    except ValueError:
        parsed = parse_datetime(text)
        return parsed.timestamp() if parsed else 0.0


def _signed_weight(kind: str, value, ratings_as_positive: bool) -> float:
    if kind == "rating":
        return 1.0 if ratings_as_positive else rating_weight(float(value))
    return SIGNAL_WEIGHTS.get(kind, 0.0)


def load(directory: Path, *, ratings_as_positive: bool = True) -> Dataset:
    """Every rating counts as a positive by default (the usual MovieLens protocol)."""
    directory = Path(directory)
    movielens_items = sorted(directory.glob("*.item"))
    if movielens_items:
        item_rows = [
            {
                "id": row["item_id"],
                "domain": "movies",
                "title": row.get("movie_title", ""),
                "description": f"{row.get('release_year', '')} {row.get('class', '')}".strip(),
                "tags": (row.get("class") or "").lower().split(),
            }
            for row in _read_table(movielens_items[0])
        ]
        interaction_rows = [
            {
                "user": row["user_id"],
                "item": row["item_id"],
                "kind": "rating",
                "value": row["rating"],
                "timestamp": row["timestamp"],
            }
            for row in _read_table(sorted(directory.glob("*.inter"))[0])
        ]
        user_rows = []
    else:
        item_rows = _read_table(_first(directory, "items.jsonl", "items.csv"))
        interaction_rows = _read_table(_first(directory, "interactions.jsonl", "interactions.csv"))
        users_path = _first(directory, "users.jsonl", "users.csv")
        user_rows = _read_table(users_path) if users_path else []
    return build(directory.name, item_rows, interaction_rows, user_rows, ratings_as_positive=ratings_as_positive)


def build(
    name: str, item_rows: list[dict], interaction_rows: list[dict], user_rows: list[dict], *, ratings_as_positive: bool
) -> Dataset:
    item_keys = [str(row["id"]) for row in item_rows]
    index = {key: position for position, key in enumerate(item_keys)}
    texts, titles = [], []
    for row in item_rows:
        tags = row.get("tags") or []
        tags = tags.split(",") if isinstance(tags, str) else tags
        titles.append(str(row.get("title", "")))
        text = "\n".join(part for part in (row.get("title", ""), row.get("description", "")) if part)
        texts.append(text + ("\nTags: " + ", ".join(tags) if tags else ""))
    user_keys: dict[str, int] = {}
    users, items, weights, stamps = [], [], [], []
    for row in interaction_rows:
        item = index.get(str(row["item"]))
        if item is None:
            continue
        kind = str(row.get("kind") or ("rating" if row.get("rating") not in (None, "") else "like"))
        value = row.get("value", row.get("rating"))
        users.append(user_keys.setdefault(str(row["user"]), len(user_keys)))
        items.append(item)
        weights.append(_signed_weight(kind, value, ratings_as_positive))
        stamps.append(_timestamp(row.get("timestamp")))
    bios = {
        user_keys[str(row["user"])]: row["bio"]
        for row in user_rows
        if str(row.get("user")) in user_keys and row.get("bio")
    }
    return Dataset(
        name=name,
        item_keys=item_keys,
        item_domains=np.array([str(row.get("domain") or "items") for row in item_rows], dtype=object),
        item_texts=texts,
        item_titles=titles,
        users=np.array(users, dtype=np.int64),
        items=np.array(items, dtype=np.int64),
        weights=np.array(weights, dtype=np.float32),
        timestamps=np.array(stamps, dtype=np.float64),
        user_keys=list(user_keys),
        bios=bios,
    )


def from_platform() -> Dataset:
    """The platform's own catalog and interactions, for fitting the ranker on real behaviour."""
    from content.embedding import to_array
    from content.models import Interaction, Item, Profile

    rows = Item.objects.filter(is_active=True, embedding__isnull=False).values_list(
        "pk", "domain__slug", "title", "description", "tags", "embedding"
    )
    item_rows, vectors = [], []
    for pk, domain, title, description, tags, embedding in rows:
        item_rows.append({"id": pk, "domain": domain, "title": title, "description": description, "tags": tags})
        vectors.append(to_array(embedding))
    interaction_rows = [
        {"user": user, "item": item, "kind": kind, "value": value, "timestamp": created.timestamp()}
        for user, item, kind, value, created in Interaction.objects.values_list(
            "user_id", "item_id", "kind", "value", "created_at"
        )
    ]
    profiles = (
        Profile.objects.exclude(bio="").filter(embedding__isnull=False).values_list("user_id", "bio", "embedding")
    )
    user_rows = [{"user": user, "bio": bio} for user, bio, _ in profiles]
    dataset = build("platform", item_rows, interaction_rows, user_rows, ratings_as_positive=False)
    dataset.vectors = np.stack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)
    positions = {key: index for index, key in enumerate(dataset.user_keys)}
    dataset.bio_vectors = {
        positions[str(user)]: to_array(embedding) for user, _, embedding in profiles if str(user) in positions
    }
    return dataset
