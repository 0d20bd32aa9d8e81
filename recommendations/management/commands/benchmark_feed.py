from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recommendations import benchmark


class Command(BaseCommand):
    help = (
        "Feed latency on a large synthetic catalog, per stage, with and without free text. Run it on its own "
        "database, e.g. EMBEDDED_DATABASE=platform_bench python manage.py migrate && "
        "EMBEDDED_DATABASE=platform_bench python manage.py benchmark_feed"
    )

    def add_arguments(self, parser):
        parser.add_argument("--items", type=int, default=100_000)
        parser.add_argument("--users", type=int, default=1_000)
        parser.add_argument("--requests", type=int, default=200)

    def handle(self, *args, items, users, requests, **options):
        if settings.DATABASES["default"]["NAME"] in {"platform"}:
            raise CommandError(
                "Refusing to fill the development database: set EMBEDDED_DATABASE=platform_bench (or a DATABASE_URL)."
            )
        benchmark.catalog_build(items=items, users=users, log=self.stdout.write)
        ann = benchmark.measure_ann()
        self.stdout.write(f"\npgvector HNSW at this size: {ann}")
        for with_query in (False, True):
            result = benchmark.measure_feeds(requests=requests, with_query=with_query)
            label = "with free text" if with_query else "without free text"
            self.stdout.write(f"\nFeed request {label} ({requests} requests, ms):")
            self.stdout.write(f"  {'stage':<26}{'p50':>8}{'p95':>8}")
            for name, (p50, p95) in result.items():
                self.stdout.write(f"  {name:<26}{p50:>8.1f}{p95:>8.1f}")
