"""Feeds over the API: personal and anonymous, free-text steering, cursor paging, similar items."""

import pytest
from django.urls import reverse

from content import services
from recommendations.sources import database as database_sources
from tests import factories
from tests.api.utils import assert_error

CATALOG = {
    "books": [
        ("Deep Space Voyages", "A science fiction novel about astronauts exploring distant galaxies."),
        ("The Rocket Engineers", "Space exploration history and the engineers who built rockets."),
        ("Garden of Roses", "A gentle guide to growing flowers and roses in your garden."),
        ("Sourdough at Home", "Bake bread at home: sourdough starters, flour and ovens."),
    ],
    "movies": [
        ("Mars Station", "Astronauts stranded on Mars fight to survive in space."),
        ("The Pastry Chef", "A baker in Paris makes cakes, bread and pastries."),
        ("Jungle Cats", "A nature documentary about tigers and leopards in the jungle."),
    ],
    "podcasts": [
        ("Orbit Weekly", "News about space missions, rockets and planets."),
        ("Kitchen Talk", "Cooking, baking and recipes from home kitchens."),
    ],
}


@pytest.fixture
def catalog(domains, embed_everything):
    items = {
        title: factories.ItemFactory(domain=domains[slug], title=title, description=text, tags=[])
        for slug, rows in CATALOG.items()
        for title, text in rows
    }
    embed_everything()
    return items


def _titles(body) -> list[str]:
    return [entry["item"]["title"] for entry in body["results"]]


def test_anonymous_feed_is_popular_and_fresh_and_matches_popular_endpoint(api, catalog):
    feed = api.get(reverse("api_feed")).json()
    popular = api.get(reverse("api_popular")).json()
    assert feed["total"] == popular["total"] == len(catalog)
    assert _titles(feed) == _titles(popular)
    entry = feed["results"][0]
    assert set(entry) == {"item", "score", "reason", "reason_kind", "domain"}
    assert entry["domain"] == entry["item"]["domain"]
    assert entry["reason"]


def test_free_text_query_steers_the_feed(user_api, catalog):
    body = user_api.get(reverse("api_feed"), {"q": "baking bread and pastries", "page_size": 3}).json()
    assert {"Sourdough at Home", "The Pastry Chef"} <= set(_titles(body))
    assert "query" in {entry["reason_kind"] for entry in body["results"]}


def test_feed_can_be_limited_to_one_domain(user_api, catalog):
    body = user_api.get(reverse("api_feed"), {"domain": "movies"}).json()
    assert body["results"]
    assert {entry["domain"] for entry in body["results"]} == {"movies"}


def test_cursor_pages_through_the_feed_without_repeats(user_api, catalog):
    first = user_api.get(reverse("api_feed"), {"page_size": 4}).json()
    assert first["next_cursor"] and "cursor=" in first["next"]
    second = user_api.get(first["next"]).json()
    assert second["results"]
    assert not set(_titles(first)) & set(_titles(second))
    assert user_api.get(reverse("api_feed"), {"page_size": 4, "cursor": first["next_cursor"]}).json() == second


def test_last_page_has_no_next(user_api, catalog):
    body = user_api.get(reverse("api_feed"), {"page_size": 100}).json()
    assert (body["next"], body["next_cursor"]) == (None, None)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"q": "x" * 501}, "q"),
        ({"explore": 1.5}, "explore"),
        ({"explore": "wild"}, "explore"),
        ({"domain": "nowhere"}, "domain"),
        ({"page_size": 101}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"cursor": "b2Zmc2V0Oi01"}, "cursor"),
    ],
)
def test_bad_feed_parameters_are_a_400_naming_the_parameter(user_api, db, params, field):
    error = assert_error(user_api.get(reverse("api_feed"), params), 400, "invalid")
    assert field in error["fields"]


def test_popular_rejects_unknown_domain(api, db):
    assert "domain" in assert_error(api.get(reverse("api_popular"), {"domain": "nope"}), 400)["fields"]


def test_a_like_changes_the_feed(user_api, user, catalog, embed_everything):
    before = user_api.get(reverse("api_feed"), {"page_size": 3}).json()
    user_api.post(
        reverse("api_interactions"), {"item": catalog["Deep Space Voyages"].pk, "kind": "like"}, format="json"
    )
    embed_everything()
    after = user_api.get(reverse("api_feed"), {"page_size": 3}).json()
    assert _titles(after) != _titles(before)
    assert "Deep Space Voyages" not in _titles(after)
    assert len({"Mars Station", "Orbit Weekly", "The Rocket Engineers"} & set(_titles(after))) >= 2
    assert set(_titles(after)) <= {"Mars Station", "Orbit Weekly", "The Rocket Engineers", *_titles(before)}


def test_similar_items_are_close_in_meaning(api, catalog):
    response = api.get(reverse("api_item_similar", args=[catalog["Mars Station"].pk]), {"limit": 3})
    assert response.status_code == 200
    titles = {entry["item"]["title"] for entry in response.json()["results"]}
    assert "Mars Station" not in titles
    assert len(titles) <= 3
    assert titles & {"Deep Space Voyages", "Orbit Weekly", "The Rocket Engineers"}


def test_similar_items_of_a_missing_item_is_a_404(api, db):
    assert_error(api.get(reverse("api_item_similar", args=[424242])), 404, "not_found")


def test_similar_items_limit_is_capped(api, catalog):
    assert_error(api.get(reverse("api_item_similar", args=[catalog["Mars Station"].pk]), {"limit": 500}), 400)


def test_a_repeat_page_comes_from_the_cache_and_shows_an_edit_at_once(user_api, catalog, monkeypatch):
    monkeypatch.setattr(database_sources, "VERSION_CHECK_SECONDS", 0.0)
    first = user_api.get(reverse("api_feed"), {"page_size": 4})
    again = user_api.get(reverse("api_feed"), {"page_size": 4})
    assert (first.headers["X-Feed-Cache"], again.headers["X-Feed-Cache"]) == ("miss", "hit")
    assert again.json() == first.json()

    shown = catalog[_titles(first.json())[0]]
    services.item_update(item=shown, title="Renamed while cached")
    after = user_api.get(reverse("api_feed"), {"page_size": 4}).json()

    assert "Renamed while cached" in _titles(after)
