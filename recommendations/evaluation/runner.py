"""Run the standard peers and the platform on the same splits, over several seeds, and report comparable numbers."""

import hashlib
import json
import time
from pathlib import Path

import numpy as np
from django.conf import settings

from content.embedding import get_encoder
from recommendations import splits
from recommendations.dataset import Dataset
from recommendations.evaluation import metrics, similar
from recommendations.evaluation.recommenders import Platform, Recommender, baselines
from recommendations.interests import bio_phrases

CACHE_DIR = Path(settings.BASE_DIR) / "var" / "eval-cache"
WORDS_ONLY_FOLDS = 5
COLUMNS = ("recall@10", "ndcg@10", "coverage", "diversity", "novelty")


def _encode_cached(name: str, texts: list[str]) -> np.ndarray:
    """Embed with the serving model; cached on disk by the texts and the model."""
    digest = hashlib.sha256(("\x00".join(texts) + settings.EMBEDDING_MODEL_NAME).encode()).hexdigest()[:16]
    path = CACHE_DIR / f"{name}-{digest}.npy"
    if path.exists():
        return np.load(path)
    vectors = get_encoder().encode(texts) if texts else np.zeros((0, settings.EMBEDDING_DIMENSIONS), dtype=np.float32)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def embed(dataset: Dataset) -> Dataset:
    """Item vectors, whole-bio vectors and per-phrase bio vectors, made the way the site makes them."""
    if dataset.vectors is None:
        dataset.vectors = _encode_cached(f"{dataset.name}-items", dataset.item_texts)
    missing = [user for user in dataset.bios if user not in dataset.bio_vectors]
    if missing:
        whole = _encode_cached(f"{dataset.name}-bios", [dataset.bios[user] for user in missing])
        dataset.bio_vectors.update(zip(missing, whole, strict=True))
        phrase_texts = sorted({p for user in missing for p in _phrases_needed(dataset.bios[user])})
        encoded = dict(zip(phrase_texts, _encode_cached(f"{dataset.name}-phrases", phrase_texts), strict=True))
        for user in missing:
            dataset.bio_phrases[user] = bio_phrases(
                dataset.bios[user], dataset.bio_vectors[user], lambda texts: [encoded[text] for text in texts]
            )
    return dataset


def _phrases_needed(bio: str) -> list[str]:
    needed: list[str] = []
    bio_phrases(bio, np.zeros(1), lambda texts: needed.extend(texts) or [np.zeros(1)] * len(texts))
    return needed


def make_splits(name: str, dataset: Dataset, seed: int, holdout: list | None = None) -> list[splits.Split]:
    if name == "holdout":
        return [splits.holdout(dataset, holdout or [])]
    if name == similar.SPLIT:
        return [splits.co_engaged(dataset, seed=seed)]
    if name == "words_only":
        return [splits.words_only(dataset, seed=seed, fold=fold) for fold in range(WORDS_ONLY_FOLDS)]
    return [splits.SPLITS[name](dataset, seed=seed)]


def _allowed(split: splits.Split, recommender: Recommender, user: int) -> np.ndarray:
    train = split.train
    scope = split.scope(user)
    allowed = np.ones(train.n_items, dtype=bool) if train.inactive is None else ~train.inactive
    if scope.domain:
        allowed &= train.item_domains == scope.domain
    if scope.within is not None:
        within = np.zeros(train.n_items, dtype=bool)
        within[list(scope.within)] = True
        allowed &= within
    allowed[train.items[train.users == user]] = False
    return allowed


