"""Token exchange, token and session authentication, CSRF on session writes."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from api.services import token_issue
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
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user).key}")
    assert client.patch(reverse("api_me_profile"), {"display_name": "Tok"}, format="json").status_code == 200


# --- Token lifecycle -------------------------------------------------------------------------------------------


def _with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _works(key: str) -> bool:
    return _with_token(key).get(reverse("api_me_profile")).status_code == 200


def test_revoking_a_token_ends_it_and_signing_in_again_gives_a_new_one(api, user):
    key = token_issue(user=user).key
    client = _with_token(key)

    assert client.post(reverse("api_auth_token_revoke")).status_code == 204

    assert_error(client.get(reverse("api_me_profile")), 401, "authentication_failed")
    response = api.post(reverse("api_auth_token"), {"username": "reader", "password": PASSWORD}, format="json")
    assert response.json()["token"] != key
    assert _works(response.json()["token"])


def test_revoking_needs_a_signed_in_caller_and_ends_only_their_token(api, user, other_user):
    others = token_issue(user=other_user).key
    assert_error(api.post(reverse("api_auth_token_revoke")), 401)

    _with_token(token_issue(user=user).key).post(reverse("api_auth_token_revoke"))

    assert _works(others)


def test_an_expired_token_is_refused_in_the_json_error_shape(api, user, settings):
    settings.API_TOKEN_TTL_HOURS = 24
    token = token_issue(user=user)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(hours=23))
    assert _works(token.key)

    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(hours=25))
    response = _with_token(token.key).get(reverse("api_me_profile"))

    error = assert_error(response, 401, "token_expired")
    assert "POST /api/v1/auth/token/" in error["message"]
    assert response["WWW-Authenticate"] == "Token"
    fresh = api.post(reverse("api_auth_token"), {"username": "reader", "password": PASSWORD}, format="json")
    assert fresh.json()["token"] != token.key
    assert _works(fresh.json()["token"])


def test_set_password_anywhere_ends_the_users_tokens(user):
    key = token_issue(user=user).key
    user.set_password("a-whole-new-secret-9")
    user.save()

    assert_error(_with_token(key).get(reverse("api_me_profile")), 401, "authentication_failed")
    assert _works(token_issue(user=user).key)


def test_a_password_hash_written_straight_to_the_database_ends_the_tokens_too(user):
    key = token_issue(user=user).key
    get_user_model().objects.filter(pk=user.pk).update(password=make_password("changed-behind-the-back"))

    assert not _works(key)


def test_a_key_not_issued_by_the_site_is_refused(user):
    """Rows made some other way (or keys from before tokens were bound to passwords) do not authenticate."""
    assert not _works(Token.objects.create(user=user).key)


def test_changing_the_password_on_the_site_ends_the_users_tokens(client, user):
    key = token_issue(user=user).key
    client.force_login(user)

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Brand-new-pass-77", "new_password2": "Brand-new-pass-77"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Brand-new-pass-77")
    assert not _works(key)


def test_resetting_the_password_by_email_ends_the_users_tokens(client, user, mailoutbox):
    key = token_issue(user=user).key
    client.post(reverse("password_reset"), {"email": user.email})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/reset/" in line)
    form_page = client.get(link.split("testserver", 1)[1].strip(), follow=True)

    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Brand-new-pass-77", "new_password2": "Brand-new-pass-77"}
    )

    assert response.status_code == 302
    assert not _works(key)


def test_an_admin_setting_a_users_password_ends_their_tokens(client, user):
    key = token_issue(user=user).key
    client.force_login(factories.UserFactory(username="root", is_staff=True, is_superuser=True))

    response = client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": "Brand-new-pass-77", "password2": "Brand-new-pass-77", "usable_password": "true"},
    )

    assert response.status_code == 302, response.content
    user.refresh_from_db()
    assert user.check_password("Brand-new-pass-77")
    assert not _works(key)


def test_a_bearer_token_is_refused_with_a_message_naming_the_token_scheme(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=user).key}")
    for url in (reverse("api_me_profile"), reverse("api_items")):
        response = client.get(url)
        error = assert_error(response, 401, "wrong_auth_scheme")
        assert "Authorization: Token <key>" in error["message"]
        assert response["WWW-Authenticate"] == "Token"
