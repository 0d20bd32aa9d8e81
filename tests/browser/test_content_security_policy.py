"""The site's own pages, the admin's included, run under the Content-Security-Policy without a single violation
(the `page` fixture fails a test on any), the item page still reports its view through it, and the admin's item
list keeps its embedding column on a 1280 px screen."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from content.models import Interaction, Item
from tests import factories

pytestmark = pytest.mark.browser


def sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def open_page(page, live_server, path: str) -> None:
    response = page.goto(live_server.url + path)
    assert response.status < 400, (path, response.status)
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")


def test_site_pages_run_under_the_policy_and_the_item_page_reports_its_view(page, live_server, transactional_db):
    books = factories.DomainFactory(slug="books", name="Books")
    item = factories.ItemFactory(domain=books, title="The Sea Around Us")
    reader = factories.ProfileFactory(bio="I love the sea.").user
    factories.InteractionFactory(user=reader, item=factories.ItemFactory(domain=books), kind="like")
    sign_in(page, live_server, reader)

    for path in ["/", reverse("profile"), f"{reverse('home')}?domain=books", reverse("item_detail", args=[item.pk])]:
        open_page(page, live_server, path)

    deadline = time.monotonic() + 10
    while not Interaction.objects.filter(user=reader, item=item, kind="view").exists():
        assert time.monotonic() < deadline, "the item page did not report its view"
        time.sleep(0.1)


def test_admin_pages_run_under_the_policy(page, live_server, transactional_db, artifacts):
    books = factories.DomainFactory(slug="books", name="Books with a rather long section name")
    item = factories.ItemFactory(
        domain=books,
        title="An unusually long title: " + "Oceanographic" * 12,
        creator="A long list of co-authors and editors, translators and illustrators",
        url="https://example.com/" + "a-very-long-address/" * 5,
    )
    Item.objects.filter(pk=item.pk).update(embedding_error="RuntimeError('out of memory') " * 20, embedding_attempts=9)
    person = factories.ProfileFactory(bio="Marine biologist.").user
    sign_in(page, live_server, factories.UserFactory(is_staff=True, is_superuser=True))

    for path in [
        reverse("admin:index"),
        reverse("admin:content_item_changelist"),
        reverse("admin:content_item_change", args=[item.pk]),
        reverse("admin:content_item_add"),
        reverse("admin:content_profile_changelist"),
        reverse("admin:content_domain_changelist"),
        reverse("admin:recommendations_feed_preview", args=[person.pk]),
    ]:
        open_page(page, live_server, path)

    open_page(page, live_server, reverse("admin:content_item_changelist"))
    status = page.locator("td.field-embedding_status").first.bounding_box()
    page.screenshot(path=str(artifacts / "admin-items-1280.png"))
    assert status["x"] + status["width"] <= 1280, "the embedding column is off screen at 1280 px"
    page.locator(f"input[name=_selected_action][value='{item.pk}']").check()
    page.locator("select[name=action]").select_option("deactivate")
    page.get_by_role("button", name="Go").click()
    page.get_by_role("button", name="Yes, deactivate").click()
    page.wait_for_load_state("networkidle")
    item.refresh_from_db()
    assert not item.is_active
