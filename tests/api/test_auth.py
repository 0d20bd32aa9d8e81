"""Token exchange, token and session authentication, CSRF on session writes."""

from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from content.models import Profile
from tests import factories
from tests.api.utils import assert_error

PASSWORD = "correct-horse-battery"


def test_username_and_password_give_a_token_that_authenticates(api, user):
    response = api.post(reverse("api_auth_token"), {"username": "reader", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=user).key
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(reverse("api_me_profile")).json()["username"] == "reader"


def test_asking_again_returns_the_same_token(api, user):
    first = api.post(reverse("api_auth_token"), {"username": "reader", "password": PASSWORD}, format="json")
    second = api.post(reverse("api_auth_token"), {"username": "reader", "password": PASSWORD}, format="json")
    assert first.json()["token"] == second.json()["token"]


def test_wrong_password_gives_no_token(api, user):
    response = api.post(reverse("api_auth_token"), {"username": "reader", "password": "wrong"}, format="json")
    assert_error(response, 400, "invalid")
    assert not Token.objects.filter(user=user).exists()


def test_inactive_user_gets_no_token(api, db):
    factories.UserFactory(username="gone", is_active=False)
    response = api.post(reverse("api_auth_token"), {"username": "gone", "password": PASSWORD}, format="json")
    assert_error(response, 400, "invalid")


def test_token_endpoint_is_throttled_per_client(api, user, throttle_rates):
    throttle_rates(auth="3/minute")
    for _ in range(3):
        api.post(reverse("api_auth_token"), {"username": "reader", "password": "wrong"}, format="json")
    response = api.post(reverse("api_auth_token"), {"username": "reader", "password": PASSWORD}, format="json")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_repeated_failures_lock_the_account_out_in_json(api, user, settings, throttle_rates):
    throttle_rates(auth=None)
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        api.post(reverse("api_auth_token"), {"username": "reader", "password": "wrong"}, format="json")
    response = api.post(reverse("api_auth_token"), {"username": "reader", "password": PASSWORD}, format="json")
    error = assert_error(response, 429, "locked_out")
    assert "try again later" in error["message"]
    assert not Token.objects.filter(user=user).exists()


def test_session_write_without_csrf_token_is_refused(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.patch(reverse("api_me_profile"), {"display_name": "Sneaky"}, format="json")
    error = assert_error(response, 403, "permission_denied")
    assert "CSRF" in error["message"]
    assert not Profile.objects.filter(display_name="Sneaky").exists()


def test_session_write_with_csrf_token_is_accepted(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(reverse("api_me_profile"))
    # The site's pages set the cookie; here ask Django for one the way a page render would.
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    response = client.patch(
        reverse("api_me_profile"),
        {"display_name": "Honest"},
        format="json",
        HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret),
    )
    assert response.status_code == 200, response.content
    assert response.json()["display_name"] == "Honest"


def test_session_reads_need_no_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(reverse("api_me_profile")).status_code == 200


def test_token_writes_need_no_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    assert client.patch(reverse("api_me_profile"), {"display_name": "Tok"}, format="json").status_code == 200
