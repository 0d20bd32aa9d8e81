"""A dataset's people as the pipeline sees the site's people.

Fitting and evaluation rank a dataset's users over its item positions with `MemorySources`. A dataset of the site's
own tables (`services.training.platform_dataset`) can also be ranked by item id, as serving ranks: `site_person` and
`ItemIdSources` translate at the edge, so a feed ranked offline compares item for item with the served one.
"""

from dataclasses import replace

import numpy as np

from recommendations.dataset import Dataset
from recommendations.interests import build_interest_model
from recommendations.pipeline import Person
from recommendations.sources import Scope
from recommendations.sources.memory import MemorySources


def person_from(dataset: Dataset, user: int, *, now: float, index: dict[int, np.ndarray] | None = None) -> Person:
    """A dataset user (a position) as the pipeline sees a site user: interests from their training history and bio,
    over item positions. `index` (dataset.rows_by_user) saves a scan of the log per person."""
    rows = index.get(user, np.zeros(0, dtype=np.int64)) if index is not None else np.flatnonzero(dataset.users == user)
    events = dataset.events(rows, now=now)
    touched = {event.item_id for event in events}
    model = build_interest_model(
        bio_phrases=dataset.bio_phrases.get(user, []),
        events=events,
        vectors={item: dataset.vectors[item] for item in touched},
        titles={item: dataset.item_titles[item] for item in touched},
    ).stored()
    return Person(model=model, user=user, bio_vector=dataset.bio_vectors.get(user), excluded=frozenset(touched))


def site_person(dataset: Dataset, user_id: int, *, now: float) -> Person:
    """A site user of a dataset of the site's tables, over item ids, as serving builds them."""
    position = dataset.user_keys.index(str(user_id))
    person = person_from(dataset, position, now=now)
    to_id = [int(key) for key in dataset.item_keys]
    person.model.positive_items = {to_id[item]: weight for item, weight in person.model.positive_items.items()}
    return Person(
        model=person.model,
        user=position,
        bio_vector=person.bio_vector,
        excluded=frozenset(to_id[item] for item in person.excluded),
    )


class ItemIdSources(MemorySources):
    """The in-memory sources of a dataset of the site's tables, taking and returning item ids."""

    def __init__(self, train: Dataset, **options):
        super().__init__(train, **options)
        self.to_id = np.array([int(key) for key in train.item_keys], dtype=np.int64)
        self.to_position = {int(item): position for position, item in enumerate(self.to_id)}

    def _ids(self, positions) -> list[int]:
        return [int(self.to_id[position]) for position in positions]

    def _positions(self, ids) -> list[int]:
        return [self.to_position[item] for item in ids if item in self.to_position]

    def _keyed(self, values: dict) -> dict:
        return {int(self.to_id[position]): value for position, value in values.items()}

    def _scope(self, scope: Scope) -> Scope:
        if scope.within is None:
            return scope
        return replace(scope, within=frozenset(self._positions(scope.within)))

    def nearest(self, vectors, *, k, scope):
        return self._ids(super().nearest(vectors, k=k, scope=self._scope(scope)))

    def neighbours(self, anchors, *, limits, scope):
        found = super().neighbours(
            {self.to_position[item]: weight for item, weight in anchors.items() if item in self.to_position},
            limits=limits,
            scope=self._scope(scope),
        )
        return {
            kind: (self._keyed(scores), {int(self.to_id[item]): int(self.to_id[anchor]) for item, anchor in by.items()})
            for kind, (scores, by) in found.items()
        }

    def people(self, vector, *, k, exclude_user, limit, scope):
        return self._keyed(
            super().people(vector, k=k, exclude_user=exclude_user, limit=limit, scope=self._scope(scope))
        )

    def popular(self, *, limit_per_domain, scope):
        return self._ids(super().popular(limit_per_domain=limit_per_domain, scope=self._scope(scope)))

    def trending(self, *, limit, scope):
        return self._ids(super().trending(limit=limit, scope=self._scope(scope)))

    def fresh(self, *, limit, scope):
        return self._ids(super().fresh(limit=limit, scope=self._scope(scope)))

    def facts(self, ids):
        facts = super().facts(self._positions(ids))
        facts.ids = self.to_id[facts.ids]
        return facts

    def titles(self, ids):
        return self._keyed(super().titles(self._positions(ids)))
