"""Over a rate limit the site answers 429 with the same page, its form still filled in, and saves nothing."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from content.models import Profile
from tests import factories

PASSWORD = "correct-horse-battery"


def _signup(client, username: str, **extra):
    data = {"username": username, "email": "", "password1": "a-Long-pass-2024", "password2": "a-Long-pass-2024"}
    return client.post(reverse("signup"), data, **extra)


def assert_throttled(response) -> str:
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "You have done this a lot in a short while" in html
    return html


@pytest.mark.django_db
def test_signups_from_one_address_are_limited_and_the_form_keeps_what_was_typed(client, rate_limits):
    rate_limits(signup="1/hour")
    assert _signup(client, "first-reader").status_code == 302
    client.logout()

    # A made-up X-Forwarded-For is not a new address while no proxy is trusted.
    response = _signup(client, "second-reader", HTTP_X_FORWARDED_FOR="198.51.100.9")

    html = assert_throttled(response)
    assert 'value="second-reader"' in html
    assert not get_user_model().objects.filter(username="second-reader").exists()


@pytest.mark.django_db
def test_a_rejected_signup_form_does_not_use_up_the_limit(client, rate_limits):
    rate_limits(signup="1/hour")
    client.post(reverse("signup"), {"username": "x", "password1": "a-Long-pass-2024", "password2": "different-2024"})

    assert _signup(client, "first-reader").status_code == 302


@pytest.mark.django_db
def test_bio_changes_on_the_profile_page_are_limited_and_the_typed_bio_is_kept(
    auth_client, user, rate_limits, monkeypatch
):
    monkeypatch.setattr("web.views.profile.profile_personalize_now", lambda user: True)
    rate_limits(bio="1/hour")
    assert auth_client.post(reverse("profile"), {"display_name": "Sam", "bio": "Chess."}).status_code == 302

    response = auth_client.post(reverse("profile"), {"display_name": "Sammy", "bio": "Baking sourdough."})

    html = assert_throttled(response)
    assert "Baking sourdough." in html
    assert 'value="Sammy"' in html
    assert (Profile.objects.get(user=user).bio, Profile.objects.get(user=user).display_name) == ("Chess.", "Sam")
    # Saving without changing the bio runs no model and is not limited.
    assert auth_client.post(reverse("profile"), {"display_name": "Sammy", "bio": "Chess."}).status_code == 302
    assert Profile.objects.get(user=user).display_name == "Sammy"


@pytest.mark.django_db
def test_bio_limit_is_shared_by_onboarding_and_the_profile_page(auth_client, user, domains, rate_limits, monkeypatch):
    monkeypatch.setattr("web.views.accounts.profile_personalize_now", lambda **kwargs: True)
    monkeypatch.setattr("web.views.profile.profile_personalize_now", lambda user: True)
    rate_limits(bio="1/hour")
    assert auth_client.post(reverse("profile"), {"display_name": "", "bio": "Chess."}).status_code == 302

    response = auth_client.post(reverse("onboarding"), {"bio": "Whales and coral.", "domains": [domains["books"].pk]})

    html = assert_throttled(response)
    assert "Whales and coral." in html
    assert re.findall(r'value="(\d+)"[^>]*checked', html) == [str(domains["books"].pk)]
    assert Profile.objects.get(user=user).bio == "Chess."


@pytest.mark.django_db
def test_free_text_search_over_the_limit_shows_the_feed_without_it_and_keeps_the_words(client, catalog, rate_limits):
    rate_limits(query="1/minute")
    assert client.get(reverse("home"), {"q": "chess openings"}).status_code == 200

    response = client.get(reverse("home"), {"q": "coral reefs"})

    assert response.status_code == 429
    html = response.content.decode()
    assert 'value="coral reefs"' in html
    assert "here is your feed without it meanwhile" in html
    assert len(response.context["entries"]) == 12
    # Browsing without free text is never limited.
    assert client.get(reverse("home"), {"domain": "books"}).status_code == 200


@pytest.mark.django_db
def test_password_reset_requests_are_limited_per_address(client, mailoutbox, rate_limits):
    rate_limits(password_reset="1/hour")
    factories.UserFactory(username="forgetful", email="forgetful@example.com")
    assert client.post(reverse("password_reset"), {"email": "forgetful@example.com"}).status_code == 302

    response = client.post(reverse("password_reset"), {"email": "forgetful@example.com"})

    html = assert_throttled(response)
    assert 'value="forgetful@example.com"' in html
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_login_lockout_is_a_friendly_page_and_a_new_forwarded_address_does_not_lift_it(client):
    factories.UserFactory(username="target")
    for attempt in range(5):
        client.post(
            reverse("login"), {"username": "target", "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}"
        )

    response = client.post(
        reverse("login"), {"username": "target", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.99"
    )

    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many attempts" in html
    assert "about 15 minutes" in html
    assert "_auth_user_id" not in client.session
