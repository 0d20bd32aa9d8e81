"""Feedback: single and batch writes that never double-count, and only ever the caller's own rows."""

import pytest
from django.urls import reverse

from content.models import Interaction
from recommendations import tasks as rec_tasks
from tests import factories
from tests.api.utils import assert_error, token_client


@pytest.fixture
def item(db):
    return factories.ItemFactory()


@pytest.fixture
def refreshes(monkeypatch):
    sent = []
    monkeypatch.setattr(rec_tasks.refresh_user_interests, "delay", lambda user_id: sent.append(user_id))
    return sent


def test_like_is_recorded_for_the_caller_and_refreshes_interests(
    user_api, user, item, refreshes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = user_api.post(
            reverse("api_interactions"), {"item": item.pk, "kind": "like", "user": 999}, format="json"
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["item"], body["kind"], body["status"]) == (item.pk, "like", "created")
    assert Interaction.objects.get().user == user
    assert refreshes == [user.pk]


def test_repeated_client_id_is_a_duplicate_and_not_counted_twice(user_api, item):
    payload = {"item": item.pk, "kind": "view", "client_id": "evt-1"}
    first = user_api.post(reverse("api_interactions"), payload, format="json")
    again = user_api.post(reverse("api_interactions"), payload, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["status"] == "duplicate"
    assert again.json()["id"] == first.json()["id"]
    assert Interaction.objects.count() == 1


def test_liking_twice_updates_the_one_like(user_api, item):
    user_api.post(reverse("api_interactions"), {"item": item.pk, "kind": "like"}, format="json")
    response = user_api.post(reverse("api_interactions"), {"item": item.pk, "kind": "like"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "updated")
    assert Interaction.objects.count() == 1


def test_rating_is_stored_with_its_value(user_api, item):
    response = user_api.post(
        reverse("api_interactions"), {"item": item.pk, "kind": "rating", "value": 4}, format="json"
    )
    assert response.json()["value"] == 4


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"kind": "rating"}, "value"),
        ({"kind": "rating", "value": 6}, "value"),
        ({"kind": "like", "value": 3}, "value"),
        ({"kind": "teleport"}, "kind"),
        ({"kind": "view", "created_at": "2999-01-01T00:00:00Z"}, "created_at"),
        ({"kind": "view", "client_id": "x" * 101}, "client_id"),
    ],
)
def test_invalid_interaction_is_a_400(user_api, item, payload, field):
    error = assert_error(user_api.post(reverse("api_interactions"), {"item": item.pk, **payload}, format="json"), 400)
    assert field in error["fields"]
    assert not Interaction.objects.exists()


def test_interaction_with_a_missing_or_deactivated_item_is_a_400(user_api, db):
    gone = factories.ItemFactory(is_active=False)
    for item_id in (gone.pk, 987654):
        error = assert_error(
            user_api.post(reverse("api_interactions"), {"item": item_id, "kind": "like"}, format="json"), 400
        )
        assert "item" in error["fields"]


