"""Candidate sources held in memory, built from a Dataset (a split's training data, or the site's own).

Same pool sizes and definitions as the database sources (statistics, neighbour lists and people's likes come
from the same functions); nearest neighbours are exact where serving uses HNSW.
"""

import numpy as np

from recommendations import collaborative
from recommendations.dataset import Dataset, rows_by_user
from recommendations.interests import InterestModel, item_weights
from recommendations.sources import Facts, Scope


def people_likes(dataset: Dataset, now: float) -> dict[int, dict[int, float]]:
    """Per user: their positive items as the site stores them with their interests."""
    likes = {}
    for user, rows in rows_by_user(dataset).items():
        positive, _ = item_weights(dataset.events(rows, now=now))
        likes[user] = InterestModel(positive_items=positive).stored().positive_items
    return likes


class MemorySources:
    def __init__(self, train: Dataset, *, now: float | None = None, seed: int = 0):
        if train.vectors is None:
            raise ValueError("the dataset's items need vectors first")
        self.now = train.latest if now is None else now
        self.vectors = train.vectors.astype(np.float32)
        self.domains = train.item_domains
        self.titles_of = train.item_titles
        n_items = train.n_items
        self.available = np.ones(n_items, dtype=bool) if train.inactive is None else ~train.inactive
        weights = train.weights
        self.statistics = collaborative.item_statistics(
            items=train.items, weights=weights, timestamps=train.timestamps, n_items=n_items
        )
        published = train.item_published if train.item_published is not None else np.full(n_items, np.nan)
        # An item without a date counts as available since the log began.
        self.published = np.where(np.isnan(published), train.timestamps.min(initial=self.now), published)
        matrix = collaborative.positive_matrix(
            users=train.users, items=train.items, weights=weights, shape=(train.n_users, n_items)
        )
        self.lists = collaborative.neighbour_lists(matrix, self.domains, seed=seed)
        self.likes = people_likes(train, self.now)
        self.people_ids = np.array([user for user in train.bio_vectors if self.likes.get(user)], dtype=np.int64)
        self.people_vectors = (
            np.stack([train.bio_vectors[user] for user in self.people_ids]).astype(np.float32)
            if len(self.people_ids)
            else np.zeros((0, self.vectors.shape[1]), dtype=np.float32)
        )
        self._centres = None

    # --- scope -------------------------------------------------------------------------------

    def _mask(self, scope: Scope) -> np.ndarray:
        mask = self.available.copy()
        if scope.domain:
            mask &= self.domains == scope.domain
        if scope.exclude_domains:
            mask &= ~np.isin(self.domains, list(scope.exclude_domains))
        if scope.within is not None:
            within = np.zeros(len(mask), dtype=bool)
            within[list(scope.within)] = True
            mask &= within
        return mask

    @staticmethod
    def _best(values: np.ndarray, mask: np.ndarray, k: int, *, positive_only: bool = True) -> np.ndarray:
        """The k best rows, ties broken by id, as the database's ORDER BY value DESC, id does."""
        rows = np.flatnonzero(mask & (values > 0)) if positive_only else np.flatnonzero(mask)
        return rows[np.lexsort((rows, -values[rows]))][:k]

    # --- sources -------------------------------------------------------------------------------

    def nearest(self, vectors, *, k, scope):
        mask = self._mask(scope)
        found = []
        for vector in vectors:
            similarity = self.vectors @ np.asarray(vector, dtype=np.float32)
            found += [int(item) for item in self._best(similarity, mask, k, positive_only=False)]
        return found

    def neighbours(self, anchors, *, limits, scope):
        mask = self._mask(scope)
        rows = np.array(list(anchors), dtype=np.int64)
        result = {}
        for kind, limit in limits.items():
            weighted = collaborative.anchor_weights(anchors, kind)
            # Summed in float64, as the database sums them, so near-ties fall the same way on both paths.
            weights = np.array([weighted.get(item, 0.0) for item in rows], dtype=np.float64)
            matrix = self.lists[kind][rows].astype(np.float64)
            scores = np.asarray(matrix.T @ weights).ravel()
            best = self._best(scores, mask, limit)
            if len(best) == 0:
                result[kind] = ({}, {})
                continue
            contributions = matrix[:, best].multiply(weights[:, None]).toarray()
            strongest = rows[contributions.argmax(axis=0)]
            result[kind] = (
                {int(item): float(scores[item]) for item in best},
                {int(item): int(anchor) for item, anchor in zip(best, strongest, strict=True)},
            )
        return result

    def people(self, vector, *, k, exclude_user, limit, scope):
        if len(self.people_ids) == 0:
            return {}
        similarity = self.people_vectors @ np.asarray(vector, dtype=np.float32)
        if exclude_user is not None:
            similarity[self.people_ids == exclude_user] = -np.inf
        nearest = self._best(similarity, np.isfinite(similarity), k, positive_only=False)
        scores = collaborative.people_scores(
            [(float(similarity[row]), self.likes[int(self.people_ids[row])]) for row in nearest]
        )
        if not scores:
            return {}
        items = np.array(list(scores), dtype=np.int64)
        values = np.zeros(len(self.vectors), dtype=np.float32)
        values[items] = [scores[item] for item in items]
        return {int(item): float(values[item]) for item in self._best(values, self._mask(scope), limit)}

    def popular(self, *, limit_per_domain, scope):
        mask = self._mask(scope)
        return [
            int(item)
            for domain in sorted(set(self.domains[mask].tolist()))
            for item in self._best(self.statistics.popularity, mask & (self.domains == domain), limit_per_domain)
        ]

    def trending(self, *, limit, scope):
        return [int(item) for item in self._best(self.statistics.trending, self._mask(scope), limit)]

    def fresh(self, *, limit, scope):
        return [int(item) for item in self._best(self.published, self._mask(scope), limit, positive_only=False)]

    def facts(self, ids):
        rows = np.array([item for item in ids if 0 <= item < len(self.vectors)], dtype=np.int64)
        return Facts(
            ids=rows,
            vectors=self.vectors[rows],
            domains=self.domains[rows],
            popularity=self.statistics.popularity[rows],
            trending=self.statistics.trending[rows],
            engagement=self.statistics.engagement[rows],
            published=self.published[rows],
            active=self.available[rows],
        )

    def titles(self, ids):
        return {int(item): self.titles_of[item] for item in ids}

    def domain_names(self):
        return {str(domain): str(domain).replace("-", " ").title() for domain in set(self.domains.tolist())}

    def domain_centres(self):
        if self._centres is None:
            self._centres = {
                str(domain): _unit(self.vectors[self.domains == domain].mean(axis=0))
                for domain in set(self.domains.tolist())
            }
        return self._centres


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else vector.astype(np.float32)
