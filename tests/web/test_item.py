import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from content.models import Interaction
from content.services import VIEW_WINDOW
from tests import factories


def feedback(client, item, **data):
    return client.post(reverse("item_feedback", args=[item.pk]), data)


def kinds(user, item) -> set[str]:
    return set(Interaction.objects.filter(user=user, item=item).values_list("kind", flat=True))


@pytest.mark.django_db
def test_item_page_shows_full_text_and_metadata(client, domains):
    item = factories.ItemFactory(
        domain=domains["books"],
        title="The Sea Around Us",
        description="A long description of the sea. " * 20,
        creator="Rachel Carson",
        language="en",
        url="https://example.com/sea",
        tags=["ocean", "classic"],
    )

    html = client.get(reverse("item_detail", args=[item.pk])).content.decode()

    assert "A long description of the sea. " * 20 in html.replace("\n", "")
    for text in ("Books", "Rachel Carson", "ocean", "classic", "https://example.com/sea", "<time datetime="):
        assert text in html


@pytest.mark.django_db
def test_item_link_that_is_not_http_is_not_rendered(client, domains):
    item = factories.ItemFactory(domain=domains["books"], url="javascript:alert(1)")

    html = client.get(reverse("item_detail", args=[item.pk])).content.decode()

    assert "javascript:alert" not in html


@pytest.mark.django_db
def test_inactive_or_missing_item_is_404(client, domains):
    item = factories.ItemFactory(domain=domains["books"], is_active=False)

    assert client.get(reverse("item_detail", args=[item.pk])).status_code == 404
    assert client.get(reverse("item_detail", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_opening_an_item_records_no_view_until_the_page_reports_it(auth_client, user, domains):
    item = factories.ItemFactory(domain=domains["books"])

    html = auth_client.get(reverse("item_detail", args=[item.pk])).content.decode()

    assert kinds(user, item) == set()
    assert reverse("item_viewed", args=[item.pk]) in html
    assert auth_client.post(reverse("item_viewed", args=[item.pk])).status_code == 204
    assert kinds(user, item) == {"view"}


@pytest.mark.django_db
def test_a_view_is_recorded_once_per_visit_window(auth_client, user, domains):
    item = factories.ItemFactory(domain=domains["books"])

    for _ in range(3):
        auth_client.post(reverse("item_viewed", args=[item.pk]))
    Interaction.objects.filter(user=user, item=item).update(created_at=timezone.now() - VIEW_WINDOW)
    auth_client.post(reverse("item_viewed", args=[item.pk]))

    assert Interaction.objects.filter(user=user, item=item, kind="view").count() == 2


@pytest.mark.django_db
def test_another_site_cannot_plant_a_view(user, domains):
    item = factories.ItemFactory(domain=domains["books"])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    assert browser.get(reverse("item_viewed", args=[item.pk])).status_code == 405
    assert browser.post(reverse("item_viewed", args=[item.pk])).status_code == 403
    assert kinds(user, item) == set()


@pytest.mark.django_db
def test_an_anonymous_view_report_records_nothing(client, domains):
    item = factories.ItemFactory(domain=domains["books"])

    assert client.post(reverse("item_viewed", args=[item.pk])).status_code == 204
    assert not Interaction.objects.exists()


@pytest.mark.django_db
def test_anonymous_visitor_opening_an_item_records_nothing_and_is_asked_to_log_in(client, domains):
    item = factories.ItemFactory(domain=domains["books"])

    html = client.get(reverse("item_detail", args=[item.pk])).content.decode()

    assert not Interaction.objects.exists()
    assert "to like, save and rate" in html


@pytest.mark.django_db
def test_like_twice_undoes_the_like(auth_client, user, domains):
    item = factories.ItemFactory(domain=domains["books"])

    feedback(auth_client, item, kind="like")
    assert kinds(user, item) == {"like"}
    feedback(auth_client, item, kind="like")
    assert kinds(user, item) == set()


@pytest.mark.django_db
def test_dislike_replaces_like(auth_client, user, domains):
    item = factories.ItemFactory(domain=domains["books"])

    feedback(auth_client, item, kind="like")
    feedback(auth_client, item, kind="dislike")

    assert kinds(user, item) == {"dislike"}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["save", "hide"])
def test_save_and_hide_toggle(auth_client, user, domains, kind):
    item = factories.ItemFactory(domain=domains["books"])

    feedback(auth_client, item, kind=kind)
    assert kinds(user, item) == {kind}
    feedback(auth_client, item, kind=kind)
    assert kinds(user, item) == set()


@pytest.mark.django_db
def test_item_page_shows_the_current_feedback_state(auth_client, user, domains):
    item = factories.ItemFactory(domain=domains["books"])
    factories.InteractionFactory(user=user, item=item, kind="save")

    html = auth_client.get(reverse("item_detail", args=[item.pk])).content.decode()

    assert re.search(r'aria-pressed="true"[^>]*>\s*Saved\s*<', html)
    assert re.search(r'aria-pressed="false"[^>]*>\s*Like\s*<', html)
    assert not re.search(r'aria-pressed="true"[^>]*>\s*Liked', html)


@pytest.mark.django_db
def test_rating_sets_replaces_and_same_value_removes(auth_client, user, domains):
    item = factories.ItemFactory(domain=domains["books"])

    feedback(auth_client, item, kind="rating", value="4")
    assert Interaction.objects.get(user=user, item=item, kind="rating").value == 4
    feedback(auth_client, item, kind="rating", value="2")
    assert Interaction.objects.get(user=user, item=item, kind="rating").value == 2
    feedback(auth_client, item, kind="rating", value="2")
    assert not Interaction.objects.filter(user=user, item=item, kind="rating").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{"kind": "rating", "value": "9"}, {"kind": "rating"}, {"kind": "explode"}])
