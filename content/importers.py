"""Import catalogs and interaction logs: good rows are kept, bad rows are reported with a reason."""

import csv
import json
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_datetime

from content import images, vectors
from content.forms import ImportItemForm
from content.models import ITEM_EDITABLE_FIELDS, Domain, Interaction, Item

BATCH = 500


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.created + self.updated

    def reject(self, row_number: int, reason: str) -> None:
        self.rejected.append((row_number, reason))


# --- Reading files ---------------------------------------------------------------------


def read_rows(path: Path) -> Iterator[tuple[int, dict | str]]:
    """(row number, row) from CSV, JSONL or a MovieLens/RecBole atomic file; unparseable rows come as an error string."""
    suffix = path.suffix.lower()
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        if suffix == ".jsonl":
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, f"not valid JSON ({exc.msg})"
                    continue
                yield number, row if isinstance(row, dict) else "a JSON object was expected"
        elif suffix in {".inter", ".item", ".user"}:
            header = [column.split(":")[0] for column in fh.readline().rstrip("\n").split("\t")]
            for number, line in enumerate(fh, start=2):
                values = line.rstrip("\n").split("\t")
                if len(values) != len(header):
                    yield number, f"expected {len(header)} tab-separated columns, found {len(values)}"
                    continue
                yield number, dict(zip(header, values, strict=True))
        else:
            for number, row in enumerate(csv.DictReader(fh), start=2):
                if None in row:
                    yield number, "more values than header columns"
                    continue
                yield number, row


def movielens_item(row: dict) -> dict:
    """A MovieLens (RecBole atomic) item row as the site's item; offline evaluation reads MovieLens through this too,
    so its item texts, and the vectors made from them, are the ones the site would store."""
    year = (row.get("release_year") or "").strip()
    genres = [genre.replace("'", "").lower() for genre in (row.get("class") or "").split()]
    return {
        "external_id": f"ml-{row['item_id']}",
        "domain": "movies",
        "title": row.get("movie_title", ""),
        "description": f"A {', '.join(genres) or 'feature'} film" + (f" released in {year}." if year else "."),
        "tags": genres,
        "published_at": f"{year}-01-01T00:00:00Z" if year.isdigit() else None,
    }


def _movielens_interaction(row: dict) -> dict:
    return {
        "user": f"ml-{row['user_id']}",
        "item": f"ml-{row['item_id']}",
        "kind": "rating",
        "value": row.get("rating"),
        "timestamp": row.get("timestamp"),
    }


# --- Items -------------------------------------------------------------------------------


def import_items(
    rows: Iterable[tuple[int, dict | str]], *, default_domain: str | None = None, base_dir: Path | None = None
) -> tuple[ImportReport, list[int]]:
    """Create or update items (matched on external_id); returns the report and the ids to embed.

    An `image` column holds an http(s) URL or a file path (relative ones from base_dir, the catalog's folder).
    """
    report = ImportReport()
    saved_ids: list[int] = []
    for number, row in rows:
        if isinstance(row, str):
            report.reject(number, row)
            continue
        if "movie_title" in row:
            row = movielens_item(row)
        data = {key: value for key, value in row.items() if value not in (None, "")}
        existing = (
            Item.objects.select_related("domain").filter(external_id=data["external_id"]).first()
            if data.get("external_id")
            else None
        )
        # An empty cell keeps what is stored (like the API's upsert); a new item gets the defaults.
        data = {**_current_values(existing, default_domain), **data}
        files = {}
        if isinstance(data.get("image"), str):
            try:
                files["image"] = images.image_from_reference(data.pop("image"), base_dir=base_dir)
            except ValidationError as error:
                report.reject(number, f"image: {' '.join(error.messages)}")
                continue
        form = ImportItemForm(data=data, files=files, instance=existing)
        if not form.is_valid():
            report.reject(number, _form_errors(form))
            continue
        item = form.save()
        saved_ids.append(item.pk)
        if existing:
            report.updated += 1
        else:
            report.created += 1
    return report, saved_ids


def _current_values(item: Item | None, default_domain: str | None) -> dict:
    if item is None:
        # Most catalogs (MovieLens included) carry no language column.
        return {"domain": default_domain or "", "is_active": True, "language": Item._meta.get_field("language").default}
    return {name: getattr(item, name) for name in ITEM_EDITABLE_FIELDS} | {"domain": item.domain.slug}


