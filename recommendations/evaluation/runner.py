"""Run baselines and the platform ranker on the same splits and report comparable numbers."""

import hashlib
import json
import time
from pathlib import Path

import numpy as np
from django.conf import settings

from content.embedding import get_encoder
from recommendations.evaluation import metrics, splits
from recommendations.evaluation.data import Dataset
from recommendations.evaluation.recommenders import Platform, Recommender, baselines

CACHE_DIR = Path(settings.BASE_DIR) / "var" / "eval-cache"


def item_vectors(dataset: Dataset) -> np.ndarray:
    """Embed item texts with the serving model; cached on disk by text and model."""
    if dataset.vectors is not None:
        return dataset.vectors
    digest = hashlib.sha256(("\n".join(dataset.item_texts) + settings.EMBEDDING_MODEL_NAME).encode()).hexdigest()[:16]
    path = CACHE_DIR / f"{dataset.name}-{digest}.npy"
    if path.exists():
        return np.load(path)
    vectors = get_encoder().encode(dataset.item_texts)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def bio_vectors(dataset: Dataset) -> dict[int, np.ndarray]:
    if dataset.bio_vectors:
        return dataset.bio_vectors
    if not dataset.bios:
        return {}
    users = list(dataset.bios)
    return dict(zip(users, get_encoder().encode([dataset.bios[user] for user in users]), strict=True))


def _allowed(split: splits.Split, recommender: Recommender, user: int, n_items: int) -> np.ndarray:
    if split.user_candidates is not None:
        allowed = np.zeros(n_items, dtype=bool)
        allowed[split.user_candidates[user]] = True
    elif split.candidate_items is not None:
        allowed = np.zeros(n_items, dtype=bool)
        allowed[split.candidate_items] = True
    else:
        allowed = np.ones(n_items, dtype=bool)
    allowed[recommender.matrix[user].indices] = False
    return allowed


def evaluate_split(
    split: splits.Split, vectors: np.ndarray, recommenders: list[Recommender], *, max_users: int | None = None
) -> dict:
    users = sorted(split.test)[:max_users] if max_users else sorted(split.test)
    test = {user: split.test[user] for user in users}
    universe = len(split.candidate_items) if split.candidate_items is not None else vectors.shape[0]
    results = {}
    for recommender in recommenders:
        started = time.perf_counter()
        recommender.fit(split, vectors)
        fitted = time.perf_counter()
        lists = {
            user: recommender.recommend(user, _allowed(split, recommender, user, vectors.shape[0])) for user in users
        }
        done = time.perf_counter()
        row = metrics.summarize(lists, test, vectors, recommender.popularity, split.train.n_users, universe)
        row["fit_seconds"] = round(fitted - started, 2)
        row["ms_per_user"] = round(1000 * (done - fitted) / max(len(users), 1), 2)
        if isinstance(recommender, Platform):
            row["weights"] = recommender.weights
            row["fit"] = recommender.fit_report
        results[recommender.name] = row
    return results


def run(dataset: Dataset, split_names: list[str], *, explore: float = 0.2, max_users: int | None = None) -> dict:
    vectors = item_vectors(dataset)
    bios = bio_vectors(dataset)
    report = {
        "dataset": dataset.name,
        "items": dataset.n_items,
        "users": dataset.n_users,
        "interactions": int(len(dataset.users)),
        "model": settings.EMBEDDING_MODEL_NAME,
        "splits": {},
    }
    for name in split_names:
        try:
            split = splits.SPLITS[name](dataset)
        except ValueError as exc:
            report["splits"][name] = {"skipped": str(exc)}
            continue
        recommenders = [*baselines(), Platform(explore=explore, bio_vectors=bios)]
        report["splits"][name] = evaluate_split(split, vectors, recommenders, max_users=max_users)
    return report


COLUMNS = ("recall@10", "ndcg@10", "coverage", "diversity", "novelty", "ms_per_user")


def table(report: dict) -> str:
    lines = [
        f"{report['dataset']}: {report['items']} items, {report['users']} users, {report['interactions']} interactions"
    ]
    for split, rows in report["splits"].items():
        lines.append("")
        if "skipped" in rows:
            lines.append(f"[{split}] skipped: {rows['skipped']}")
            continue
        users = next(iter(rows.values()))["users"]
        lines.append(f"[{split}] {users} test users")
        lines.append(f"{'method':<16}" + "".join(f"{column:>12}" for column in COLUMNS))
        for method, row in rows.items():
            lines.append(f"{method:<16}" + "".join(f"{row[column]:>12}" for column in COLUMNS))
    return "\n".join(lines)


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    split_names = [name for name, rows in report["splits"].items() if "skipped" not in rows]
    figure, axes = plt.subplots(1, len(split_names), figsize=(5 * len(split_names), 4), squeeze=False)
    for axis, name in zip(axes[0], split_names, strict=True):
        rows = report["splits"][name]
        for method, row in rows.items():
            axis.scatter(row["diversity"], row["recall@10"], label=method, s=60)
        axis.set_title(name)
        axis.set_xlabel("intra-list diversity")
        axis.set_ylabel("Recall@10")
    axes[0][0].legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def write_json(report: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str))
