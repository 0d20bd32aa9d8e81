from django.core.management.base import BaseCommand, CommandError

from recommendations.services import ranker_fit


class Command(BaseCommand):
    help = (
        "Fit the ranking blend weights on this platform's own interactions (per-user temporal hold-out) "
        "and store them as a new active version."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-users", type=int, default=5, help="Refuse to fit on fewer users with held-out activity."
        )
        parser.add_argument("--dry-run", action="store_true", help="Report the fit without storing it.")

    def handle(self, *args, min_users, dry_run, **options):
        try:
            result = ranker_fit(min_users=min_users, store=not dry_run)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Fitted on {result['trained_on']}")
        self.stdout.write(
            f"NDCG@10 on held-out interactions: default weights {result['metrics']['default_ndcg@10']}, fitted {result['metrics']['ndcg@10']}"
        )
        self.stdout.write(f"Weights: {result['weights']}")
        if result.get("version"):
            self.stdout.write(self.style.SUCCESS(f"Stored as ranker v{result['version']} (now serving)"))