def test_batch_records_valid_entries_and_reports_rejected_ones(
    user_api, user, item, refreshes, django_capture_on_commit_callbacks
):
    entries = [
        {"item": item.pk, "kind": "view", "client_id": "a"},
        {"item": item.pk, "kind": "rating"},
        {"item": item.pk, "kind": "like", "client_id": "b"},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = user_api.post(reverse("api_interactions_batch"), {"interactions": entries}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["duplicate"], body["rejected"]) == (2, 0, 1)
    assert [row["status"] for row in body["results"]] == ["created", "rejected", "created"]
    assert [row["index"] for row in body["results"]] == [0, 1, 2]
    assert "value" in body["results"][1]["errors"]
    assert body["results"][2]["interaction"]["kind"] == "like"
    assert Interaction.objects.filter(user=user).count() == 2
    assert refreshes == [user.pk]


def test_retried_batch_is_reported_as_duplicates_and_not_counted_twice(
    user_api, item, refreshes, django_capture_on_commit_callbacks
):
    entries = [{"item": item.pk, "kind": "view", "client_id": f"evt-{n}"} for n in range(3)]
    user_api.post(reverse("api_interactions_batch"), {"interactions": entries}, format="json")
    refreshes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        retry = user_api.post(reverse("api_interactions_batch"), {"interactions": entries}, format="json").json()
    assert (retry["created"], retry["duplicate"]) == (0, 3)
    assert Interaction.objects.count() == 3
    assert refreshes == []


def test_the_same_client_id_twice_in_one_batch_counts_once(user_api, item):
    entries = [{"item": item.pk, "kind": "view", "client_id": "same"}] * 2
    body = user_api.post(reverse("api_interactions_batch"), {"interactions": entries}, format="json").json()
    assert [row["status"] for row in body["results"]] == ["created", "duplicate"]
    assert Interaction.objects.count() == 1


def test_client_ids_are_per_user(user_api, other_user, item):
    factories.InteractionFactory(user=other_user, item=item, kind="view", client_id="shared")
    response = user_api.post(
        reverse("api_interactions"), {"item": item.pk, "kind": "view", "client_id": "shared"}, format="json"
    )
    assert response.status_code == 201
    assert Interaction.objects.count() == 2


def test_batch_size_is_capped(user_api, item, settings):
    settings.API_MAX_BATCH = 3
    entries = [{"item": item.pk, "kind": "view"}] * 4
    error = assert_error(
        user_api.post(reverse("api_interactions_batch"), {"interactions": entries}, format="json"), 400
    )
    assert "no more than 3" in error["message"]
    assert not Interaction.objects.exists()


def test_empty_or_malformed_batch_is_a_400(user_api, db):
    for payload in ({"interactions": []}, {"interactions": "nope"}, {"interactions": [1, 2]}, {}):
        assert_error(user_api.post(reverse("api_interactions_batch"), payload, format="json"), 400, "invalid")


def test_list_shows_only_the_callers_interactions(user_api, user, other_user, item):
    mine = factories.InteractionFactory(user=user, item=item, kind="save")
    factories.InteractionFactory(user=other_user, item=item, kind="like")
    body = user_api.get(reverse("api_interactions")).json()
    assert [row["id"] for row in body["results"]] == [mine.pk]


def test_list_filters_by_kind_and_item(user_api, user, item):
    other_item = factories.ItemFactory()
    like = factories.InteractionFactory(user=user, item=item, kind="like")
    factories.InteractionFactory(user=user, item=item, kind="save")
    factories.InteractionFactory(user=user, item=other_item, kind="like")
    body = user_api.get(reverse("api_interactions"), {"kind": "like", "item": item.pk}).json()
    assert [row["id"] for row in body["results"]] == [like.pk]


def test_another_users_interaction_cannot_be_read_or_deleted_by_id(user_api, other_user, item):
    theirs = factories.InteractionFactory(user=other_user, item=item)
    assert_error(user_api.get(reverse("api_interaction", args=[theirs.pk])), 404)
    assert_error(user_api.delete(reverse("api_interaction", args=[theirs.pk])), 404)
    assert Interaction.objects.filter(pk=theirs.pk).exists()


def test_own_interaction_can_be_read_and_undone(user_api, user, item):
    mine = factories.InteractionFactory(user=user, item=item)
    assert user_api.get(reverse("api_interaction", args=[mine.pk])).json()["id"] == mine.pk
    assert user_api.delete(reverse("api_interaction", args=[mine.pk])).status_code == 204
    assert not Interaction.objects.exists()


def test_interactions_need_a_signed_in_user(api, item):
    assert_error(api.get(reverse("api_interactions")), 401)
    assert_error(api.post(reverse("api_interactions_batch"), {"interactions": []}, format="json"), 401)


def test_the_other_user_sees_their_own_rows(user, other_user, item):
    factories.InteractionFactory(user=user, item=item, kind="like")
    assert token_client(other_user).get(reverse("api_interactions")).json()["total"] == 0


def test_a_rating_given_as_a_boolean_is_a_400(user_api, item):
    response = user_api.post(
        reverse("api_interactions"), {"item": item.pk, "kind": "rating", "value": True}, format="json"
    )
    error = assert_error(response, 400, "invalid")
    assert "value" in error["fields"]
    assert not Interaction.objects.exists()


def test_saved_list_shows_each_item_summary_in_a_fixed_number_of_queries(user_api, user, django_assert_max_num_queries):
    saved = [factories.ItemFactory(title=f"Saved {n}", creator="Ann Author") for n in range(5)]
    for item in saved:
        factories.InteractionFactory(user=user, item=item, kind="save")
    factories.InteractionFactory(user=user, item=factories.ItemFactory(), kind="like")
    with django_assert_max_num_queries(6):
        body = user_api.get(reverse("api_interactions"), {"kind": "save"}).json()
    assert body["total"] == 5
    summaries = [entry["item_summary"] for entry in body["results"]]
    assert {summary["title"] for summary in summaries} == {item.title for item in saved}
    assert all(entry["item"] == entry["item_summary"]["id"] for entry in body["results"])
    newest = saved[-1]
    assert summaries[0]["id"] == newest.pk
    assert (summaries[0]["creator"], summaries[0]["domain"]) == ("Ann Author", newest.domain.slug)
    assert set(summaries[0]) == {"id", "domain", "title", "creator", "url", "is_active"}


def test_one_interaction_shows_its_item_summary(user_api, user, item):
    interaction = factories.InteractionFactory(user=user, item=item, kind="like")
    body = user_api.get(reverse("api_interaction", args=[interaction.pk])).json()
    assert body["item_summary"]["title"] == item.title
