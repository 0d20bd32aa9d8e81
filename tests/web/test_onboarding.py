import pytest
from django.urls import reverse

from content.models import Profile
from tests import factories

OCEAN_BIO = "I love the ocean and marine biology: coral reefs, whales, sharks and life in tide pools."


@pytest.mark.django_db
def test_onboarding_needs_login(client):
    response = client.get(reverse("onboarding"))

    assert response.status_code == 302
    assert reverse("login") in response.url


@pytest.mark.django_db
def test_onboarding_page_asks_what_the_user_likes_with_domain_choices(auth_client, domains):
    html = auth_client.get(reverse("onboarding")).content.decode()

    assert "Tell us what you like" in html
    assert 'for="id_bio"' in html
    for domain in domains.values():
        assert f'value="{domain.pk}"' in html


@pytest.mark.django_db
def test_onboarding_saves_bio_and_preferred_domains_then_redirects_home(auth_client, user, domains, monkeypatch):
    monkeypatch.setattr("web.views.accounts.profile_personalize_now", lambda **kwargs: True)

    response = auth_client.post(
        reverse("onboarding"), {"bio": "I like chess.", "domains": [domains["books"].pk, domains["courses"].pk]}
    )

    assert response.status_code == 302
    assert response.url == reverse("home")
    profile = Profile.objects.get(user=user)
    assert profile.bio == "I like chess."
    assert set(profile.preferred_domains.values_list("slug", flat=True)) == {"books", "courses"}


@pytest.mark.django_db
def test_onboarding_rejects_a_bio_over_1000_characters_with_a_message(auth_client, user):
    response = auth_client.post(reverse("onboarding"), {"bio": "x" * 1001})

    assert response.status_code == 200
    assert "at most 1000 characters" in response.content.decode()
    assert Profile.objects.get(user=user).bio == ""


@pytest.mark.django_db
def test_onboarding_still_saves_and_explains_when_embedding_fails(auth_client, user, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("model unavailable")

    monkeypatch.setattr("content.vectors.profile_embed", broken)

    response = auth_client.post(reverse("onboarding"), {"bio": "Sailing and the sea."}, follow=True)

    assert response.status_code == 200
    assert Profile.objects.get(user=user).bio == "Sailing and the sea."
    assert "being tailored" in response.content.decode()


@pytest.mark.django_db
def test_new_user_with_ocean_bio_gets_ocean_items_first(client, catalog):
    user = factories.UserFactory()
    client.force_login(user)

    client.post(reverse("onboarding"), {"bio": OCEAN_BIO})
    entries = client.get(reverse("home")).context["entries"]

    ocean_ids = {item.pk for item in catalog["ocean"]}
    assert [entry.item.pk in ocean_ids for entry in entries[:3]] == [True, True, True]
