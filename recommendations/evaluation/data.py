"""Load evaluation datasets from files: MovieLens atomic files or a generic layout.

Generic layout (a directory):
  items.jsonl or items.csv         id, domain, title, description, tags (list or comma-separated), published (optional)
  interactions.csv or .jsonl       user, item, kind (view/click/like/dislike/save/hide/rating) or rating, value, timestamp
  users.jsonl or users.csv         user, bio (optional; people with a bio and no interactions are kept)

Bad rows never end the run with a traceback: a missing column is an error naming the file; rows naming unknown
items are skipped and reported with their row numbers.
"""

import csv
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.utils.dateparse import parse_datetime

from content.importers import movielens_item
from content.models import Interaction
from recommendations.dataset import Dataset, build


class DatasetError(ValueError):
    """A dataset that cannot be read; the message names the file (and row) to fix."""


@dataclass
class LoadReport:
    skipped: list[str] = field(default_factory=list)

    def skip(self, path: Path, rows: list[int], reason: str) -> None:
        if rows:
            shown = ", ".join(str(row) for row in rows[:10]) + (" ..." if len(rows) > 10 else "")
            self.skipped.append(f"{path.name}: {len(rows)} rows skipped ({reason}): rows {shown}")


def _read_table(path: Path) -> list[tuple[int, dict]]:
    """(row number as a person counts it in the file, row) for JSONL, CSV or tab-separated atomic files."""
    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as fh:
            if path.suffix == ".jsonl":
                rows = []
                for number, line in enumerate(fh, start=1):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise DatasetError(f"{path}: row {number} is not valid JSON ({exc.msg})") from None
                    if not isinstance(row, dict):
                        raise DatasetError(f"{path}: row {number} is not a JSON object")
                    rows.append((number, row))
                return rows
            if path.suffix in {".inter", ".item", ".user"}:
                header = [column.split(":")[0] for column in fh.readline().rstrip("\n").split("\t")]
                return [
                    (number, dict(zip(header, line.rstrip("\n").split("\t"), strict=False)))
                    for number, line in enumerate(fh, start=2)
                    if line.strip()
                ]
            return list(enumerate(csv.DictReader(fh), start=2))
    except OSError as exc:
        raise DatasetError(f"{path}: cannot be read ({exc.strerror})") from None


def _require(path: Path, rows: list[tuple[int, dict]], *columns: str) -> None:
    if not rows:
        raise DatasetError(f"{path}: no rows")
    for number, row in rows:
        missing = [column for column in columns if column not in row or row[column] in (None, "")]
        if missing:
            raise DatasetError(f"{path}: row {number} has no {', '.join(missing)}")


def _first(directory: Path, *names: str) -> Path | None:
    return next((directory / name for name in names if (directory / name).exists()), None)


def _timestamp(value) -> float:
    text = str(value if value is not None else "0").strip()
    try:
        return float(text)
    except ValueError:
        parsed = parse_datetime(text)
        return parsed.timestamp() if parsed else 0.0


def _year(value) -> float | None:
    text = str(value or "").strip()
    return datetime(int(text), 1, 1, tzinfo=UTC).timestamp() if text.isdigit() and 1800 < int(text) < 2200 else None


def _item_text(title: str, description: str, tags: list[str]) -> str:
    # The site's own text_for_embedding layout, so offline vectors are the ones the site would store.
    parts = [title.strip(), description.strip()]
    if tags:
        parts.append("Tags: " + ", ".join(tags))
    return "\n".join(part for part in parts if part)


def load(directory: Path, *, ratings_as_likes: bool = True, domains: str = "given") -> tuple[Dataset, LoadReport]:
    """ratings_as_likes: every rating counts as a like (the usual MovieLens protocol); otherwise ratings are graded.
    domains="genre": each item's first genre is its domain, so MovieLens can test new-domain situations."""
    directory = Path(directory)
    report = LoadReport()
    movielens = sorted(directory.glob("*.item"))
    if movielens:
        item_rows, interaction_rows, bios = _movielens(movielens[0], sorted(directory.glob("*.inter")), report)
    else:
        item_rows, interaction_rows, bios = _generic(directory, report)
    if domains == "genre":
        for row in item_rows:
            row["domain"] = (row.get("tags") or ["unknown"])[0]
    for row in item_rows:
        row["text"] = _item_text(row["title"], row.get("description", ""), row.get("tags") or [])
    if ratings_as_likes:
        interaction_rows = [
            (user, item, "like" if kind == "rating" else kind, None if kind == "rating" else value, stamp)
            for user, item, kind, value, stamp in interaction_rows
        ]
    dataset = build(name=directory.name, item_rows=item_rows, interaction_rows=interaction_rows, bios=bios)
    return dataset, report


