import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from content.models import Profile
from tests import factories

PASSWORD = "correct-horse-battery"


@pytest.mark.django_db
def test_sign_up_creates_user_with_profile_logs_in_and_goes_to_onboarding(client):
    response = client.post(
        reverse("signup"),
        {"username": "newreader", "email": "", "password1": "a-Long-pass-2024", "password2": "a-Long-pass-2024"},
    )

    assert response.status_code == 302
    assert response.url == reverse("onboarding")
    user = get_user_model().objects.get(username="newreader")
    assert Profile.objects.filter(user=user).exists()
    assert client.get(reverse("onboarding")).status_code == 200


@pytest.mark.django_db
def test_sign_up_with_mismatched_passwords_shows_error_and_creates_nobody(client):
    response = client.post(
        reverse("signup"),
        {"username": "newreader", "password1": "a-Long-pass-2024", "password2": "another-pass-2024"},
    )

    assert response.status_code == 200
    assert "didn’t match" in response.content.decode() or "didn't match" in response.content.decode()
    assert not get_user_model().objects.filter(username="newreader").exists()


@pytest.mark.django_db
def test_login_page_has_labelled_inputs_and_csrf(client):
    html = client.get(reverse("login")).content.decode()

    assert 'for="id_username"' in html
    assert 'for="id_password"' in html
    assert "csrfmiddlewaretoken" in html


@pytest.mark.django_db
def test_login_with_right_password_redirects_home(client):
    factories.UserFactory(username="reader")

    response = client.post(reverse("login"), {"username": "reader", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("home")


@pytest.mark.django_db
def test_logout_link_asks_first_and_only_a_post_logs_out(auth_client):
    page = auth_client.get(reverse("logout"))

    assert page.status_code == 200
    assert b"Log out?" in page.content
    assert auth_client.get(reverse("profile")).status_code == 200

    response = auth_client.post(reverse("logout"))

    assert response.status_code == 302
    assert auth_client.get(reverse("profile")).status_code == 302


@pytest.mark.django_db
def test_sixth_login_after_five_failures_is_refused_even_with_right_password(client):
    factories.UserFactory(username="target")
    for _ in range(5):
        client.post(reverse("login"), {"username": "target", "password": "wrong-guess"})

    response = client.post(reverse("login"), {"username": "target", "password": PASSWORD})

    # django-axes answers a locked-out attempt with 429 and does not log the user in.
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_password_reset_sends_a_link_by_email(client, mailoutbox):
    factories.UserFactory(username="forgetful", email="forgetful@example.com")

    response = client.post(reverse("password_reset"), {"email": "forgetful@example.com"})

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body
    assert client.get(reverse("password_reset_done")).status_code == 200


@pytest.mark.django_db
def test_password_reset_link_lets_the_user_choose_a_new_password(client, mailoutbox):
    user = factories.UserFactory(username="forgetful", email="forgetful@example.com")
    client.post(reverse("password_reset"), {"email": "forgetful@example.com"})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/reset/" in line)
    path = link.split("testserver", 1)[1].strip()

    form_page = client.get(path, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Brand-new-pass-77", "new_password2": "Brand-new-pass-77"}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Brand-new-pass-77")


@pytest.mark.django_db
def test_unknown_page_gets_the_site_not_found_page(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert b"Nothing here" in response.content
