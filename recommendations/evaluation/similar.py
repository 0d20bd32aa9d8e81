"""More like this, offline: from the item page a person stands on (their latest positive before the cut), which
recommender finds what they went on to like (splits.co_engaged)? The platform, through its own pipeline with the
similar-items weights fitted on the training data, against item-to-item co-engagement and meaning alone."""

import numpy as np

from recommendations import collaborative, fitting, pipeline, splits
from recommendations.evaluation.recommenders import Recommender
from recommendations.ranking import Ranker
from recommendations.situations import SIMILAR_ITEMS
from recommendations.sources.memory import MemorySources

SPLIT = SIMILAR_ITEMS


class _FromPage(Recommender):
    """Ranks from the item whose page the test user is on."""

    def fit(self, split, *, seed):
        super().fit(split, seed=seed)
        self.queries = split.queries
        return self

    def scores(self, user):
        return self.scores_of(self.queries[user])

    def scores_of(self, item: int) -> np.ndarray:
        raise NotImplementedError


class ItemToItem(_FromPage):
    """Item-kNN: the items most co-engaged with the page's item (cosine over who engaged with what)."""

    name = "item-knn"

    def fit(self, split, *, seed):
        super().fit(split, seed=seed)
        self.similarity = collaborative.cosine_similarity(self.matrix, shrink=0.0).tocsr()
        return self

    def scores_of(self, item):
        return np.asarray(self.similarity[item].todense()).ravel()


class MeaningOnly(_FromPage):
    """The embedding model alone: the items closest in meaning to the page's item."""

    name = "meaning only"

    def fit(self, split, *, seed):
        super().fit(split, seed=seed)
        self.vectors = split.train.vectors
        return self

    def scores_of(self, item):
        return self.vectors @ self.vectors[item]


class SimilarPlatform(Recommender):
    """The item page as the site serves it (pipeline.similar), with the similar-items weights fitted on the training
    data as a refit would (or the priors, with fitted=False)."""

    def __init__(self, *, fitted: bool = True):
        self.fitted = fitted
        self.name = "platform" if fitted else "platform priors"
        self.fit_report: dict = {}

    def fit(self, split, *, seed):
        super().fit(split, seed=seed)
        self.split = split
        self.sources = MemorySources(split.train, seed=seed)
        self.ranker = Ranker()
        if self.fitted:
            try:
                task = fitting.task_from_split(splits.co_engaged(split.train, seed=seed), seed=seed)
            except splits.SplitSkipped:
                task = None
            result = fitting.fit([task] if task is not None else [], Ranker(), seed=seed)
            self.ranker, self.fit_report = result.ranker, {SIMILAR_ITEMS: result.report[SIMILAR_ITEMS]}
        return self

    def recommend(self, user, allowed, k=10):
        ranked = pipeline.similar(
            self.split.queries[user],
            excluded=frozenset(np.flatnonzero(~allowed).tolist()),
            sources=self.sources,
            ranker=self.ranker,
            now=self.sources.now,
            limit=k,
        )
        return [entry.item_id for entry in ranked][:k]


def recommenders() -> list[Recommender]:
    return [ItemToItem(), MeaningOnly(), SimilarPlatform(fitted=False), SimilarPlatform()]
