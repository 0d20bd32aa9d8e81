"""Baselines and the platform's own ranker, all behind one small interface."""

import numpy as np
from scipy import sparse

from recommendations import ranking
from recommendations.collaborative import PLATFORM_SHRINK, collab_feature, item_neighbors, neighbor_matrix
from recommendations.evaluation.splits import Split
from recommendations.fitting import fit_weights
from recommendations.interests import Event, build_interest_model


def interaction_matrix(split: Split, *, positive_only: bool = True) -> sparse.csr_matrix:
    train = split.train
    mask = train.weights > 0 if positive_only else np.ones(len(train.users), dtype=bool)
    values = np.ones(mask.sum(), dtype=np.float32)
    matrix = sparse.csr_matrix((values, (train.users[mask], train.items[mask])), shape=(train.n_users, train.n_items))
    matrix.data[:] = 1.0  # repeated interactions count once
    return matrix


class Recommender:
    name = "base"

    def fit(self, split: Split, vectors: np.ndarray) -> "Recommender":
        self.matrix = interaction_matrix(split)
        self.popularity = np.asarray(self.matrix.sum(axis=0)).ravel()
        return self

    def scores(self, user: int) -> np.ndarray:
        raise NotImplementedError

    def recommend(self, user: int, allowed: np.ndarray, k: int = 10) -> list[int]:
        scores = np.where(allowed, self.scores(user).astype(np.float64), -np.inf)
        top = np.argpartition(-scores, k)[:k]
        top = top[np.argsort(-scores[top])]
        return [int(item) for item in top if np.isfinite(scores[item])]


class Popularity(Recommender):
    name = "popularity"

    def scores(self, user):
        return self.popularity


class ItemKNN(Recommender):
    name = "item-knn"

    def __init__(self, neighbours: int = 100):
        self.neighbours = neighbours

    def fit(self, split, vectors):
        super().fit(split, vectors)
        self.similarity = neighbor_matrix(item_neighbors(self.matrix, self.neighbours), self.matrix.shape[1]).T.tocsr()
        return self

    def scores(self, user):
        return np.asarray((self.matrix[user] @ self.similarity).todense()).ravel()


class ALS(Recommender):
    """implicit's alternating least squares, a widely used peer implementation."""

    name = "als (implicit)"

    def __init__(self, factors: int = 64, iterations: int = 20, regularization: float = 0.05, alpha: float = 20.0):
        self.options = {"factors": factors, "iterations": iterations, "regularization": regularization, "alpha": alpha}

    def fit(self, split, vectors):
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        super().fit(split, vectors)
        # implicit parallelises itself; a second BLAS thread pool underneath only contends with it.
        with threadpool_limits(1, "blas"):
            self.model = AlternatingLeastSquares(random_state=0, **self.options)
            self.model.fit(self.matrix, show_progress=False)
        return self

    def scores(self, user):
        return self.model.item_factors @ self.model.user_factors[user]


class SemanticOnly(Recommender):
    name = "semantic only"

    def fit(self, split, vectors):
        super().fit(split, vectors)
        self.vectors = vectors
        return self

    def scores(self, user):
        items = self.matrix[user].indices
        if len(items) == 0:
            return np.zeros(self.vectors.shape[0])
        centre = self.vectors[items].mean(axis=0)
        return self.vectors @ (centre / (np.linalg.norm(centre) or 1.0))


