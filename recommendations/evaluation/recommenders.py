"""Standard recommenders to compare against, and the platform itself served through its own pipeline."""

import numpy as np
from scipy import sparse

from recommendations import collaborative, fitting, pipeline
from recommendations.dataset import rows_by_user
from recommendations.offline import person_from
from recommendations.ranking import Ranker
from recommendations.sources.memory import MemorySources
from recommendations.splits import Split


class Recommender:
    name = "base"

    def fit(self, split: Split, *, seed: int) -> "Recommender":
        train = split.train
        self.matrix = collaborative.positive_matrix(
            users=train.users, items=train.items, weights=train.weights, shape=(train.n_users, train.n_items)
        )
        self.matrix.data[:] = 1.0  # engaged or not: the usual implicit-feedback protocol for the peers
        self.popularity = np.asarray(self.matrix.sum(axis=0)).ravel()
        return self

    def scores(self, user: int) -> np.ndarray:
        raise NotImplementedError

    def recommend(self, user: int, allowed: np.ndarray, k: int = 10) -> list[int]:
        scores = np.where(allowed, self.scores(user).astype(np.float64), -np.inf)
        if not np.isfinite(scores).any():
            return []
        top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [int(item) for item in top if np.isfinite(scores[item])]


class Popularity(Recommender):
    name = "popularity"

    def scores(self, user):
        return self.popularity


class ItemKNN(Recommender):
    name = "item-knn"

    def __init__(self, neighbours: int = 100):
        self.neighbours = neighbours

    def fit(self, split, *, seed):
        super().fit(split, seed=seed)
        similarity = collaborative.cosine_similarity(self.matrix, shrink=0.0)
        top = collaborative.top_per_row(similarity, self.neighbours)
        self.similarity = top.T.tocsr()
        return self

    def scores(self, user):
        return np.asarray((self.matrix[user] @ self.similarity).todense()).ravel()


class EASE(Recommender):
    """Steck 2019: closed-form ridge regression of each item on all others, the strongest simple peer; the same
    model and ridge rule as serving's (collaborative.ease_weights), over every item."""

    name = "ease"

    def fit(self, split, *, seed):
        super().fit(split, seed=seed)
        self.weights = collaborative.ease_weights(self.matrix, np.arange(self.matrix.shape[1]))
        return self

    def scores(self, user):
        return np.asarray(self.matrix[user] @ self.weights).ravel()


class ALS(Recommender):
    """implicit's alternating least squares (collaborative.als), confidence 1 + 20 x engagement as usual."""

    name = "als"

    def fit(self, split, *, seed):
        super().fit(split, seed=seed)
        self.model = collaborative.als(self.matrix, seed=seed, iterations=20, alpha=20.0)
        return self

    def scores(self, user):
        return self.model.item_factors @ self.model.user_factors[user]


class RP3Beta(Recommender):
    """Paudel et al. 2017: a three-step random walk (item -> person -> item) whose arrival at an item is divided by
    its popularity to the power beta, the strongest graph-based peer (often level with EASE on MovieLens)."""

    name = "rp3beta"

    def __init__(self, alpha: float = 1.0, beta: float = 0.5, neighbours: int = 200):
        self.alpha, self.beta, self.neighbours = alpha, beta, neighbours

    def fit(self, split, *, seed):
        super().fit(split, seed=seed)
        to_items = _row_normalised(self.matrix).power(self.alpha)
        to_people = _row_normalised(self.matrix.T.tocsr()).power(self.alpha)
        damping = np.power(np.maximum(self.popularity, 1.0), -self.beta)
        blocks = []
        for start in range(0, self.matrix.shape[1], 2048):
            block = (to_people[start : start + 2048] @ to_items).toarray() * damping[None, :]
            block[np.arange(len(block)), np.arange(start, start + len(block))] = 0.0
            blocks.append(collaborative.top_per_row(sparse.csr_matrix(block), self.neighbours))
        self.similarity = sparse.vstack(blocks).tocsr()
        return self

    def scores(self, user):
        return np.asarray((self.matrix[user] @ self.similarity).todense()).ravel()


def _row_normalised(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    totals = np.asarray(matrix.sum(axis=1)).ravel()
    return sparse.diags(1.0 / np.maximum(totals, 1e-12)) @ matrix


class BM25(Recommender):
    """Words matched to item text by BM25 (each item's title, description and tags a document): the classic words
    peer for people who only wrote about themselves. Without words, it has nothing to say."""

    name = "bm25"

    def fit(self, split, *, seed):
        import bm25s

        super().fit(split, seed=seed)
        self.bios = split.train.bios
        self.n_items = split.train.n_items
        self.index = bm25s.BM25()
        self.index.index(
            bm25s.tokenize(split.train.item_texts, stopwords="en", show_progress=False), show_progress=False
        )
        return self

    def scores(self, user):
        import bm25s

        words = self.bios.get(user, "")
        tokens = bm25s.tokenize([words], stopwords="en", return_ids=False, show_progress=False)[0] if words else []
        if not tokens:
            return np.zeros(self.n_items)
        return np.asarray(self.index.get_scores(tokens), dtype=np.float64)


class SemanticOnly(Recommender):
    """The embedding model alone: the mean of what the person liked, or their words when they have no history."""

    name = "semantic only"

    def fit(self, split, *, seed):
        super().fit(split, seed=seed)
        self.vectors = split.train.vectors
        self.bio_vectors = split.train.bio_vectors
        return self

    def scores(self, user):
        items = self.matrix[user].indices if user < self.matrix.shape[0] else []
        if len(items):
            centre = self.vectors[items].mean(axis=0)
        elif user in self.bio_vectors:
            centre = self.bio_vectors[user]
        else:
            return np.zeros(self.vectors.shape[0])
        return self.vectors @ (centre / (np.linalg.norm(centre) or 1.0))


class Platform(Recommender):
    """What the site would serve: per-situation weights fitted on the training data, then the ranking pipeline
    (candidate pools, features, MMR diversity, exploration slots) with in-memory sources."""

    name = "platform"

    def __init__(self, explore: float = pipeline.DEFAULT_EXPLORE):
        self.explore = explore
        self.fit_report: dict = {}

    def fit(self, split, *, seed):
        super().fit(split, seed=seed)
        self.split = split
        self.sources = MemorySources(split.train, seed=seed)
        result = fitting.fit_on(split.train, Ranker(), seed=seed)
        self.ranker, self.fit_report = result.ranker, result.report
        self.index = rows_by_user(split.train)
        return self

    def recommend(self, user, allowed, k=10):
        person = person_from(self.split.train, user, now=self.sources.now, index=self.index)
        # The first k entries of a deeper feed are the same: diversity and exploration fill each page greedily.
        request = pipeline.Request(now=self.sources.now, explore=self.explore, scope=self.split.scope(user), depth=k)
        ranked = pipeline.feed(person, request, self.sources, self.ranker)
        return [entry.item_id for entry in ranked if allowed[entry.item_id]][:k]


def baselines() -> list[Recommender]:
    return [Popularity(), ItemKNN(), EASE(), RP3Beta(), ALS(), BM25(), SemanticOnly()]