def evaluate(
    folds: list[splits.Split], make_recommenders, *, seed: int, max_users: int | None = None, log=print
) -> dict:
    """Every method on every fold; metrics over the union of the folds' test users."""
    lists: dict[str, dict[int, list[int]]] = {}
    test: dict[int, set[int]] = {}
    timing: dict[str, float] = {}
    fits: dict[str, list] = {}
    popularity: dict[str, np.ndarray] = {}
    for split in folds:
        users = sorted(split.test)[:max_users] if max_users else sorted(split.test)
        test.update({user: split.test[user] for user in users})
        for recommender in make_recommenders():
            started = time.perf_counter()
            recommender.fit(split, seed=seed)
            found = {user: recommender.recommend(user, _allowed(split, recommender, user)) for user in users}
            lists.setdefault(recommender.name, {}).update(found)
            timing[recommender.name] = timing.get(recommender.name, 0.0) + time.perf_counter() - started
            popularity[recommender.name] = recommender.popularity
            if isinstance(recommender, Platform):
                fits.setdefault(recommender.name, []).append(
                    {
                        "weights": recommender.ranker.weights,
                        "scales": recommender.ranker.scales,
                        "fit": recommender.fit_report,
                    }
                )
        log(f"  {split.name}: {len(users)} users")
    vectors = folds[0].train.vectors
    n_users = folds[0].train.n_users
    within = folds[0].scope(next(iter(test))).within if test else None
    universe = len(within) if within is not None else folds[0].train.n_items
    rows = {}
    for method, found in lists.items():
        row = metrics.summarize(found, test, vectors, popularity[method], n_users, universe)
        row["per_user"] = metrics.per_user(found, test)
        row["seconds"] = round(timing[method], 1)
        if method in fits:
            row["fits"] = fits[method]
        rows[method] = row
    return rows


def run(
    dataset: Dataset,
    split_names: list[str],
    *,
    seeds: list[int],
    explore: float,
    max_users: int | None = None,
    holdout: list | None = None,
    log=print,
) -> dict:
    embed(dataset)
    report = {
        "dataset": dataset.name,
        "items": dataset.n_items,
        "users": dataset.n_users,
        "interactions": int(len(dataset.users)),
        "domains": len(set(dataset.item_domains.tolist())),
        "model": settings.EMBEDDING_MODEL_NAME,
        "explore": explore,
        "seeds": seeds,
        "runs": {},
    }
    for name in split_names:
        report["runs"][name] = {}
        for seed in seeds:
            log(f"[{name}] seed {seed}")
            try:
                folds = make_splits(name, dataset, seed, holdout)
            except splits.SplitSkipped as reason:
                report["runs"][name] = {"skipped": str(reason)}
                log(f"  skipped: {reason}")
                break
            report["runs"][name][seed] = evaluate(
                folds, lambda name=name: _recommenders(name, explore), seed=seed, max_users=max_users, log=log
            )
    report["summary"] = summarize(report)
    report["comparisons"] = compare(report)
    return report


def _recommenders(split_name: str, explore: float) -> list[Recommender]:
    if split_name == similar.SPLIT:
        return similar.recommenders()
    return [*baselines(), Platform(explore=explore)]


def compare(report: dict) -> dict:
    """Per split: the platform against the best peer (by mean Recall@10), with paired 95% intervals of the per-user
    differences pooled over seeds, and whether the platform is below that peer beyond its interval."""
    comparisons = {}
    for name, rows in report["summary"].items():
        if "skipped" in rows or "platform" not in rows:
            continue
        best = max((m for m in rows if m != "platform"), key=lambda m: rows[m]["recall@10"]["mean"])
        ours, theirs = [], []
        for seed_rows in report["runs"][name].values():
            mine, peer = seed_rows["platform"]["per_user"], seed_rows[best]["per_user"]
            shared = sorted(set(mine) & set(peer))
            ours += [mine[user] for user in shared]
            theirs += [peer[user] for user in shared]
        ours_array, theirs_array = np.array(ours).reshape(-1, 2), np.array(theirs).reshape(-1, 2)
        entry = {"best_peer": best, "users": len(ours)}
        for column, metric in enumerate(("recall@10", "ndcg@10")):
            mean, low, high = metrics.paired_interval(ours_array[:, column], theirs_array[:, column])
            peer_mean = max(float(theirs_array[:, column].mean()) if len(theirs) else 0.0, 1e-9)
            entry[metric] = {
                "platform": round(float(ours_array[:, column].mean()) if len(ours) else 0.0, 4),
                "peer": round(peer_mean, 4),
                "ratio": round(1.0 + mean / peer_mean, 3),
                "ratio_interval": [round(1.0 + low / peer_mean, 3), round(1.0 + high / peer_mean, 3)],
            }
        entry["below_peer"] = any(entry[metric]["ratio_interval"][1] < 1.0 for metric in ("recall@10", "ndcg@10"))
        comparisons[name] = entry
    return comparisons


