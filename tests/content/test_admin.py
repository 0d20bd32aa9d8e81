"""The admin: every changelist loads, edits go through the services, bad input is a form error and never a 500."""

import pytest
from django.urls import reverse

from content import tasks
from content.models import DESCRIPTION_MAX_LENGTH, Item, Profile
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def some_rows(books):
    item = factories.ItemFactory(domain=books, title="The Sea Around Us")
    failed = factories.ItemFactory(domain=books, title="Whale Songs")
    Item.objects.filter(pk=failed.pk).update(embedding_error="RuntimeError('out of memory')")
    profile = factories.ProfileFactory(bio="Marine biologist.")
    factories.InteractionFactory(user=profile.user, item=item, kind="like")
    factories.InteractionFactory(user=profile.user, item=failed, kind="rating", value=4)
    return item


@pytest.mark.parametrize("model", ["item", "profile", "interaction", "domain"])
def test_changelist_loads_for_a_superuser(admin_client, some_rows, model):
    response = admin_client.get(reverse(f"admin:content_{model}_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@pytest.mark.parametrize("status", ["missing", "failed", "ok"])
def test_item_changelist_filters_by_embedding_status(admin_client, some_rows, status):
    response = admin_client.get(reverse("admin:content_item_changelist"), {"embedding": status})

    assert response.status_code == 200
    expected = {"missing": 2, "failed": 1, "ok": 0}[status]
    assert response.context["cl"].result_count == expected


def test_item_changelist_shows_failed_embedding(admin_client, some_rows):
    html = admin_client.get(reverse("admin:content_item_changelist")).content.decode()

    assert "failed" in html
    assert "out of memory" in html


def test_item_change_page_loads(admin_client, some_rows):
    response = admin_client.get(reverse("admin:content_item_change", args=[some_rows.pk]))

    assert response.status_code == 200


def test_changelist_needs_staff(client, some_rows):
    response = client.get(reverse("admin:content_item_changelist"))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_reembed_action_queues_selected_items_with_a_fresh_vector(
    admin_client, books, sent_tasks, django_capture_on_commit_callbacks
):
    from content import vectors

    items = factories.ItemFactory.create_batch(3, domain=books)
    vectors.items_embed(item_ids=[item.pk for item in items])
    chosen = items[:2]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:content_item_changelist"),
            {"action": "reembed", "_selected_action": [item.pk for item in chosen]},
            follow=True,
        )

    assert response.status_code == 200
    assert "Queued 2 for embedding" in response.content.decode()
    [(queued,)] = sent_tasks.args_of(tasks.embed_items)
    assert sorted(queued) == sorted(item.pk for item in chosen)
    # The queued task really does make a new vector, though the text did not change.
    assert tasks.embed_items(queued) == 2


def test_reembed_action_on_profiles_queues_each_profile(admin_client, sent_tasks, django_capture_on_commit_callbacks):
    profiles = factories.ProfileFactory.create_batch(2, bio="Jazz saxophone on Fridays.")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:content_profile_changelist"),
            {"action": "reembed", "_selected_action": [profile.pk for profile in profiles]},
        )

    assert sorted(sent_tasks.args_of(tasks.embed_profile)) == sorted((profile.pk,) for profile in profiles)


def item_form_data(books, **overrides):
    return {
        "domain": books.pk,
        "external_id": "",
        "title": "The Sea Around Us",
        "description": "Ocean currents and tides.",
        "tags": "Ocean, Science",
        "creator": "Rachel Carson",
        "url": "",
        "language": "en",
        "published_at_0": "",
        "published_at_1": "",
        "is_active": "on",
        **overrides,
    }


def test_adding_an_item_in_the_admin_saves_it_and_queues_embedding(
    admin_client, books, sent_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:content_item_add"), item_form_data(books))

    assert response.status_code == 302
    item = Item.objects.get()
    assert item.tags == ["ocean", "science"]
    assert sent_tasks.args_of(tasks.embed_items) == [([item.pk],)]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "    "}, "title"),
        ({"domain": "999999"}, "domain"),
        ({"domain": "not-a-number"}, "domain"),
        ({"description": "x" * (DESCRIPTION_MAX_LENGTH + 1)}, "description"),
        ({"url": "not a url"}, "url"),
        ({"published_at_0": "yesterday", "published_at_1": "noon"}, "published_at"),
        ({"tags": ", ".join(f"tag{n}" for n in range(21))}, "tags"),
        ({"tags": "x" * 51}, "tags"),
        ({"language": ""}, "language"),
    ],
)
def test_bad_item_in_the_admin_is_a_form_error(
    admin_client, books, sent_tasks, django_capture_on_commit_callbacks, overrides, field
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:content_item_add"), item_form_data(books, **overrides))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Item.objects.exists()
    assert sent_tasks.calls == []


def test_editing_a_bio_in_the_admin_queues_profile_embedding(
    admin_client, sent_tasks, django_capture_on_commit_callbacks
):
    profile = factories.ProfileFactory(bio="Marine biologist.")
    data = {"user": profile.user.pk, "display_name": "Maya", "bio": "Amateur astronomer.", "explore": "0.5"}

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:content_profile_change", args=[profile.pk]), data)

    assert response.status_code == 302
    assert Profile.objects.get(pk=profile.pk).bio == "Amateur astronomer."
    assert sent_tasks.args_of(tasks.embed_profile) == [(profile.pk,)]


def test_explore_outside_zero_to_one_in_the_admin_is_a_form_error(admin_client):
    profile = factories.ProfileFactory()
    data = {"user": profile.user.pk, "display_name": "", "bio": "", "explore": "1.5"}

    response = admin_client.post(reverse("admin:content_profile_change", args=[profile.pk]), data)

    assert response.status_code == 200
    assert "explore" in response.context["adminform"].form.errors


def test_domain_changelist_says_whether_each_domain_has_its_vector_index(admin_client, books, build_domain_indexes):
    url = reverse("admin:content_domain_changelist")
    assert "not built yet" in admin_client.get(url).content.decode()

    build_domain_indexes()

    html = admin_client.get(url).content.decode()
    assert "ready" in html and "not built yet" not in html


def test_staff_can_ask_for_the_vector_indexes_now(admin_client, books, monkeypatch):
    from content import enqueue

    sent = []

    def take(task, args, on_sent):
        sent.append(task.name)
        on_sent()

    monkeypatch.setattr(enqueue, "_send", take)
    response = admin_client.post(
        reverse("admin:content_domain_changelist"),
        {"action": "build_vector_indexes", "_selected_action": [books.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert sent == [tasks.ensure_domain_indexes.name]
    assert "Queued" in response.content.decode()
