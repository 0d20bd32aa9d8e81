"""What people's behaviour says about items: engagement statistics and item-to-item neighbour lists.

The worker computes these from the site's interactions and stores them; offline evaluation computes them
from a split's training data with the same functions, so both rank with the same numbers.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from recommendations import signals

# Neighbour lists kept per item, by kind.
COSINE = "cosine"  # item-kNN over who engaged with what
CROSS = "cross"  # the same, restricted to other domains: people who liked X in books liked Y in movies
CF = "cf"  # the stronger collaborative model: EASE while the catalog fits in memory, matrix factorisation above
# The same model fitted for a domain the person never used: each domain's items regressed on the other domains' only
# (plain EASE learns its cross-domain weights alongside same-domain ones a newcomer to the domain does not have).
CF_CROSS = "cf_cross"
# Per item; CF_CROSS per item and target domain.
NEIGHBOURS = {COSINE: 30, CROSS: 20, CF: 200, CF_CROSS: 100}
# EASE regresses on who engaged at all, so a person's whole history enters it unweighted; co-engagement follows
# the strongest (most recent) of it.
UNWEIGHTED = (CF, CF_CROSS)
WEIGHTED_ANCHORS = 100
# Factor similarities are smoother than EASE weights: fewer neighbours carry the signal.
MF_NEIGHBOURS = 50
# Shrinks similarities resting on few shared users (one person's taste is not a pattern yet).
SHRINK = 5.0
# EASE needs a dense item x item inverse; above this many engaged items, matrix factorisation takes over.
EASE_MAX_ITEMS = 6000
# EASE's ridge grows with the number of people (co-counts do): 500 on MovieLens 100K, Steck's value there.
EASE_RIDGE_PER_USER = 0.53
MF_FACTORS = 64


@dataclass
class ItemStatistics:
    engagement: np.ndarray  # interactions of any kind
    popularity: np.ndarray  # 0..1: decayed positive engagement, log-scaled
    trending: np.ndarray  # 0..1: positive engagement in the last week, log-scaled


def _log_scale(raw: np.ndarray) -> np.ndarray:
    # Log scale so a blockbuster does not flatten everything else to zero.
    top = float(raw.max(initial=0.0))
    return (np.log1p(raw) / math.log1p(top)).astype(np.float32) if top > 0 else np.zeros_like(raw, dtype=np.float32)


def item_statistics(*, items: np.ndarray, weights: np.ndarray, timestamps: np.ndarray, n_items: int) -> ItemStatistics:
    """Popularity decays from the latest activity (so an old log still has popular items); trending is the last week.

    The database computes the same numbers in SQL (services.statistics.STATS_SQL); a test keeps the two equal.
    """
    latest = float(timestamps.max()) if len(timestamps) else 0.0
    positive = np.clip(weights, 0.0, None)
    age_days = (latest - timestamps) / 86400.0
    decayed = positive * signals.recency(age_days, signals.POPULARITY_HALF_LIFE_DAYS)
    recent = age_days < signals.TRENDING_WINDOW_DAYS
    return ItemStatistics(
        engagement=np.bincount(items, minlength=n_items).astype(np.float32),
        popularity=_log_scale(np.bincount(items, weights=decayed, minlength=n_items)),
        trending=_log_scale(np.bincount(items[recent], weights=positive[recent], minlength=n_items)),
    )


def positive_matrix(*, users: np.ndarray, items: np.ndarray, weights: np.ndarray, shape: tuple) -> sparse.csr_matrix:
    """Users x items net positive engagement (a like and a view of the same item add up; a dislike cancels)."""
    matrix = sparse.csr_matrix((weights.astype(np.float32), (users, items)), shape=shape)
    matrix.sum_duplicates()
    matrix.data = np.clip(matrix.data, 0.0, None)
    matrix.eliminate_zeros()
    return matrix


def top_per_row(matrix: sparse.csr_matrix, k: int, allowed=None) -> sparse.csr_matrix:
    """Keep the k largest positive entries of each row (optionally only where allowed(row, columns) is true)."""
    matrix = matrix.tocsr()
    rows, cols, data = [], [], []
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        columns, values = matrix.indices[start:end], matrix.data[start:end]
        keep = values > 0
        if allowed is not None:
            keep &= allowed(row, columns)
        columns, values = columns[keep], values[keep]
        if len(values) > k:
            top = np.argpartition(-values, k)[:k]
            columns, values = columns[top], values[top]
        rows.append(np.full(len(columns), row))
        cols.append(columns)
        data.append(values)
    if not rows:
        return sparse.csr_matrix(matrix.shape, dtype=np.float32)
    return sparse.csr_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=matrix.shape, dtype=np.float32
    )


def cosine_similarity(matrix: sparse.csr_matrix, shrink: float = SHRINK) -> sparse.csr_matrix:
    """Item x item cosine of engagement columns, shrunk: co-count / (|a||b| + shrink) discounts pairs few people share."""
    matrix = sparse.csr_matrix(matrix, dtype=np.float32)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=0))).ravel()
    safe = np.where(norms > 0, norms, 1.0)
    product = (matrix.T @ matrix).tocoo()
    scale = safe[product.row] * safe[product.col]
    similarity = sparse.csr_matrix(
        (product.data / (scale + shrink), (product.row, product.col)), shape=product.shape, dtype=np.float32
    )
    similarity.setdiag(0)
    similarity.eliminate_zeros()
    return similarity


def ease_ridge(matrix: sparse.csr_matrix) -> float:
    """EASE's ridge grows with the people it is fitted on (0.53 per person: 500 on MovieLens 100k's 943 people, the
    value Steck's paper tunes there), so the same rule holds from a small site to a large one."""
    people = int((np.asarray(matrix.getnnz(axis=1)).ravel() > 0).sum())
    return EASE_RIDGE_PER_USER * max(people, 1)