def test_invalid_feedback_records_nothing_and_explains(auth_client, user, domains, data):
    item = factories.ItemFactory(domain=domains["books"])

    response = auth_client.post(reverse("item_feedback", args=[item.pk]), data, follow=True)

    assert response.status_code == 200
    assert kinds(user, item) == set()
    assert 'class="message message-error"' in response.content.decode()


@pytest.mark.django_db
def test_feedback_needs_login(client, domains):
    item = factories.ItemFactory(domain=domains["books"])

    response = feedback(client, item, kind="like")

    assert response.status_code == 302
    assert reverse("login") in response.url
    assert not Interaction.objects.exists()


@pytest.mark.django_db
def test_feedback_without_csrf_token_is_refused(user, domains):
    item = factories.ItemFactory(domain=domains["books"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = feedback(client, item, kind="like")

    assert response.status_code == 403
    assert not Interaction.objects.exists()


@pytest.mark.django_db
def test_feedback_never_redirects_to_another_site(auth_client, domains):
    item = factories.ItemFactory(domain=domains["books"])

    response = feedback(auth_client, item, kind="like", next="https://evil.example.com/")

    assert response.url == item.get_absolute_url()


@pytest.mark.django_db
def test_more_like_this_includes_other_domains_with_reasons(client, catalog):
    item = catalog["ocean"][0]

    response = client.get(reverse("item_detail", args=[item.pk]))

    similar = response.context["similar"]
    ocean_ids = {other.pk for other in catalog["ocean"]}
    assert similar[0].item.pk in ocean_ids
    assert {entry.item.domain_id for entry in similar} - {item.domain_id}
    assert similar[0].reason in response.content.decode()


@pytest.mark.django_db
def test_item_text_with_markup_renders_as_text(client, domains):
    item = factories.ItemFactory(
        domain=domains["books"],
        title="<script>alert(1)</script>",
        description='"><img src=x onerror=alert(1)>',
        creator="<b>bold</b>",
    )

    html = client.get(reverse("item_detail", args=[item.pk])).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.django_db
def test_feedback_asked_for_json_answers_with_every_state_of_the_item(auth_client, user, domains):
    item = factories.ItemFactory(domain=domains["books"])
    url = reverse("item_feedback", args=[item.pk])
    factories.InteractionFactory(user=user, item=item, kind=Interaction.Kind.DISLIKE)

    liked = auth_client.post(url, {"kind": "like"}, headers={"Accept": "application/json"})
    rated = auth_client.post(url, {"kind": "rating", "value": "4"}, headers={"Accept": "application/json"})
    invalid = auth_client.post(url, {"kind": "rating"}, headers={"Accept": "application/json"})

    assert liked.status_code == 200
    assert liked.json() == {
        "item": item.pk,
        "kind": "like",
        "pressed": True,
        "message": "Liked. We'll show you more like it.",
        "states": {"like": True, "dislike": False, "save": False, "hide": False, "rating": None},
    }
    assert rated.json()["states"]["rating"] == 4
    assert invalid.status_code == 400 and invalid.json()["message"]
    assert kinds(user, item) == {"like", "rating"}


@pytest.mark.django_db
def test_language_is_shown_only_when_the_catalog_has_more_than_one(client, domains):
    item = factories.ItemFactory(domain=domains["books"], language="en")
    factories.ItemFactory(domain=domains["books"], language="en")
    url = reverse("item_detail", args=[item.pk])

    assert "Language" not in client.get(url).content.decode()

    factories.ItemFactory(domain=domains["books"], language="fr")
    from django.core.cache import cache

    cache.clear()
    assert "Language" in client.get(url).content.decode()


@pytest.mark.django_db
def test_item_page_shows_its_picture_with_alt_text_and_size(client, domains):
    item = factories.ItemFactory(domain=domains["books"], title="Dune", image="covers/dune.svg")

    html = client.get(reverse("item_detail", args=[item.pk])).content.decode()

    assert (
        '<img class="item-image" src="/media/covers/dune.svg" alt="Cover art for Dune" width="480" height="320"' in html
    )
