from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from content import importers
from content.management.commands._report import print_report


class Command(BaseCommand):
    help = (
        "Import items from CSV, JSONL or a MovieLens .item file. Columns: external_id, domain, title, "
        "description, tags, creator, url, language, published_at, is_active. Rows with the same "
        "external_id update the existing item."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--domain", help="Domain slug for rows that name none (MovieLens rows are 'movies').")
        parser.add_argument("--create-domains", action="store_true", help="Create domains named by --domain first.")
        parser.add_argument("--embed-now", action="store_true", help="Embed here instead of queueing for the worker.")

    def handle(self, *args, path: Path, domain, create_domains, embed_now, **options):
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        if create_domains or path.suffix == ".item":
            importers.ensure_domains([domain or "movies"])
        rows = tqdm(importers.read_rows(path), desc="items", unit=" rows", disable=options["verbosity"] == 0)
        report, item_ids = importers.import_items(rows, default_domain=domain, base_dir=path.parent)
        print_report(self, report, "Items")
        if not item_ids:
            return
        if embed_now:
            with tqdm(total=len(item_ids), desc="embedding", unit=" items") as bar:
                importers.embed_now(item_ids, progress=bar.update, log=self.stdout.write)
        else:
            importers.queue_embedding(item_ids)
            self.stdout.write(f"Queued {len(item_ids)} items for embedding by the worker.")
