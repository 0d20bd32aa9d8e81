import pytest
from django.test import Client
from django.urls import reverse

from content.models import Interaction, Profile
from tests import factories


@pytest.mark.django_db
def test_profile_needs_login(client):
    response = client.get(reverse("profile"))

    assert response.status_code == 302
    assert reverse("login") in response.url


@pytest.mark.django_db
def test_profile_edit_saves_bio_and_display_name(auth_client, user, monkeypatch):
    personalized = []
    monkeypatch.setattr("web.views.profile.profile_personalize_now", lambda user: personalized.append(user.pk))

    response = auth_client.post(reverse("profile"), {"display_name": "Sam", "bio": "Chess and baking."})

    assert response.status_code == 302
    profile = Profile.objects.get(user=user)
    assert (profile.display_name, profile.bio) == ("Sam", "Chess and baking.")
    assert personalized == [user.pk]


@pytest.mark.django_db
def test_profile_rejects_a_bio_over_1000_characters_with_a_message(auth_client, user):
    response = auth_client.post(reverse("profile"), {"display_name": "Sam", "bio": "y" * 1001})

    assert response.status_code == 200
    assert "at most 1000 characters" in response.content.decode()
    assert Profile.objects.get(user=user).bio == ""


@pytest.mark.django_db
def test_bio_with_markup_renders_as_text(auth_client, user):
    Profile.objects.filter(user=user).update(bio='<script>alert(1)</script>"><img src=x onerror=alert(1)>')

    html = auth_client.get(reverse("profile")).content.decode()

    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.django_db
def test_profile_shows_domain_interest_scores_as_numbers(auth_client, user, catalog):
    from recommendations.services.interests import interests_refresh

    Profile.objects.filter(user=user).update(bio="")
    for item in catalog["chess"]:
        factories.InteractionFactory(user=user, item=item, kind="like")
    interests_refresh(user_id=user.pk)

    response = auth_client.get(reverse("profile"))

    bars = response.context["bars"]
    assert {bar["slug"] for bar in bars} == {"articles", "books", "movies", "courses", "podcasts"}
    assert bars[0]["percent"] > 0
    assert f"{bars[0]['percent']}%</span>" in response.content.decode()


@pytest.mark.django_db
def test_history_lists_feedback_and_undo_removes_it(auth_client, user, domains):
    item = factories.ItemFactory(domain=domains["books"], title="Hidden gem")
    hide = factories.InteractionFactory(user=user, item=item, kind="hide")

    assert "Hidden gem" in auth_client.get(reverse("profile")).content.decode()
    response = auth_client.post(reverse("history_undo", args=[hide.pk]))

    assert response.status_code == 302
    assert not Interaction.objects.filter(pk=hide.pk).exists()


@pytest.mark.django_db
def test_undo_with_another_users_interaction_id_changes_nothing(auth_client, domains):
    other = factories.InteractionFactory(item=factories.ItemFactory(domain=domains["books"]), kind="like")

    response = auth_client.post(reverse("history_undo", args=[other.pk]))

    assert response.status_code == 404
    assert Interaction.objects.filter(pk=other.pk).exists()


@pytest.mark.django_db
def test_undo_needs_post(auth_client, user, domains):
    like = factories.InteractionFactory(user=user, item=factories.ItemFactory(domain=domains["books"]))

    assert auth_client.get(reverse("history_undo", args=[like.pk])).status_code == 405
    assert Interaction.objects.filter(pk=like.pk).exists()


@pytest.mark.django_db
def test_reset_forgets_only_my_history(auth_client, user, domains):
    item = factories.ItemFactory(domain=domains["books"])
    factories.InteractionFactory(user=user, item=item, kind="like")
    factories.InteractionFactory(user=user, item=item, kind="view")
    someone_else = factories.InteractionFactory(item=item, kind="like")

    response = auth_client.post(reverse("recommendations_reset"))

    assert response.status_code == 302
    assert not Interaction.objects.filter(user=user).exists()
    assert Interaction.objects.filter(pk=someone_else.pk).exists()


@pytest.mark.django_db
def test_profile_forms_carry_csrf_protection(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post(reverse("recommendations_reset")).status_code == 403
    assert client.post(reverse("profile"), {"bio": "changed"}).status_code == 403
    assert Profile.objects.get(user=user).bio == ""