class Platform(Recommender):
    """The serving ranker: interest model, blended signals with fitted weights, MMR diversity."""

    name = "platform"

    def __init__(
        self,
        explore: float = 0.2,
        neighbours: int = 30,
        fit_users: int = 400,
        weights: dict | None = None,
        bio_vectors: dict | None = None,
    ):
        self.explore = explore
        self.neighbours = neighbours
        self.fit_users = fit_users
        self.weights = weights
        self.bio_vectors = bio_vectors or {}
        self.fit_report: dict = {}

    def fit(self, split, vectors):
        super().fit(split, vectors)
        self.vectors = vectors
        self.split = split
        self.domains = split.train.item_domains
        self.single_domain = len(set(self.domains.tolist())) == 1
        self.neighbour_matrix = neighbor_matrix(
            item_neighbors(self.matrix, self.neighbours, shrink=PLATFORM_SHRINK), self.matrix.shape[1]
        ).T.tocsr()
        pop = np.log1p(self.popularity)
        self.popularity_feature = (pop / pop.max()).astype(np.float32) if pop.max() > 0 else pop.astype(np.float32)
        self._events = self._events_by_user(split.train)
        if self.weights is None:
            self.weights, self.fit_report = self._fit_on_held_out(split)
        return self

    @staticmethod
    def _events_by_user(train) -> dict[int, list[Event]]:
        events: dict[int, list[Event]] = {}
        last: dict[int, float] = {}
        for user, stamp in zip(train.users, train.timestamps, strict=True):
            last[int(user)] = max(last.get(int(user), 0.0), float(stamp))
        for user, item, weight, stamp in zip(train.users, train.items, train.weights, train.timestamps, strict=True):
            kind = "like" if weight > 0 else "dislike"
            age = (last[int(user)] - stamp) / 86400.0
            events.setdefault(int(user), []).append(Event(int(item), kind, None, age))
        return events

    def _model(self, user: int, events: list[Event]):
        vectors = {event.item_id: self.vectors[event.item_id] for event in events}
        bio = [(f"bio of {user}", self.bio_vectors[user])] if user in self.bio_vectors else []
        return build_interest_model(bio_phrases=bio, events=events, vectors=vectors, titles={})

    def _features(self, user: int, events: list[Event], matrix_row) -> dict[str, np.ndarray]:
        model = self._model(user, events)
        collab = collab_feature(np.asarray((matrix_row @ self.neighbour_matrix).todense()).ravel())
        candidates = ranking.Candidates(
            item_ids=np.arange(len(self.vectors)),
            vectors=self.vectors,
            domains=self.domains,
            collab=collab,
            popularity=self.popularity_feature,
            freshness=np.zeros(len(self.vectors), dtype=np.float32),
            trending=np.zeros(len(self.vectors), dtype=np.float32),
        )
        return candidates, ranking.features(candidates, model)

    def _fit_on_held_out(self, split) -> tuple[dict, dict]:
        """Fit weights inside the training data, never on the test interactions, on two tasks at once:
        finding what people did next, and finding it among items nobody has touched yet."""
        from recommendations.evaluation.splits import cold_items, temporal

        saved = self.neighbour_matrix
        tasks, users_seen = [], 0
        for inner in (temporal(split.train), cold_items(split.train, share=0.1, seed=1)):
            task = self._validation_task(inner)
            if task is not None:
                tasks.append(task)
                users_seen += len(task[1])
        self.neighbour_matrix = saved
        if not tasks:
            return dict(ranking.DEFAULT_WEIGHTS), {"users": 0}
        weights, report = fit_weights(tasks)
        return weights, {"users": users_seen, "tasks": len(tasks), **report}

    def _validation_task(self, inner):
        inner_matrix = interaction_matrix(inner)
        self.neighbour_matrix = neighbor_matrix(
            item_neighbors(inner_matrix, self.neighbours, shrink=PLATFORM_SHRINK), inner_matrix.shape[1]
        ).T.tocsr()
        inner_events = self._events_by_user(inner.train)
        users = sorted(inner.test)[: self.fit_users]
        if not users:
            return None
        stacks: dict[str, list] = {name: [] for name in ranking.FEATURES}
        relevant, allowed = [], []
        for user in users:
            _, values = self._features(user, inner_events.get(user, []), inner_matrix[user])
            for name in ranking.FEATURES:
                stacks[name].append(values[name])
            row = np.zeros(len(self.vectors), dtype=bool)
            row[list(inner.test[user])] = True
            relevant.append(row)
            permitted = np.ones(len(self.vectors), dtype=bool)
            if inner.candidate_items is not None:
                permitted[:] = False
                permitted[inner.candidate_items] = True
            permitted[inner_matrix[user].indices] = False
            allowed.append(permitted)
        return {name: np.stack(values) for name, values in stacks.items()}, np.stack(relevant), np.stack(allowed)

    def recommend(self, user, allowed, k=10):
        candidates, values = self._features(user, self._events.get(user, []), self.matrix[user])
        scores = ranking.blend(values, self.weights)
        rows = np.flatnonzero(allowed)
        if len(rows) == 0:
            return []
        # Pre-select by relevance: MMR only reorders the head of the list.
        head = rows[np.argsort(-scores[rows])[: max(100, k * 5)]]
        subset = ranking.Candidates(
            item_ids=head,
            vectors=candidates.vectors[head],
            domains=candidates.domains[head],
            collab=candidates.collab[head],
            popularity=candidates.popularity[head],
            freshness=candidates.freshness[head],
            trending=candidates.trending[head],
        )
        order = ranking.diversify(
            subset,
            scores[head],
            explore=self.explore,
            limit=k,
            page_size=k,
            domain_cap=None if self.single_domain else 0.4,
        )
        return [int(head[position]) for position in order]


def baselines() -> list[Recommender]:
    return [Popularity(), ItemKNN(), ALS(), SemanticOnly()]