def ease_weights(matrix: sparse.csr_matrix, columns: np.ndarray) -> np.ndarray:
    """EASE (Steck 2019) item x item weights over the given columns: a closed-form ridge regression."""
    binary = (matrix[:, columns] > 0).astype(np.float32)
    gram = np.asarray((binary.T @ binary).todense(), dtype=np.float64)
    diagonal = np.diag_indices_from(gram)
    gram[diagonal] += ease_ridge(matrix)
    inverse = np.linalg.inv(gram)
    weights = -inverse / np.diag(inverse)
    weights[diagonal] = 0.0
    return weights.astype(np.float32)


def als(matrix: sparse.csr_matrix, *, seed: int = 0, iterations: int = 15, alpha: float = 1.0):
    """implicit's alternating least squares on who engaged with what (MF_FACTORS factors)."""
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    # implicit parallelises itself; a second BLAS thread pool underneath only contends with it.
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=MF_FACTORS, iterations=iterations, regularization=0.05, alpha=alpha, random_state=seed
        )
        model.fit((matrix > 0).astype(np.float32).tocsr(), show_progress=False)
    return model


def factor_similarity(matrix: sparse.csr_matrix, columns: np.ndarray, seed: int = 0) -> np.ndarray:
    """Item factors from ALS over the given columns, unit length (their dot product is a similarity)."""
    factors = np.asarray(als(matrix[:, columns], seed=seed).item_factors, dtype=np.float32)
    return factors / np.maximum(np.linalg.norm(factors, axis=1, keepdims=True), 1e-9)