def summarize(report: dict) -> dict:
    """Per split and method: mean, min and max of each metric over the seeds."""
    summary = {}
    for name, runs in report["runs"].items():
        if "skipped" in runs:
            summary[name] = {"skipped": runs["skipped"]}
            continue
        per_method: dict[str, dict] = {}
        for rows in runs.values():
            for method, row in rows.items():
                for column in COLUMNS:
                    per_method.setdefault(method, {}).setdefault(column, []).append(row[column])
        summary[name] = {
            method: {
                column: {"mean": round(float(np.mean(v)), 4), "min": float(np.min(v)), "max": float(np.max(v))}
                for column, v in columns.items()
            }
            for method, columns in per_method.items()
        }
    return summary


def table(report: dict) -> str:
    """One row per method, one column per situation (Recall@10 / NDCG@10, mean over seeds), and the spread."""
    summary = report["summary"]
    names = [name for name in summary if "skipped" not in summary[name]]
    methods = list(summary[names[0]]) if names else []
    lines = [
        f"{report['dataset']}: {report['items']} items in {report['domains']} domain(s), {report['users']} users, "
        f"{report['interactions']} interactions; seeds {report['seeds']}; explore {report['explore']}",
        "",
        f"{'Recall@10 / NDCG@10':<16}" + "".join(f"{name:>20}" for name in names) + f"{'temporal diversity':>20}",
    ]
    for method in methods:
        cells = "".join(
            f"{summary[name][method]['recall@10']['mean']:>10.4f} /{summary[name][method]['ndcg@10']['mean']:>7.4f}"
            for name in names
        )
        diversity = summary.get("temporal", {}).get(method, {}).get("diversity", {}).get("mean")
        lines.append(f"{method:<16}{cells}{'' if diversity is None else f'{diversity:>20.4f}'}")
    lines.append("")
    lines.append(
        "Platform vs the best peer of each situation (ratio of means, paired 95% interval over users x seeds):"
    )
    for name, entry in report.get("comparisons", {}).items():
        recall, ndcg = entry["recall@10"], entry["ndcg@10"]
        lines.append(
            f"  {name:<12} vs {entry['best_peer']:<14} Recall@10 {recall['platform']:.4f} / {recall['peer']:.4f} = "
            f"{recall['ratio']:.3f}x [{recall['ratio_interval'][0]:.3f}, {recall['ratio_interval'][1]:.3f}]   "
            f"NDCG@10 {ndcg['ratio']:.3f}x [{ndcg['ratio_interval'][0]:.3f}, {ndcg['ratio_interval'][1]:.3f}]"
            f"{'   BELOW' if entry['below_peer'] else ''}"
        )
    for name, rows in summary.items():
        if "skipped" in rows:
            lines.append(f"  {name:<12} skipped: {rows['skipped']}")
    return "\n".join(lines)


def plot(report: dict, path: Path) -> None:
    """Recall@10 per situation and method, with the range over seeds as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = report["summary"]
    names = [name for name in summary if "skipped" not in summary[name]]
    if not names:
        return
    methods = list(summary[names[0]])
    figure, axis = plt.subplots(figsize=(max(6, 2.2 * len(names)), 4))
    width = 0.8 / len(methods)
    for offset, method in enumerate(methods):
        means = [summary[name][method]["recall@10"]["mean"] for name in names]
        low = [means[i] - summary[name][method]["recall@10"]["min"] for i, name in enumerate(names)]
        high = [summary[name][method]["recall@10"]["max"] - means[i] for i, name in enumerate(names)]
        positions = np.arange(len(names)) + offset * width
        axis.bar(positions, means, width, label=method, yerr=[low, high], capsize=2)
    axis.set_xticks(np.arange(len(names)) + 0.4 - width / 2, names)
    axis.set_ylabel("Recall@10")
    axis.set_title(f"{report['dataset']}: seeds {report['seeds']}")
    axis.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)


def write_json(report: dict, path: Path) -> None:
    """The report without per-user numbers (the comparisons were computed from them)."""
    runs = {name: _without_per_user(runs) for name, runs in report["runs"].items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report | {"runs": runs}, indent=2, default=str))


def _without_per_user(runs: dict) -> dict:
    if "skipped" in runs:
        return runs
    return {
        seed: {method: {key: value for key, value in row.items() if key != "per_user"} for method, row in rows.items()}
        for seed, rows in runs.items()
    }
