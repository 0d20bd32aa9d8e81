"""Fit the blend weights on held-out behaviour: choose the weights whose ranking finds most of what people did next."""

import numpy as np

from recommendations.ranking import DEFAULT_WEIGHTS, FEATURES, STATED_FEATURES

# Signals that can only push an item down.
NON_POSITIVE = {"negative"}


def ndcg_at_k(scores: np.ndarray, relevant: np.ndarray, k: int = 10) -> float:
    """scores: (n_users, n_items) with -inf for items that may not be recommended; relevant: boolean, same shape."""
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    top_scores = np.take_along_axis(scores, top, axis=1)
    top = np.take_along_axis(top, np.argsort(-top_scores, axis=1), axis=1)
    gains = np.take_along_axis(relevant, top, axis=1).astype(np.float32)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = gains @ discounts
    ideal = np.array([discounts[: min(int(count), k)].sum() for count in relevant.sum(axis=1)])
    return float(np.mean(dcg / np.maximum(ideal, 1e-9)))


def fit_weights(
    tasks: list[tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]],
    *,
    trials: int = 300,
    seed: int = 0,
    k: int = 10,
) -> tuple[dict[str, float], dict]:
    """Random search over non-negative weights (negative for push-away signals), scored by mean NDCG@k over tasks.

    Each task is (features: name -> (n_users, n_items), relevant, allowed: boolean (n_users, n_items)),
    e.g. finding what people did next, and finding it among brand-new items. The default weights and
    each single signal alone are always among the trials, so the fit is never worse on this data than any of them.
    """
    names = [name for name in FEATURES if any(name in features and np.any(features[name]) for features, _, _ in tasks)]
    stacks = [
        (
            np.stack([features.get(name, np.zeros_like(relevant, dtype=np.float32)) for name in names], axis=-1).astype(
                np.float32
            ),
            relevant,
            allowed,
        )
        for features, relevant, allowed in tasks
    ]
    rng = np.random.default_rng(seed)
    candidates = [np.array([DEFAULT_WEIGHTS.get(name, 0.0) for name in names])]
    candidates += [np.eye(len(names))[index] for index, name in enumerate(names) if name not in NON_POSITIVE]
    for _ in range(trials):
        weights = rng.dirichlet(np.ones(len(names))) * rng.uniform(0.5, 3.0)
        # Sparse trials: many good blends lean on two or three signals only.
        weights[rng.random(len(names)) < 0.3] = 0.0
        candidates.append(weights)
    best, best_score, history = None, -1.0, []
    for weights in candidates:
        signed = np.array([-abs(w) if name in NON_POSITIVE else abs(w) for name, w in zip(names, weights, strict=True)])
        score = float(
            np.mean(
                [
                    ndcg_at_k(np.where(allowed, stacked @ signed, -np.inf), relevant, k)
                    for stacked, relevant, allowed in stacks
                ]
            )
        )
        history.append(score)
        if score > best_score:
            best, best_score = signed, score
    # Only ratios matter for ranking; scale so the strongest signal weighs 1 (the query weight is relative to that).
    best = best / max(np.abs(best).max(), 1e-9)
    fitted = {name: round(float(value), 4) for name, value in zip(names, best, strict=True)}
    fitted = {name: fitted.get(name, 0.0) for name in FEATURES}
    for name in STATED_FEATURES:
        if name not in names:
            # Logs carry no free-text requests or stated preferences; keep those weights as designed.
            fitted[name] = DEFAULT_WEIGHTS[name]
    return fitted, {"ndcg@10": round(best_score, 4), "default_ndcg@10": round(history[0], 4), "trials": len(candidates)}
