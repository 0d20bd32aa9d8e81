"""Demo catalog and people, written for this project (content/demo_data)."""

import json
import secrets
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from content import importers, services
from content.models import Domain, Interaction, Item

DATA_DIR = Path(__file__).resolve().parent / "demo_data"
DEMO_PASSWORD = "demo-password-123"
ADMIN_PASSWORD_BYTES = 18

DOMAINS = {
    "articles": ("Articles", "Essays, explainers and long reads."),
    "books": ("Books", "Fiction and non-fiction."),
    "movies": ("Movies", "Feature films and documentaries."),
    "courses": ("Courses", "Structured lessons to learn a skill."),
    "podcasts": ("Podcasts", "Shows and series to listen to."),
    "music": ("Music", "Albums and live recordings."),
}


def read_jsonl(name: str) -> list[dict]:
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def demo_domains() -> None:
    for slug, (name, description) in DOMAINS.items():
        Domain.objects.update_or_create(slug=slug, defaults={"name": name, "description": description})


def demo_load() -> dict:
    """Idempotent: items are matched by external_id and users by username; items without a picture get a cover
    drawn from their text; embedding is queued for the worker."""
    demo_domains()
    rows = list(enumerate(read_jsonl("items.jsonl"), start=1))
    report, item_ids = importers.import_items(rows)
    services.items_draw_covers(item_ids=item_ids)
    importers.queue_embedding(item_ids)
    users = _demo_users()
    return {"items": report.accepted, "rejected": len(report.rejected), "users": users}


@transaction.atomic
def _demo_users() -> int:
    user_model = get_user_model()
    items = dict(Item.objects.exclude(external_id=None).values_list("external_id", "id"))
    now = timezone.now()
    for person in read_jsonl("users.jsonl"):
        user, created = user_model.objects.get_or_create(username=person["username"])
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        services.profile_update(user=user, bio=person.get("bio", ""), display_name=person.get("display_name", ""))
        if not created:
            continue
        history = [
            Interaction(
                user=user,
                item_id=items[event["item"]],
                kind=event["kind"],
                value=event.get("value") if event["kind"] == "rating" else None,
                created_at=now - timedelta(days=event.get("days_ago", 0), minutes=index),
            )
            for index, event in enumerate(person.get("history", []))
            if event["item"] in items
        ]
        Interaction.objects.bulk_create(history, ignore_conflicts=True)
        services.feedback_touched(user_ids=[user.pk])
    return user_model.objects.filter(username__in=[p["username"] for p in read_jsonl("users.jsonl")]).count()


def admin_ensure(*, username: str) -> str | None:
    """Create the admin on first use with a generated password and return it; None when the admin exists.

    Only the hash is stored, so the caller's one chance to show the password is now.
    """
    if username in {person["username"] for person in read_jsonl("users.jsonl")}:
        raise ValueError(f"'{username}' is a demo reader, whose password is public; pick another admin username.")
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        return None
    password = secrets.token_urlsafe(ADMIN_PASSWORD_BYTES)
    user_model.objects.create_superuser(username=username, email=f"{username}@localhost", password=password)
    return password
