from django.core.management.base import BaseCommand, CommandError

from recommendations.services.training import ranker_refit


class Command(BaseCommand):
    help = (
        "Refit the ranker's per-situation weights on this site's own behaviour (held-out splits that reproduce each "
        "situation) and adopt them as a new version where they beat the serving weights on held-out people."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-users", type=int, default=5, help="Refuse to fit on fewer users with held-out activity."
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--dry-run", action="store_true", help="Report the refit without adopting it.")

    def handle(self, *args, min_users, seed, dry_run, **options):
        try:
            result = ranker_refit(min_users=min_users, adopt=not dry_run, seed=seed)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Fitted on {result['trained_on']}, starting from ranker v{result['based_on'] or '0 (priors)'}"
        )
        for situation, check in result["metrics"].items():
            if situation.startswith("_"):
                continue
            scores = ""
            if "check_current" in check:
                scores = (
                    f" (held-out {check['objective']} {check['check_current']} -> {check['check_served']}; best expert "
                    f"{check['best_expert']} {check['experts'][check['best_expert']]}; serves {check['served']})"
                )
            self.stdout.write(
                f"  {situation:<14} {'adopted' if check['adopted'] else 'kept   '}{scores}: {check['reason']}"
            )
            self.stdout.write(f"  {'':<14} weights {result['weights'][situation]}")
        if result.get("version"):
            self.stdout.write(self.style.SUCCESS(f"Adopted as ranker v{result['version']} (now serving)"))
        elif not dry_run:
            self.stdout.write("Nothing adopted: no situation's fitted weights beat the serving ones.")
