"""Every list pages the same way: `page_size` and `cursor` in; `results`, `next`, `next_cursor` and `total` out."""

import pytest
from django.urls import reverse

from api.pagination import cursor_encode
from tests import factories
from tests.api.utils import assert_error

LISTS = ["api_items", "api_interactions", "api_feed", "api_popular"]


@pytest.fixture
def rows(user, domains):
    items = factories.ItemFactory.create_batch(7, domain=domains["books"])
    for item in items:
        factories.InteractionFactory(user=user, item=item, kind="save")
    return items


def _walk(client, url: str, page_size: int) -> tuple[list[int], list[dict]]:
    pages = [client.get(url, {"page_size": page_size}).json()]
    while pages[-1]["next"]:
        pages.append(client.get(pages[-1]["next"]).json())
    ids = [entry["id"] for page in pages for entry in page["results"]]
    return ids, pages


@pytest.mark.parametrize("name", ["api_items", "api_interactions"])
def test_a_list_is_walked_by_following_next_without_repeats_or_gaps(user_api, rows, name):
    ids, pages = _walk(user_api, reverse(name), page_size=3)
    assert len(pages) == 3
    assert len(ids) == len(set(ids)) == 7
    assert all(page["total"] == 7 for page in pages)
    assert (pages[-1]["next"], pages[-1]["next_cursor"]) == (None, None)


def test_next_cursor_passed_as_cursor_gives_the_same_page_as_next(user_api, rows):
    first = user_api.get(reverse("api_items"), {"page_size": 2}).json()
    by_cursor = user_api.get(reverse("api_items"), {"page_size": 2, "cursor": first["next_cursor"]}).json()
    assert by_cursor == user_api.get(first["next"]).json()
    assert {entry["id"] for entry in first["results"]}.isdisjoint(entry["id"] for entry in by_cursor["results"])


@pytest.mark.parametrize("name", LISTS)
def test_every_list_answers_in_one_page_shape(user_api, rows, name):
    assert set(user_api.get(reverse(name)).json()) == {"results", "next", "next_cursor", "total"}


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize(
    "params, field",
    [
        ({"page_size": -5}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": "abc"}, "page_size"),
        ({"page_size": 101}, "page_size"),
        ({"page_size": ""}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": 2}, "page"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": cursor_encode(-1)}, "cursor"),
    ],
)
def test_bad_paging_is_a_400_naming_the_parameter_on_every_list(user_api, db, name, params, field):
    error = assert_error(user_api.get(reverse(name), params), 400, "invalid")
    assert list(error["fields"]) == [field]
    assert field in error["message"]


def test_a_feed_cursor_past_the_ranking_depth_is_a_400_but_a_list_pages_on(user_api, db):
    deep = cursor_encode(20_000)
    assert_error(user_api.get(reverse("api_feed"), {"cursor": deep}), 400, "invalid")
    body = user_api.get(reverse("api_items"), {"cursor": deep}).json()
    assert (body["results"], body["next"]) == ([], None)
