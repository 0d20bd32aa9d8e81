from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommendations.evaluation import data, runner, splits


class Command(BaseCommand):
    help = (
        "Offline evaluation of the serving ranker against popularity, item-kNN and implicit's ALS on the same splits. "
        "DATASET is a directory with MovieLens atomic files (*.item, *.inter) or the generic layout "
        "(items.jsonl|csv, interactions.jsonl|csv, optional users.jsonl), or 'platform' for this site's own data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--split", action="append", choices=sorted(splits.SPLITS), help="Repeatable; default: all.")
        parser.add_argument(
            "--explore", type=float, default=0.2, help="Diversity trade-off used by the platform ranker."
        )
        parser.add_argument(
            "--graded-ratings",
            action="store_true",
            help="Low ratings count against (default: every rating is a positive).",
        )
        parser.add_argument("--max-users", type=int, help="Evaluate only the first N test users (quick runs).")
        parser.add_argument("--json", type=Path, default=Path("var/evaluation.json"))
        parser.add_argument("--plot", type=Path, help="Save a recall-vs-diversity plot (PNG).")

    def handle(self, *args, dataset, split, explore, graded_ratings, max_users, json, plot, **options):
        if not 0.0 <= explore <= 1.0:
            raise CommandError("--explore must be between 0 and 1")
        if dataset == "platform":
            loaded = data.from_platform()
        else:
            path = Path(dataset)
            if not path.is_dir():
                raise CommandError(f"{path} is not a directory")
            loaded = data.load(path, ratings_as_positive=not graded_ratings)
        report = runner.run(loaded, split or list(splits.SPLITS), explore=explore, max_users=max_users)
        self.stdout.write(runner.table(report))
        runner.write_json(report, json)
        self.stdout.write(f"\nWrote {json}")
        if plot:
            runner.plot(report, plot)
            self.stdout.write(f"Wrote {plot}")