def _form_errors(form) -> str:
    return "; ".join(
        f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
        for name, messages in form.errors.items()
    )


def queue_embedding(item_ids: list[int]) -> None:
    """One task per batch, so a large import is embedded in efficient batches by the worker."""
    from content.services import items_embed_later

    with transaction.atomic():
        items_embed_later(item_ids=item_ids)


def embed_now(item_ids: list[int], progress=None, log=None) -> int:
    """Embed in this process, batch by batch (for large imports without waiting on the worker); a load of
    vectors.BULK_LOAD_ROWS or more builds the HNSW index once at the end instead of row by row."""
    bulk = len(item_ids) >= vectors.BULK_LOAD_ROWS
    done = 0
    with vectors.hnsw_deferred(log=log) if bulk else nullcontext():
        for batch in vectors.batched(item_ids, size=256):
            done += vectors.items_embed(item_ids=batch)
            if progress:
                progress(len(batch))
    return done


# --- Interactions ----------------------------------------------------------------------------


def _parse_time(value) -> datetime | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text.replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(text), tz=UTC)
    parsed = parse_datetime(text)
    if parsed is None:
        raise ValueError(f"unreadable timestamp '{text}'")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def import_interactions(rows: Iterable[tuple[int, dict | str]], *, create_users: bool = True) -> ImportReport:
    """Bulk-load an interaction log. Users are matched by username (created when missing), items by external_id or id."""
    report = ImportReport()
    user_model = get_user_model()
    users = dict(user_model.objects.values_list("username", "id"))
    items = dict(Item.objects.exclude(external_id=None).values_list("external_id", "id"))
    item_ids = set(Item.objects.values_list("id", flat=True))
    pending: list[Interaction] = []
    touched_users: set[int] = set()

    stored_before = Interaction.objects.count()
    submitted = 0

    def flush():
        nonlocal submitted
        with transaction.atomic():
            Interaction.objects.bulk_create(pending, ignore_conflicts=True)
        submitted += len(pending)
        pending.clear()

    for number, row in rows:
        if isinstance(row, str):
            report.reject(number, row)
            continue
        if "item_id" in row and "user_id" in row:
            row = _movielens_interaction(row)
        try:
            interaction = _interaction_from_row(row, users, items, item_ids, create_users, user_model)
        except ValueError as exc:
            report.reject(number, str(exc))
            continue
        pending.append(interaction)
        touched_users.add(interaction.user_id)
        if len(pending) >= BATCH:
            flush()
    if pending:
        flush()
    # Rows that were already stored (same state, or same client id) are skipped, not counted twice.
    report.created = Interaction.objects.count() - stored_before
    report.skipped = submitted - report.created
    from content.services import feedback_touched

    with transaction.atomic():
        feedback_touched(user_ids=touched_users)
    return report


def _interaction_from_row(row, users, items, item_ids, create_users, user_model) -> Interaction:
    username = str(row.get("user") or "").strip()
    if not username:
        raise ValueError("user: missing")
    if username not in users:
        if not create_users:
            raise ValueError(f"user: unknown user '{username}'")
        users[username] = user_model.objects.create_user(username=username[:150]).pk
    item_key = str(row.get("item") or "").strip()
    item_id = items.get(item_key) or (int(item_key) if item_key.isdigit() and int(item_key) in item_ids else None)
    if item_id is None:
        raise ValueError(f"item: unknown item '{item_key}'")
    kind = str(row.get("kind") or "").strip().lower()
    if kind not in Interaction.Kind.values:
        raise ValueError(f"kind: '{kind}' is not one of {', '.join(Interaction.Kind.values)}")
    value = None
    if kind == Interaction.Kind.RATING:
        try:
            value = float(row.get("value"))
        except (TypeError, ValueError):
            raise ValueError("value: a rating needs a number from 1 to 5") from None
        if not 1 <= value <= 5:
            raise ValueError(f"value: rating {value:g} is outside 1-5")
    created_at = _parse_time(row.get("timestamp") or row.get("created_at"))
    return Interaction(
        user_id=users[username],
        item_id=item_id,
        kind=kind,
        value=value,
        **({"created_at": created_at} if created_at else {}),
    )


def ensure_domains(slugs: Iterable[str]) -> None:
    for slug in slugs:
        Domain.objects.get_or_create(slug=slug, defaults={"name": slug.replace("-", " ").title()})
