import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ops import benchmark
from recommendations import search_width
from recommendations.sources import hnsw
from recommendations.sources.database import domain_centres_store


class Command(BaseCommand):
    help = (
        "What serving costs on a large synthetic catalog: feed latency per stage with and without free text, HNSW "
        "recall and latency per search width, process memory. Run it on its own database, e.g. "
        "EMBEDDED_DATABASE=platform_bench python manage.py migrate && "
        "EMBEDDED_DATABASE=platform_bench python manage.py benchmark_feed --items 1000000"
    )

    def add_arguments(self, parser):
        parser.add_argument("--items", type=int, default=100_000)
        parser.add_argument("--users", type=int, default=1_000)
        parser.add_argument("--requests", type=int, default=200)
        parser.add_argument("--skip-ann", action="store_true", help="Skip the recall/latency sweep over search widths.")
        parser.add_argument(
            "--json", dest="json_path", type=Path, help="Also write the numbers here (default var/benchmark-N.json)."
        )

    def handle(self, *args, items, users, requests, skip_ann, json_path, **options):
        if settings.DATABASES["default"]["NAME"] in {"platform"}:
            raise CommandError(
                "Refusing to fill the development database: set EMBEDDED_DATABASE=platform_bench (or a DATABASE_URL)."
            )
        report = {
            "items": items,
            "users": users,
            "build": benchmark.catalog_build(items=items, users=users, log=self.stdout.write),
        }
        report["geometry"] = benchmark.geometry()
        self.stdout.write(
            f"\nGeometry (median local intrinsic dimensionality, relative contrast): {report['geometry']}"
        )
        # What the search-width task measures on a running site: the width serving uses.
        report["search_width"] = search_width.measure_and_store()
        chosen = report["search_width"]
        self.stdout.write(
            f"\nServing search width, measured on people's interest vectors: {chosen['search_width']} "
            f"(recall@10 {chosen['recall@10']} against exact search, {chosen['recall_by_width']}; {chosen['seconds']} s)"
        )
        if not skip_ann:
            ann = benchmark.measure_ann()
            report["ann"] = ann
            self.stdout.write(
                f"\npgvector HNSW at {ann['items']:,} items (serving uses search width {hnsw.search_width()}):"
            )
            self.stdout.write(f"  {'width':>9}{'recall@10':>11}{'filtered':>10}{'rows':>6}{'p50 ms':>8}{'p95 ms':>8}")
            for ef, row in ann["recall_by_width"].items():
                self.stdout.write(
                    f"  {ef:>9}{row['recall@10']:>11.3f}{row['filtered_recall@10']:>10.3f}{row['filtered_rows']:>6.1f}"
                    f"{row['p50_ms']:>8.2f}{row['p95_ms']:>8.2f}"
                )
        report["feeds"] = {}
        # What the statistics task keeps in the shared cache, as on a running site.
        domain_centres_store()
        for with_query in (False, True):
            with benchmark.feeds_uncached():
                result = benchmark.measure_feeds(requests=requests, with_query=with_query)
            label = "with free text" if with_query else "without free text"
            report["feeds"][label] = result
            self.stdout.write(f"\nFeed request {label} ({requests} requests, ms):")
            self.stdout.write(f"  {'stage':<26}{'p50':>8}{'p95':>8}")
            for name, (p50, p95) in result.items():
                self.stdout.write(f"  {name:<26}{p50:>8.1f}{p95:>8.1f}")
        with benchmark.feeds_uncached():
            report["edit"] = benchmark.measure_edit()
        self.stdout.write("\nOne item edit, as the worker stores it (ms; p50 / p95 of 5):")
        for name, (p50, p95) in report["edit"].items():
            self.stdout.write(f"  {name:<26}{p50:>8.1f}{p95:>8.1f}")
        report["rss_mb"] = round(benchmark.rss_mb(), 1)
        self.stdout.write(
            f"\nThis process: {report['rss_mb']} MB resident (the model included; no per-process catalog)."
        )
        path = json_path or Path(settings.BASE_DIR) / "var" / f"benchmark-{items}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2, default=str))
        self.stdout.write(f"Wrote {path}")