def _movielens(items_path: Path, inter_paths: list[Path], report: LoadReport):
    if not inter_paths:
        raise DatasetError(f"{items_path.parent}: a MovieLens *.item file needs a *.inter file beside it")
    rows = _read_table(items_path)
    _require(items_path, rows, "item_id")
    item_rows = []
    for _, row in rows:
        item = movielens_item(row)
        item_rows.append(
            {
                "id": row["item_id"],
                "domain": item["domain"],
                "title": item["title"],
                "description": item["description"],
                "tags": item["tags"],
                "published": _year(row.get("release_year")),
            }
        )
    known = {row["id"] for row in item_rows}
    interactions = _read_table(inter_paths[0])
    _require(inter_paths[0], interactions, "user_id", "item_id", "rating")
    unknown = [number for number, row in interactions if row["item_id"] not in known]
    report.skip(inter_paths[0], unknown, "unknown item")
    interaction_rows = [
        (row["user_id"], row["item_id"], "rating", float(row["rating"]), _timestamp(row.get("timestamp")))
        for _, row in interactions
        if row["item_id"] in known
    ]
    return item_rows, interaction_rows, {}


def _tags(value) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    return [str(tag).strip() for tag in value or [] if str(tag).strip()]


def _generic(directory: Path, report: LoadReport):
    items_path = _first(directory, "items.jsonl", "items.csv")
    interactions_path = _first(directory, "interactions.jsonl", "interactions.csv")
    if items_path is None or interactions_path is None:
        raise DatasetError(
            f"{directory}: expected items.jsonl|csv and interactions.jsonl|csv (or MovieLens *.item and *.inter files)"
        )
    rows = _read_table(items_path)
    _require(items_path, rows, "id", "title")
    item_rows = [
        {
            "id": str(row["id"]),
            "domain": str(row.get("domain") or "items"),
            "title": str(row["title"]),
            "description": str(row.get("description") or ""),
            "tags": _tags(row.get("tags")),
            "published": _timestamp(row["published"]) if row.get("published") else None,
        }
        for _, row in rows
    ]
    known = {row["id"] for row in item_rows}
    interactions = _read_table(interactions_path)
    _require(interactions_path, interactions, "user", "item")
    interaction_rows, unknown, invalid = [], [], []
    for number, row in interactions:
        item = str(row["item"])
        if item not in known:
            unknown.append(number)
            continue
        kind = str(row.get("kind") or ("rating" if row.get("rating") not in (None, "") else "like")).strip().lower()
        value = row.get("value", row.get("rating"))
        if kind not in Interaction.Kind.values:
            invalid.append(number)
            continue
        if kind == "rating":
            try:
                value = float(value)
            except (TypeError, ValueError):
                invalid.append(number)
                continue
        else:
            value = None
        interaction_rows.append((str(row["user"]), item, kind, value, _timestamp(row.get("timestamp"))))
    report.skip(interactions_path, unknown, "unknown item")
    report.skip(interactions_path, invalid, "unknown kind or a rating without a number")
    users_path = _first(directory, "users.jsonl", "users.csv")
    bios = {}
    if users_path:
        users = _read_table(users_path)
        _require(users_path, users, "user")
        bios = {str(row["user"]): str(row.get("bio") or "").strip() for _, row in users if row.get("bio")}
    return item_rows, interaction_rows, bios


def read_holdout(path: Path, dataset: Dataset) -> list[tuple[int, int, str | None]]:
    """(user, item, domain or None) positions from a CSV with columns user, item and optionally domain."""
    rows = _read_table(Path(path))
    _require(Path(path), rows, "user", "item")
    users = {key: index for index, key in enumerate(dataset.user_keys)}
    items = {key: index for index, key in enumerate(dataset.item_keys)}
    domains = set(dataset.item_domains.tolist())
    pairs = []
    for number, row in rows:
        user, item, domain = str(row["user"]), str(row["item"]), (row.get("domain") or "").strip() or None
        if user not in users:
            raise DatasetError(f"{path}: row {number} names user '{user}', who has no interactions and no bio")
        if item not in items:
            raise DatasetError(f"{path}: row {number} names item '{item}', which is not in the catalog")
        if domain is not None and domain not in domains:
            raise DatasetError(f"{path}: row {number} names domain '{domain}', which no item has")
        pairs.append((users[user], items[item], domain))
    return pairs
