"""Item-to-item co-engagement (item-kNN over the user x item matrix)."""

import numpy as np
from scipy import sparse


def item_neighbors(matrix: sparse.csr_matrix, k: int = 30) -> list[tuple[int, int, float]]:
    """Top-k cosine neighbours of every item column: (item column, neighbour column, similarity)."""
    matrix = sparse.csr_matrix(matrix, dtype=np.float32)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=0))).ravel()
    norms[norms == 0] = 1.0
    normalized = matrix @ sparse.diags(1.0 / norms)
    similarity = (normalized.T @ normalized).tocsr()
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
