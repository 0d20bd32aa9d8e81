import numpy as np

from recommendations.ranking import intra_list_diversity


def recall_at_k(recommended: list[int], relevant: set[int], k: int = 10) -> float:
    """Hits over what could be found in k slots (min(|relevant|, k)), so a perfect list scores 1."""
    return len(set(recommended[:k]) & relevant) / min(len(relevant), k) if relevant else 0.0


def ndcg_of_gains(gains: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """NDCG per row from the gain at each rank (rows x k) and how many items each row wanted: the ideal list puts
    min(wanted, k) plain hits first, so a gain above 1 (a hit worth more) can lift a row above 1."""
    k = gains.shape[1]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    wanted = np.minimum(np.asarray(wanted), k).astype(int)
    ideal = np.concatenate([[0.0], np.cumsum(discounts)])[wanted]
    return np.divide(gains @ discounts, ideal, out=np.zeros(len(gains)), where=ideal > 0)


def ndcg_at_k(recommended: list[int], relevant: set[int], k: int = 10) -> float:
    gains = np.zeros((1, k))
    hits = [rank for rank, item in enumerate(recommended[:k]) if item in relevant]
    gains[0, hits] = 1.0
    return float(ndcg_of_gains(gains, [len(relevant)])[0])


def novelty(recommended: list[int], item_popularity: np.ndarray, n_users: int) -> float:
    """Mean self-information of the recommended items: higher means less obvious picks."""
    if not recommended:
        return 0.0
    share = (item_popularity[recommended] + 1.0) / (n_users + 1.0)
    return float(np.mean(-np.log2(share)))


def summarize(
    lists: dict[int, list[int]],
    test: dict[int, set[int]],
    vectors: np.ndarray,
    item_popularity: np.ndarray,
    n_users: int,
    universe: int,
    k: int = 10,
) -> dict:
    users = [user for user in test if user in lists]
    recommended = {item for user in users for item in lists[user][:k]}
    return {
        "users": len(users),
        "recall@10": round(float(np.mean([recall_at_k(lists[u], test[u], k) for u in users])), 4),
        "ndcg@10": round(float(np.mean([ndcg_at_k(lists[u], test[u], k) for u in users])), 4),
        "coverage": round(len(recommended) / max(universe, 1), 4),
        "diversity": round(float(np.mean([intra_list_diversity(vectors[lists[u][:k]]) for u in users])), 4),
        "novelty": round(float(np.mean([novelty(lists[u][:k], item_popularity, n_users) for u in users])), 4),
    }


def per_user(lists: dict[int, list[int]], test: dict[int, set[int]], k: int = 10) -> dict[int, tuple[float, float]]:
    """(Recall@k, NDCG@k) per test user: what paired comparisons between methods are made of."""
    return {
        user: (recall_at_k(lists[user], test[user], k), ndcg_at_k(lists[user], test[user], k))
        for user in test
        if user in lists
    }


def paired_interval(
    ours: np.ndarray, theirs: np.ndarray, *, seed: int = 0, rounds: int = 2000
) -> tuple[float, float, float]:
    """Mean per-user difference and its 95% percentile-bootstrap interval (the same users under both methods)."""
    difference = np.asarray(ours, dtype=np.float64) - np.asarray(theirs, dtype=np.float64)
    if len(difference) == 0:
        return 0.0, 0.0, 0.0
    rng = np.random.default_rng(seed)
    means = difference[rng.integers(0, len(difference), size=(rounds, len(difference)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(difference.mean()), float(low), float(high)
