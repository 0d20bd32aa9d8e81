"""The generalization suite: every dataset in the shared data folder, each in the situations it can reproduce, plus
variants that break what a site's export often breaks (no timestamps, rows sorted by item id). One table: the
platform against the best peer of each row, with paired intervals."""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from recommendations.dataset import Dataset
from recommendations.evaluation import data, runner


@dataclass(frozen=True)
class Case:
    label: str
    folder: str
    splits: tuple[str, ...] = ()
    domains: str = "given"
    holdout_file: str | None = None
    # Remove timestamps, sort rows by item id and hold out a random fifth of each person's events.
    without_time: bool = False


CASES = (
    Case("ml-100k", "ml-100k", ("temporal", "few_shot", "cold_items")),
    Case("ml-100k genres as domains", "ml-100k", ("new_domain",), domains="genre"),
    Case("ml-100k without time, rows by item", "ml-100k", without_time=True),
    Case("redial-words", "redial-words", ("words_only",)),
    Case("redial-turns", "redial-turns", holdout_file="holdout.csv"),
    Case("douban books -> music", "douban-book-music", holdout_file="holdout.csv"),
    Case("douban either domain hidden", "douban-book-music", ("new_domain",)),
)
QUICK_CASES = ("ml-100k without time, rows by item", "redial-turns", "douban books -> music")
QUICK_USERS = 150
WITHOUT_TIME_SHARE = 0.2


def without_time(dataset: Dataset) -> Dataset:
    """Every event at one time, each person's rows sorted by item id: a bulk export."""
    order = np.lexsort((dataset.items, dataset.users))
    stripped = dataset.subset(order)
    return replace(stripped, timestamps=np.zeros(len(order)), name=f"{dataset.name}-without-time")


def random_holdout(dataset: Dataset, *, share: float, seed: int) -> list[tuple[int, int, str | None]]:
    """A random share of each person's positively engaged items, as (user, item, no domain) pairs."""
    rng = np.random.default_rng(seed)
    pairs = []
    positive = dataset.weights > 0
    for user in np.unique(dataset.users[positive]):
        items = np.unique(dataset.items[positive & (dataset.users == user)])
        if len(items) < 2:
            continue
        chosen = rng.choice(items, size=max(1, int(round(len(items) * share))), replace=False)
        pairs += [(int(user), int(item), None) for item in chosen]
    return pairs


def run_case(case: Case, root: Path, *, seeds: list[int], explore: float, max_users: int | None, log) -> dict:
    dataset, _ = data.load(root / case.folder, domains=case.domains)
    holdout = None
    if case.without_time:
        dataset = without_time(dataset)
        holdout = random_holdout(dataset, share=WITHOUT_TIME_SHARE, seed=seeds[0])
    elif case.holdout_file:
        holdout = data.read_holdout(root / case.folder / case.holdout_file, dataset)
    names = ["holdout"] if holdout is not None else list(case.splits)
    return runner.run(dataset, names, seeds=seeds, explore=explore, max_users=max_users, holdout=holdout, log=log)


def run(root: Path, *, seeds: list[int], explore: float, quick: bool, log=print) -> list[tuple[Case, dict]]:
    cases = [case for case in CASES if not quick or case.label in QUICK_CASES]
    missing = [case.folder for case in cases if not (root / case.folder).is_dir()]
    if missing:
        raise data.DatasetError(f"{root} lacks {', '.join(sorted(set(missing)))}")
    results = []
    for case in cases:
        log(f"== {case.label}")
        results.append(
            (
                case,
                run_case(case, root, seeds=seeds, explore=explore, max_users=QUICK_USERS if quick else None, log=log),
            )
        )
    return results


def table(results: list[tuple[Case, dict]]) -> str:
    """Rows: situation x dataset; columns: platform, best peer, ratio and its paired 95% interval (Recall@10 and
    NDCG@10); a row below its peer beyond the interval is marked."""
    lines = [
        f"{'dataset':<36}{'situation':<12}{'users':>7}{'platform':>10}{'best peer':>22}"
        f"{'Recall@10 ratio [95%]':>26}{'NDCG@10 ratio [95%]':>26}",
    ]
    for case, report in results:
        for name, entry in report["comparisons"].items():
            recall, ndcg = entry["recall@10"], entry["ndcg@10"]
            peer = f"{entry['best_peer']} {recall['peer']:.4f}"
            lines.append(
                f"{case.label:<36}{name:<12}{entry['users']:>7}{recall['platform']:>10.4f}{peer:>22}"
                f"{_ratio(recall):>26}{_ratio(ndcg):>26}{'   BELOW' if entry['below_peer'] else ''}"
            )
        for name, runs in report["runs"].items():
            if "skipped" in runs:
                lines.append(f"{case.label:<36}{name:<12} skipped: {runs['skipped']}")
    return "\n".join(lines)


def slug(case: Case) -> str:
    return "".join(c if c.isalnum() else "-" for c in case.label.lower()).strip("-")


def _ratio(entry: dict) -> str:
    low, high = entry["ratio_interval"]
    return f"{entry['ratio']:.3f}x [{low:.3f}, {high:.3f}]"


def below_peer(results: list[tuple[Case, dict]]) -> list[str]:
    return [
        f"{case.label} / {name}"
        for case, report in results
        for name, entry in report["comparisons"].items()
        if entry["below_peer"]
    ]
