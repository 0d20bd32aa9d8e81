"""A dataset's people and sources as the pipeline sees the site's: pure numpy, no database."""

import numpy as np
import pytest

from recommendations.dataset import build, events
from recommendations.fitting import FitResult
from recommendations.offline import ItemIdSources, site_person
from recommendations.ranking import Ranker
from recommendations.services.training import refit_adopted
from recommendations.sources import Scope

DAY = 86400.0


def _site_dataset():
    """Three items whose site ids are not their positions, and one person who liked the first two."""
    dataset = build(
        name="site",
        item_rows=[{"id": item_id, "domain": "books", "title": f"Item {item_id}"} for item_id in (70, 50, 90)],
        interaction_rows=[("7", 70, "like", None, 0.0), ("7", 50, "like", None, DAY)],
    )
    dataset.vectors = np.eye(3, dtype=np.float32)
    return dataset


def test_events_from_any_rows_read_missing_values_as_none_and_count_ages_in_days():
    found = events([(3, "rating", 4.0, 0.0), (5, "like", np.nan, DAY), (6, "view", None, 2 * DAY)], now=2 * DAY)

    assert [(e.item_id, e.kind, e.value, e.age_days) for e in found] == [
        (3, "rating", 4.0, 2.0),
        (5, "like", None, 1.0),
        (6, "view", None, 0.0),
    ]


def test_item_id_sources_take_and_return_the_sites_item_ids():
    sources = ItemIdSources(_site_dataset(), now=DAY)

    assert sources.nearest([np.array([0, 1, 0], dtype=np.float32)], k=1, scope=Scope()) == [50]
    assert sources.facts([90, 70, 12345]).ids.tolist() == [90, 70]
    assert sources.titles([90]) == {90: "Item 90"}
    assert sources.nearest([np.ones(3, dtype=np.float32)], k=3, scope=Scope(within=frozenset({90}))) == [90]


def test_a_site_person_of_a_dataset_speaks_item_ids():
    person = site_person(_site_dataset(), 7, now=DAY)

    assert person.excluded == frozenset({70, 50})
    assert set(person.model.positive_items) == {70, 50}
    assert person.model.positive_items[50] == pytest.approx(1.0)


def test_a_refit_is_adopted_only_when_a_situation_adopted_its_fitted_weights():
    report = {"long_history": {"adopted": False}, "_tasks": {"long_history": 40}}
    assert not refit_adopted(FitResult(Ranker(), report))

    report["new_item"] = {"adopted": True}
    assert refit_adopted(FitResult(Ranker(), report))
