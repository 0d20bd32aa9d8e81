from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommendations import pipeline, splits
from recommendations.dataset import diagnose
from recommendations.evaluation import data, runner, similar, suite

SITUATION_SPLITS = list(splits.SPLITS)
# Asked for by name only: an item page's similar items, against item-kNN and meaning alone.
EXTRA_SPLITS = [similar.SPLIT]


class Command(BaseCommand):
    help = (
        "Offline evaluation: the platform, served through its own ranking pipeline with weights fitted on the "
        "training data, against popularity, item-kNN, EASE, implicit's ALS and the embedding model alone, on splits "
        "that reproduce each situation (long and short histories, words only, a new domain, new items). DATASET is "
        "a directory with MovieLens atomic files (*.item, *.inter) or the generic layout (items.jsonl|csv, "
        "interactions.jsonl|csv, optional users.jsonl|csv), or 'platform' for this site's own data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dataset", help="A dataset directory, or 'platform' (required unless --suite).")
        parser.add_argument(
            "--suite",
            action="store_true",
            help="The generalization suite: every dataset under --data-dir in each situation it reproduces; exits "
            "non-zero when the platform is below the best peer beyond its interval anywhere.",
        )
        parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"), help="The suite's datasets.")
        parser.add_argument("--quick", action="store_true", help="The suite's short form: three rows, fewer users.")
        parser.add_argument(
            "--split",
            action="append",
            choices=SITUATION_SPLITS + EXTRA_SPLITS,
            help=f"Repeatable; default: all but {', '.join(EXTRA_SPLITS)}.",
        )
        parser.add_argument("--holdout", type=Path, help="CSV of (user, item[, domain]) pairs to hide and find.")
        parser.add_argument(
            "--domains", choices=["given", "genre"], default="given", help="genre: first genre is the domain."
        )
        parser.add_argument("--seed", type=int, default=0, help="First seed.")
        parser.add_argument(
            "--seeds", type=int, default=1, help="How many seeds (seed, seed+1, ...); 3 gives a spread."
        )
        parser.add_argument(
            "--explore",
            type=float,
            default=pipeline.DEFAULT_EXPLORE,
            help="The person's explore setting (default: the site's default for new profiles).",
        )
        parser.add_argument(
            "--graded-ratings", action="store_true", help="Low ratings count against (default: every rating is a like)."
        )
        parser.add_argument(
            "--max-users", type=int, help="Evaluate only the first N test users of each split (quick runs)."
        )
        parser.add_argument("--json", type=Path, default=Path("var/evaluation.json"))
        parser.add_argument("--plot", type=Path, help="Save a Recall@10 per situation plot (PNG).")

    def handle(
        self,
        *args,
        dataset,
        split,
        holdout,
        domains,
        seed,
        seeds,
        explore,
        graded_ratings,
        max_users,
        json,
        plot,
        suite,
        **options,
    ):
        if not 0.0 <= explore <= 1.0:
            raise CommandError("--explore must be between 0 and 1")
        if seeds < 1:
            raise CommandError("--seeds must be at least 1")
        if suite:
            return self._suite(options["data_dir"], options["quick"], list(range(seed, seed + seeds)), explore, json)
        if not dataset:
            raise CommandError("--dataset is required (or run --suite)")
        loaded = self._load(dataset, graded_ratings=graded_ratings, domains=domains)
        pairs = None
        if holdout is not None:
            try:
                pairs = data.read_holdout(holdout, loaded)
            except data.DatasetError as exc:
                raise CommandError(str(exc)) from exc
        names = ["holdout"] if holdout is not None else (split or SITUATION_SPLITS)
        report = runner.run(
            loaded,
            names,
            seeds=list(range(seed, seed + seeds)),
            explore=explore,
            max_users=max_users,
            holdout=pairs,
            log=self.stdout.write,
        )
        self.stdout.write("")
        self.stdout.write(runner.table(report))
        runner.write_json(report, json)
        self.stdout.write(f"\nWrote {json}")
        if plot:
            runner.plot(report, plot)
            self.stdout.write(f"Wrote {plot}")

    def _suite(self, root: Path, quick: bool, seeds: list[int], explore: float, path: Path):
        try:
            results = suite.run(root, seeds=seeds, explore=explore, quick=quick, log=self.stdout.write)
        except data.DatasetError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("")
        self.stdout.write(suite.table(results))
        for case, report in results:
            runner.write_json(report, path.with_name(f"{path.stem}-{suite.slug(case)}.json"))
        below = suite.below_peer(results)
        if below:
            raise CommandError(f"below the best peer beyond the interval: {'; '.join(below)}")

    def _load(self, dataset: str, *, graded_ratings: bool, domains: str):
        if dataset == "platform":
            from recommendations.services.training import platform_dataset

            return platform_dataset()
        path = Path(dataset)
        if not path.is_dir():
            raise CommandError(f"{path} is not a directory")
        try:
            loaded, report = data.load(path, ratings_as_likes=not graded_ratings, domains=domains)
        except data.DatasetError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.skipped:
            self.stderr.write(line)
        for line in diagnose(loaded):
            self.stdout.write(f"Data: {line}")
        return loaded