def _strongest(block: np.ndarray, rows: np.ndarray, columns: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """The k largest weights of each row of a dense block by size, as (rows, columns, weights) in catalog ids (`rows`
    and `columns` name the block's rows and columns)."""
    width = min(k, block.shape[1] - 1)
    top = np.argpartition(-np.abs(block), width, axis=1)[:, :width]
    values = np.take_along_axis(block, top, axis=1)
    keep = values != 0
    return np.repeat(rows, keep.sum(axis=1)), columns[top[keep]], values[keep]


def _as_lists(parts: list[tuple[np.ndarray, ...]], n_items: int) -> sparse.csr_matrix:
    if not parts:
        return sparse.csr_matrix((n_items, n_items), dtype=np.float32)
    rows, columns, values = (np.concatenate(part) for part in zip(*parts, strict=True))
    return sparse.csr_matrix((values, (rows, columns)), shape=(n_items, n_items), dtype=np.float32)


def _factor_neighbours(factors: np.ndarray, columns: np.ndarray, domains: np.ndarray | None) -> list[tuple]:
    """Each engaged item's MF_NEIGHBOURS most similar items by their factors, 2048 rows at a time; with `domains`,
    only items of other domains."""
    parts = []
    for start in range(0, len(columns), 2048):
        block = factors[start : start + 2048] @ factors.T
        if domains is None:
            block[np.arange(len(block)), np.arange(start, start + len(block))] = 0.0
        else:
            block[domains[start : start + 2048, None] == domains[None, :]] = 0.0
        parts.append(_strongest(block, columns[start : start + 2048], columns, MF_NEIGHBOURS))
    return parts


def _cf_neighbours(matrix: sparse.csr_matrix, columns: np.ndarray, k: int, factors: np.ndarray | None) -> list[tuple]:
    """The k strongest weights of each item's row, by size: EASE's negative weights matter as much as its positive
    ones (a sum over a person's history without them overrates what is merely popular)."""
    if len(columns) < 2:
        return []
    if factors is not None:
        return _factor_neighbours(factors, columns, None)
    dense = ease_weights(matrix, columns)
    return [
        _strongest(dense[start : start + 2048], columns[start : start + 2048], columns, k)
        for start in range(0, len(columns), 2048)
    ]


def ease_across_domains(matrix: sparse.csr_matrix, columns: np.ndarray, domains: np.ndarray) -> list[tuple]:
    """EASE for each domain's items from the other domains' only, as (inputs, targets, weights) blocks in positions of
    `columns`: an item never weighs on its own domain. One ridge regression per domain, with EASE's ridge; on a large
    catalog, inputs and targets are each domain's most engaged EASE_MAX_ITEMS items, so the cost is bounded per
    domain whatever the catalog's size."""
    binary = (matrix[:, columns] > 0).astype(np.float32).tocsc()
    engagement = np.asarray(binary.sum(axis=0)).ravel()
    ridge = ease_ridge(matrix)
    blocks = []
    for domain in np.unique(domains):
        target = _most_engaged(np.flatnonzero(domains == domain), engagement)
        source = _most_engaged(np.flatnonzero(domains != domain), engagement)
        if len(source) == 0 or len(target) == 0:
            continue
        inputs = binary[:, source]
        gram = np.asarray((inputs.T @ inputs).todense(), dtype=np.float64)
        gram[np.diag_indices_from(gram)] += ridge
        towards = np.asarray((inputs.T @ binary[:, target]).todense(), dtype=np.float64)
        blocks.append((source, target, np.linalg.solve(gram, towards).astype(np.float32)))
    return blocks


def _most_engaged(positions: np.ndarray, engagement: np.ndarray) -> np.ndarray:
    if len(positions) <= EASE_MAX_ITEMS:
        return positions
    return np.sort(positions[np.argsort(-engagement[positions], kind="stable")[:EASE_MAX_ITEMS]])


def _cf_cross_neighbours(matrix: sparse.csr_matrix, columns: np.ndarray, domains: np.ndarray, k: int) -> list[tuple]:
    """The strongest weights of each item on other domains' items (`domains` of the engaged `columns`), k per target
    domain: a domain tab ranks one domain, and an overall cut would leave a small domain a few of each item's
    weights."""
    if len(columns) < 2 or len(set(domains.tolist())) < 2:
        return []
    return [
        _strongest(weights, columns[source], columns[target], k)
        for source, target, weights in ease_across_domains(matrix, columns, domains)
    ]


def neighbour_lists(matrix: sparse.csr_matrix, domains: np.ndarray, *, seed: int = 0) -> dict[str, sparse.csr_matrix]:
    """Per kind, an item x item matrix whose row i holds i's neighbours and their scores (top-k per row)."""
    similarity = cosine_similarity(matrix)
    n_items = matrix.shape[1]
    engaged = np.flatnonzero(np.asarray(matrix.getnnz(axis=0)).ravel() > 0)
    # Above EASE's size, the collaborative model comes from a factor model; across domains, EASE stays (on each
    # domain's most engaged items), since a factor model's neighbours rank below popularity for a domain's newcomers.
    factors = factor_similarity(matrix, engaged, seed) if len(engaged) > EASE_MAX_ITEMS else None
    return {
        COSINE: top_per_row(similarity, NEIGHBOURS[COSINE]),
        CROSS: top_per_row(
            similarity, NEIGHBOURS[CROSS], allowed=lambda row, columns: domains[columns] != domains[row]
        ),
        CF: _as_lists(_cf_neighbours(matrix, engaged, NEIGHBOURS[CF], factors), n_items),
        CF_CROSS: _as_lists(_cf_cross_neighbours(matrix, engaged, domains[engaged], NEIGHBOURS[CF_CROSS]), n_items),
    }


def anchor_weights(anchors: dict[int, float], kind: str) -> dict[int, float]:
    """How much each of a person's items counts when summing one kind of neighbour list."""
    if kind in UNWEIGHTED:
        return dict.fromkeys(anchors, 1.0)
    strongest = sorted(anchors, key=lambda item: (-anchors[item], item))[:WEIGHTED_ANCHORS]
    return {item: anchors[item] for item in strongest}


def evidence_scaled(raw: np.ndarray, half_trust: float) -> np.ndarray:
    """Scale to 0..1 within a request, trusted in proportion to how strong the best of it is."""
    best = float(raw.max(initial=0.0))
    if best <= 0:
        return np.zeros_like(raw, dtype=np.float32)
    return (np.clip(raw, 0.0, None) / best * (best / (best + half_trust))).astype(np.float32)


# "People who describe themselves like you": how sharply closeness in words decides whose likes count.
PEOPLE_SHARPNESS = 3.0


def people_scores(people: list[tuple[float, dict[int, float]]]) -> dict[int, float]:
    """people: (cosine of their words to yours, {item: their positive weight}) per person.

    Each person's likes are scaled to their own strongest, then weighted by how close their words are.
    """
    scores: dict[int, float] = {}
    for similarity, liked in people:
        if similarity <= 0 or not liked:
            continue
        closeness = similarity**PEOPLE_SHARPNESS
        strongest = max(liked.values())
        for item, weight in liked.items():
            scores[item] = scores.get(item, 0.0) + closeness * weight / strongest
    return scores
