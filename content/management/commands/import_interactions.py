from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from content import importers
from content.management.commands._report import print_report


class Command(BaseCommand):
    help = (
        "Import interactions from CSV, JSONL or a MovieLens .inter file. Columns: user (username), item "
        "(external_id or id), kind (view, click, like, dislike, save, hide, rating), value (1-5 for ratings), "
        "timestamp (unix seconds or ISO 8601)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--no-create-users", action="store_true", help="Reject rows naming unknown users.")

    def handle(self, *args, path: Path, no_create_users, **options):
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        rows = tqdm(importers.read_rows(path), desc="interactions", unit=" rows", disable=options["verbosity"] == 0)
        report = importers.import_interactions(rows, create_users=not no_create_users)
        print_report(self, report, "Interactions")
