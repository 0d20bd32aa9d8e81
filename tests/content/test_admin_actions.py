"""Admin rough edges: plurals, a confirmation before deactivating, the feed preview behind its own permission, and
filter values that cannot be a date or a number."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from content.models import Item
from recommendations.models import ItemStats, RankerWeights
from tests import factories

pytestmark = pytest.mark.django_db


def test_admin_names_item_stats_and_ranker_weights_without_a_doubled_s(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()

    assert ItemStats._meta.verbose_name_plural == "item stats"
    assert RankerWeights._meta.verbose_name_plural == "ranker weights"
    assert "statss" not in html.lower()
    assert "weightss" not in html.lower()


def deactivate(client, items, **extra):
    data = {"action": "deactivate", "_selected_action": [item.pk for item in items], **extra}
    return client.post(reverse("admin:content_item_changelist"), data)


def test_deactivate_asks_before_it_deactivates(admin_client, books):
    items = factories.ItemFactory.create_batch(2, domain=books)

    response = deactivate(admin_client, items)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Yes, deactivate" in html
    assert all(item.title in html for item in items)
    assert Item.objects.filter(is_active=True).count() == 2


def test_confirming_deactivates_only_the_selected_items(admin_client, books):
    chosen, kept = factories.ItemFactory.create_batch(2, domain=books)

    response = deactivate(admin_client, [chosen], post="yes")

    assert response.status_code == 302
    chosen.refresh_from_db()
    kept.refresh_from_db()
    assert (chosen.is_active, kept.is_active) == (False, True)


@pytest.fixture
def staff_client(client):
    staff = factories.UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_profile", "view_interestprofile"]))
    client.force_login(staff)
    client.staff = staff
    return client


def test_staff_without_the_preview_permission_cannot_preview_a_feed(staff_client):
    person = factories.UserFactory()

    response = staff_client.get(reverse("admin:recommendations_feed_preview", args=[person.pk]))

    assert response.status_code == 403
    changelist = staff_client.get(reverse("admin:content_profile_changelist")).content.decode()
    assert "Preview feed" not in changelist


def test_staff_with_the_preview_permission_can_preview_a_feed(staff_client):
    person = factories.ProfileFactory().user
    staff_client.staff.user_permissions.add(Permission.objects.get(codename="preview_feed"))

    response = staff_client.get(reverse("admin:recommendations_feed_preview", args=[person.pk]))

    assert response.status_code == 200
    assert "Preview feed" in staff_client.get(reverse("admin:content_profile_changelist")).content.decode()


def test_embedding_status_comes_before_the_long_columns(admin_client, books):
    factories.ItemFactory(domain=books, title="A very long title " * 10)

    response = admin_client.get(reverse("admin:content_item_changelist"))

    columns = response.context["cl"].list_display
    assert columns.index("embedding_status") <= 2
