"""Domains and items: public reads with filters, staff-only writes through the services."""

import pytest
from django.urls import reverse

from content import tasks
from content.models import Item
from tests import factories
from tests.api.utils import assert_error


def _titles(response) -> set[str]:
    return {row["title"] for row in response.json()["results"]}


def test_domains_are_listed_for_anyone(api, domains):
    response = api.get(reverse("api_domains"))
    assert response.status_code == 200
    assert {row["slug"] for row in response.json()} == set(domains)


def test_item_list_shows_active_items_only(api, domains):
    factories.ItemFactory(domain=domains["books"], title="On the shelf")
    factories.ItemFactory(domain=domains["books"], title="Withdrawn", is_active=False)
    assert _titles(api.get(reverse("api_items"))) == {"On the shelf"}


def test_item_list_filters_by_domain_tag_and_search(api, domains):
    factories.ItemFactory(domain=domains["books"], title="Dune", tags=["scifi"], description="Desert planet.")
    factories.ItemFactory(domain=domains["movies"], title="Alien", tags=["scifi", "horror"])
    factories.ItemFactory(domain=domains["movies"], title="Amelie", tags=["romance"], description="Paris cafe.")
    assert _titles(api.get(reverse("api_items"), {"domain": "movies"})) == {"Alien", "Amelie"}
    assert _titles(api.get(reverse("api_items"), {"tag": "SciFi"})) == {"Dune", "Alien"}
    assert _titles(api.get(reverse("api_items"), {"search": "planet"})) == {"Dune"}
    assert _titles(api.get(reverse("api_items"), {"search": "ali"})) == {"Alien"}
    assert _titles(api.get(reverse("api_items"), {"domain": "movies", "tag": "scifi"})) == {"Alien"}


def test_item_list_with_unknown_domain_is_a_400(api, domains):
    error = assert_error(api.get(reverse("api_items"), {"domain": "nope"}), 400, "invalid")
    assert "domain" in error["fields"]


def test_item_search_text_is_capped_at_500_characters(api, db):
    assert_error(api.get(reverse("api_items"), {"search": "x" * 501}), 400, "invalid")


def test_item_list_page_size_is_capped_at_100(api, domains):
    factories.ItemFactory.create_batch(105, domain=domains["books"])
    assert_error(api.get(reverse("api_items"), {"page_size": 101}), 400, "invalid")
    body = api.get(reverse("api_items"), {"page_size": 100}).json()
    assert body["total"] == 105
    assert len(body["results"]) == 100
    assert body["next"]


def test_item_detail_has_no_vectors_hashes_or_model_names(api, db):
    item = factories.ItemFactory()
    body = api.get(reverse("api_item", args=[item.pk])).json()
    assert body["id"] == item.pk
    assert body["has_embedding"] is False
    assert not {"embedding", "embedding_model", "embedding_hash", "embedding_error", "embedded_at"} & set(body)


def test_deactivated_item_is_hidden_from_the_public_but_not_from_staff(api, staff_api, db):
    item = factories.ItemFactory(is_active=False)
    assert_error(api.get(reverse("api_item", args=[item.pk])), 404, "not_found")
    assert staff_api.get(reverse("api_item", args=[item.pk])).json()["is_active"] is False


def test_staff_create_an_item_and_its_embedding_is_queued_after_commit(
    staff_api, domains, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.embed_items, "delay", lambda ids: queued.append(ids))
    payload = {"domain": "books", "title": "  Dune  ", "tags": ["SciFi", "scifi", "Desert"], "external_id": "b-1"}
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.post(reverse("api_items"), payload, format="json")
    assert response.status_code == 201, response.content
    item = Item.objects.get(pk=response.json()["id"])
    assert (item.title, item.tags, item.domain.slug) == ("Dune", ["scifi", "desert"], "books")
    assert queued == [[item.pk]]


def test_item_write_ignores_read_only_fields(staff_api, domains):
    payload = {
        "domain": "books", "title": "Plain", "embedding_model": "mine", "embedding_hash": "abc",
        "has_embedding": True, "created_at": "2000-01-01T00:00:00Z", "id": 999,
    }  # fmt: skip
    response = staff_api.post(reverse("api_items"), payload, format="json")
    item = Item.objects.get(pk=response.json()["id"])
    assert item.pk != 999
    assert (item.embedding_model, item.embedding_hash, item.embedded_at) == ("", "", None)


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"domain": "books", "title": "   "}, "title"),
        ({"domain": "books", "title": "x" * 301}, "title"),
        ({"domain": "books", "title": "Ok", "description": "x" * 5001}, "description"),
        ({"domain": "books", "title": "Ok", "tags": [f"t{n}" for n in range(21)]}, "tags"),
        ({"domain": "books", "title": "Ok", "tags": ["x" * 51]}, "tags"),
        ({"domain": "nowhere", "title": "Ok"}, "domain"),
        ({"domain": "books", "title": "Ok", "url": "not a url"}, "url"),
        ({"title": "Ok"}, "domain"),
    ],
)
def test_invalid_item_is_a_400_naming_the_field(staff_api, domains, payload, field):
    error = assert_error(staff_api.post(reverse("api_items"), payload, format="json"), 400, "invalid")
    assert field in error["fields"]
    assert not Item.objects.exists()


