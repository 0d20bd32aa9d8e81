"""Item-to-item co-engagement (item-kNN over the user x item matrix)."""

import numpy as np
from scipy import sparse

# Shrinks similarities resting on few shared users (one person's taste is not a pattern yet).
PLATFORM_SHRINK = 5.0
# Raw co-engagement at which the collaborative signal is half-trusted.
COLLAB_EVIDENCE = 0.5


def item_neighbors(matrix: sparse.csr_matrix, k: int = 30, shrink: float = 0.0) -> list[tuple[int, int, float]]:
    """Top-k cosine neighbours of every item column: (item column, neighbour column, similarity).

    With shrink > 0 the cosine becomes co-count / (|a||b| + shrink), which discounts pairs seen by few users.
    """
    matrix = sparse.csr_matrix(matrix, dtype=np.float32)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=0))).ravel()
    norms[norms == 0] = 1.0
    normalized = matrix @ sparse.diags(1.0 / norms)
    similarity = (normalized.T @ normalized).tocsr()
    if shrink > 0:
        # cos = dot / (|a||b|); shrunk = dot / (|a||b| + shrink) = cos * |a||b| / (|a||b| + shrink)
        product = similarity.tocoo()
        scale = norms[product.row] * norms[product.col]
        similarity = sparse.csr_matrix(
            (product.data * scale / (scale + shrink), (product.row, product.col)), shape=similarity.shape
        )
    similarity.setdiag(0)
    similarity.eliminate_zeros()
    pairs = []
    for column in range(similarity.shape[0]):
        start, end = similarity.indptr[column], similarity.indptr[column + 1]
        if start == end:
            continue
        neighbours = similarity.indices[start:end]
        scores = similarity.data[start:end]
        if len(scores) > k:
            top = np.argpartition(-scores, k)[:k]
            neighbours, scores = neighbours[top], scores[top]
        pairs += [(column, int(n), float(s)) for n, s in zip(neighbours, scores, strict=True)]
    return pairs


def neighbor_matrix(pairs: list[tuple[int, int, float]], size: int) -> sparse.csr_matrix:
    if not pairs:
        return sparse.csr_matrix((size, size), dtype=np.float32)
    rows, cols, values = zip(*pairs, strict=True)
    return sparse.csr_matrix((values, (rows, cols)), shape=(size, size), dtype=np.float32)


def collab_feature(raw: np.ndarray) -> np.ndarray:
    """Scale co-engagement to 0..1 within a request, trusted in proportion to how strong the best of it is."""
    best = float(raw.max(initial=0.0))
    if best <= 0:
        return np.zeros_like(raw, dtype=np.float32)
    return (raw / best * (best / (best + COLLAB_EVIDENCE))).astype(np.float32)
