"""Where the ranking pipeline gets its candidates and item facts.

Serving passes `DatabaseSources` (pgvector HNSW, the stored neighbour lists and statistics); fitting and
offline evaluation pass `MemorySources`, built by the same functions from a split's training data, with
exact nearest neighbours. The pipeline cannot tell them apart.
"""

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass
class Facts:
    """What ranking needs to know about some items, as parallel arrays (one row per item found)."""

    ids: np.ndarray  # int64
    vectors: np.ndarray  # float32 unit rows
    domains: np.ndarray  # domain slug
    popularity: np.ndarray  # 0..1
    trending: np.ndarray  # 0..1
    engagement: np.ndarray  # interactions of any kind (0: a new item)
    published: np.ndarray  # unix seconds the item became available
    active: np.ndarray  # bool: may be recommended

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def empty(cls, dimensions: int = 0) -> "Facts":
        return cls(
            ids=np.zeros(0, dtype=np.int64),
            vectors=np.zeros((0, dimensions), dtype=np.float32),
            domains=np.zeros(0, dtype=object),
            popularity=np.zeros(0, dtype=np.float32),
            trending=np.zeros(0, dtype=np.float32),
            engagement=np.zeros(0, dtype=np.float32),
            published=np.zeros(0, dtype=np.float64),
            active=np.zeros(0, dtype=bool),
        )

    def take(self, rows: np.ndarray) -> "Facts":
        return Facts(**{name: getattr(self, name)[rows] for name in self.__dataclass_fields__})


@dataclass(frozen=True)
class Scope:
    """Which items a request may return: one domain, some domains left out, or an explicit set."""

    domain: str | None = None
    exclude_domains: tuple[str, ...] = ()
    within: frozenset[int] | None = None


# Per neighbour-list kind: summed scores of the best items, and the anchor that contributed most to each.
NeighbourLists = dict[str, tuple[dict[int, float], dict[int, int]]]


class Sources(Protocol):
    def nearest(self, vectors: list[np.ndarray], *, k: int, scope: Scope) -> list[int]:
        """The k items closest by cosine to each vector, concatenated in order."""

    def neighbours(self, anchors: dict[int, float], *, limits: dict[str, int], scope: Scope) -> NeighbourLists:
        """Per neighbour-list kind: summed anchor weight x neighbour score of the best `limit` items, and the
        anchor that contributed most to each."""

    def people(
        self, vector: np.ndarray, *, k: int, exclude_user: int | None, limit: int, scope: Scope
    ) -> dict[int, float]:
        """Items liked by the k people whose words are nearest to `vector`, scored by closeness."""

    def popular(self, *, limit_per_domain: int, scope: Scope) -> list[int]: ...

    def trending(self, *, limit: int, scope: Scope) -> list[int]: ...

    def fresh(self, *, limit: int, scope: Scope) -> list[int]: ...

    def facts(self, ids: list[int]) -> Facts:
        """Facts of the given items that exist and are embedded (inactive ones too, flagged)."""

    def titles(self, ids: list[int]) -> dict[int, str]: ...

    def domain_names(self) -> dict[str, str]: ...

    def domain_centres(self) -> dict[str, np.ndarray]:
        """Mean unit vector of each domain's items, to compare items across domains without the domain's style."""