def test_taken_external_id_is_a_400(staff_api, domains):
    factories.ItemFactory(external_id="b-1")
    response = staff_api.post(
        reverse("api_items"), {"domain": "books", "title": "T", "external_id": "b-1"}, format="json"
    )
    assert "external_id" in assert_error(response, 400, "invalid")["fields"]


def test_non_staff_cannot_create_change_or_deactivate_items(user_api, api, domains):
    item = factories.ItemFactory(domain=domains["books"], title="Keep")
    assert_error(user_api.post(reverse("api_items"), {"domain": "books", "title": "X"}, format="json"), 403)
    assert_error(user_api.patch(reverse("api_item", args=[item.pk]), {"title": "X"}, format="json"), 403)
    assert_error(user_api.delete(reverse("api_item", args=[item.pk])), 403)
    assert_error(api.delete(reverse("api_item", args=[item.pk])), 401)
    item.refresh_from_db()
    assert (item.title, item.is_active) == ("Keep", True)


def test_staff_patch_changes_only_given_fields_and_requeues_embedding(
    staff_api, domains, monkeypatch, django_capture_on_commit_callbacks
):
    item = factories.ItemFactory(domain=domains["books"], title="Old", tags=["a"])
    queued = []
    monkeypatch.setattr(tasks.embed_items, "delay", lambda ids: queued.append(ids))
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.patch(reverse("api_item", args=[item.pk]), {"title": "New"}, format="json")
    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.title, item.tags, item.domain.slug) == ("New", ["a"], "books")
    assert queued == [[item.pk]]


def test_staff_delete_deactivates_the_item(staff_api, db):
    item = factories.ItemFactory()
    assert staff_api.delete(reverse("api_item", args=[item.pk])).status_code == 204
    item.refresh_from_db()
    assert item.is_active is False


def test_bulk_upsert_creates_and_updates_by_external_id(
    staff_api, domains, monkeypatch, django_capture_on_commit_callbacks
):
    existing = factories.ItemFactory(domain=domains["books"], external_id="b-1", title="Old", creator="Kept")
    queued = []
    monkeypatch.setattr(tasks.embed_items, "delay", lambda ids: queued.append(ids))
    rows = [
        {"external_id": "b-1", "domain": "books", "title": "Renamed"},
        {"external_id": "m-1", "domain": "movies", "title": "Alien", "tags": ["Horror"]},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.post(reverse("api_items_bulk_upsert"), {"items": rows}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["updated"]) == (1, 1)
    assert [row["status"] for row in body["results"]] == ["updated", "created"]
    existing.refresh_from_db()
    assert (existing.title, existing.creator) == ("Renamed", "Kept")
    created = Item.objects.get(external_id="m-1")
    assert created.tags == ["horror"]
    assert queued == [[existing.pk, created.pk]]


def test_bulk_upsert_with_one_bad_row_saves_nothing(staff_api, domains):
    rows = [
        {"external_id": "ok", "domain": "books", "title": "Fine"},
        {"external_id": "bad", "domain": "books", "title": ""},
    ]
    error = assert_error(
        staff_api.post(reverse("api_items_bulk_upsert"), {"items": rows}, format="json"), 400, "invalid"
    )
    assert error["fields"]["items"] == {"1": {"title": ["This field may not be blank."]}}
    assert not Item.objects.exists()


def test_bulk_upsert_refuses_a_repeated_external_id(staff_api, domains):
    rows = [
        {"external_id": "x", "domain": "books", "title": "A"},
        {"external_id": "x", "domain": "books", "title": "B"},
    ]
    assert_error(staff_api.post(reverse("api_items_bulk_upsert"), {"items": rows}, format="json"), 400, "invalid")


def test_bulk_upsert_needs_external_ids(staff_api, domains):
    rows = [{"domain": "books", "title": "A"}]
    assert_error(staff_api.post(reverse("api_items_bulk_upsert"), {"items": rows}, format="json"), 400, "invalid")


def test_bulk_upsert_batch_size_is_capped(staff_api, domains, settings):
    settings.API_MAX_BATCH = 2
    rows = [{"external_id": f"e{n}", "domain": "books", "title": f"T{n}"} for n in range(3)]
    error = assert_error(staff_api.post(reverse("api_items_bulk_upsert"), {"items": rows}, format="json"), 400)
    assert "no more than 2" in error["message"]
    assert not Item.objects.exists()


def test_bulk_upsert_is_staff_only(user_api, domains):
    rows = [{"external_id": "x", "domain": "books", "title": "A"}]
    assert_error(user_api.post(reverse("api_items_bulk_upsert"), {"items": rows}, format="json"), 403)
    assert not Item.objects.exists()
