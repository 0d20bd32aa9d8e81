from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from content.models import Interaction
from tests import factories

pytestmark = pytest.mark.django_db


def save(user, item, days_ago: int = 0):
    return factories.InteractionFactory(
        user=user, item=item, kind=Interaction.Kind.SAVE, created_at=timezone.now() - timedelta(days=days_ago)
    )


def test_saved_page_lists_my_saves_newest_first_and_nothing_else(auth_client, user, domains):
    older = factories.ItemFactory(domain=domains["books"], title="Saved last week")
    newer = factories.ItemFactory(domain=domains["movies"], title="Saved today")
    liked = factories.ItemFactory(domain=domains["books"], title="Only liked")
    gone = factories.ItemFactory(domain=domains["books"], title="Deactivated since", is_active=False)
    save(user, older, days_ago=7)
    save(user, newer)
    save(user, gone)
    factories.InteractionFactory(user=user, item=liked, kind=Interaction.Kind.LIKE)
    save(factories.UserFactory(), liked)

    html = auth_client.get(reverse("saved")).content.decode()

    assert html.index("Saved today") < html.index("Saved last week")
    assert "Only liked" not in html and "Deactivated since" not in html
    assert "Saved <time" in html and "just now" in html
    # Each card can be unsaved from here.
    assert html.count('aria-label="Save: ') == 2 and html.count('aria-pressed="true"') >= 2


def test_saved_page_is_paginated(auth_client, user, domains):
    for number in range(23):
        save(user, factories.ItemFactory(domain=domains["books"], title=f"Saved {number:02d}"), days_ago=number)

    first = auth_client.get(reverse("saved")).content.decode()
    second = auth_client.get(reverse("saved"), {"page": 2}).content.decode()
    past_the_end = auth_client.get(reverse("saved"), {"page": "99"})
    not_a_number = auth_client.get(reverse("saved"), {"page": "x"})

    assert "Saved 00" in first and "Saved 19" in first and "Saved 20" not in first
    assert "Saved 22" in second and "Saved 00" not in second
    assert "Page 2 of 2" in second
    assert past_the_end.status_code == 200 and "Saved 22" in past_the_end.content.decode()
    assert not_a_number.status_code == 200 and "Saved 00" in not_a_number.content.decode()


def test_saved_page_with_nothing_saved_says_how_to_save(auth_client):
    html = auth_client.get(reverse("saved")).content.decode()

    assert "Nothing saved yet" in html


def test_saved_page_needs_login_and_is_in_the_navigation(auth_client):
    response = Client().get(reverse("saved"))

    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert f'href="{reverse("saved")}"' in auth_client.get(reverse("home")).content.decode()
