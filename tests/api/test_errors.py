"""One JSON error shape for every failure: unknown URLs, methods, auth, size, throttling, service errors."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from recommendations.types import FeedRequestError
from tests import factories
from tests.api.utils import assert_error, token_client


def test_unknown_api_url_is_a_json_404(api, db):
    assert_error(api.get("/api/v1/no-such-thing/"), 404, "not_found")


def test_api_url_without_trailing_slash_is_a_json_404_not_an_html_page(api, db):
    assert_error(api.get("/api/v1/items"), 404, "not_found")


def test_missing_object_is_a_json_404(api, db):
    assert_error(api.get(reverse("api_item", args=[999999])), 404, "not_found")


def test_wrong_method_is_a_json_405(user_api):
    assert_error(user_api.put(reverse("api_interactions"), {}, format="json"), 405, "method_not_allowed")


def test_anonymous_write_is_a_json_401_with_authenticate_header(api, db):
    response = api.post(reverse("api_interactions"), {}, format="json")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_bad_token_is_a_json_401(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(api.get(reverse("api_domains")), 401, "authentication_failed")


def test_malformed_json_is_a_400(user_api):
    response = user_api.post(reverse("api_interactions"), data="{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_non_json_body_is_a_415(user_api):
    response = user_api.post(
        reverse("api_interactions"), data="kind=like", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415, "unsupported_media_type")


def test_body_over_the_upload_limit_is_a_413(user_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"bio": "' + "x" * 2000 + '"}'
    response = user_api.patch(reverse("api_me_profile"), data=body, content_type="application/json")
    error = assert_error(response, 413, "request_too_large")
    assert "1000 bytes" in error["message"]


def test_djangos_request_data_too_big_is_mapped_to_413(user_api, monkeypatch):
    from django.core.exceptions import RequestDataTooBig

    from api.views import me

    def too_big(**kwargs):
        raise RequestDataTooBig("too big")

    monkeypatch.setattr(me.services, "profile_update", too_big)
    assert_error(user_api.patch(reverse("api_me_profile"), {"bio": "hi"}, format="json"), 413, "request_too_large")


def test_validation_error_lists_fields(user_api):
    error = assert_error(
        user_api.post(reverse("api_interactions"), {"kind": "teleport"}, format="json"), 400, "invalid"
    )
    assert set(error["fields"]) == {"item", "kind"}


def test_service_validation_error_becomes_a_400_with_fields(user_api, monkeypatch):
    from api.views import me

    def refuse(**kwargs):
        raise ValidationError({"bio": ["Not allowed."]})

    monkeypatch.setattr(me.services, "profile_update", refuse)
    error = assert_error(user_api.patch(reverse("api_me_profile"), {"bio": "hi"}, format="json"), 400, "invalid")
    assert error["fields"] == {"bio": ["Not allowed."]}


def test_feed_request_error_becomes_a_400_naming_the_parameter(user_api, monkeypatch):
    from api.views import feed

    def refuse(**kwargs):
        raise FeedRequestError("Unknown domain 'x'.", "domain")

    monkeypatch.setattr(feed.rec_selectors, "feed_for_user", refuse)
    error = assert_error(user_api.get(reverse("api_feed")), 400, "invalid")
    assert error["fields"] == {"domain": ["Unknown domain 'x'."]}


def test_unexpected_error_is_a_json_500_without_details(user_api, monkeypatch):
    from api.views import me

    def crash(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(me.services, "profile_update", crash)
    error = assert_error(user_api.patch(reverse("api_me_profile"), {"bio": "hi"}, format="json"), 500, "server_error")
    assert "secret" not in error["message"]


def test_anonymous_clients_are_throttled_with_retry_after(api, db, throttle_rates):
    throttle_rates(anon="2/minute")
    for _ in range(2):
        assert api.get(reverse("api_domains")).status_code == 200
    response = api.get(reverse("api_domains"))
    assert_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60


def test_users_are_throttled_per_user(user_api, other_user, throttle_rates):
    throttle_rates(user="3/minute")
    for _ in range(3):
        assert user_api.get(reverse("api_domains")).status_code == 200
    assert_error(user_api.get(reverse("api_domains")), 429, "throttled")
    assert token_client(other_user).get(reverse("api_domains")).status_code == 200


def test_an_empty_rate_turns_a_throttle_off(api, db, throttle_rates):
    throttle_rates(anon=None)
    assert all(api.get(reverse("api_domains")).status_code == 200 for _ in range(30))


@pytest.mark.parametrize(
    "path", ["/api/v1/items/abc/", "/api/v1/interactions/-1/", "/api/v1/items/1%0A2/", "/api/v1/x%0A/", "/api/%0A"]
)
def test_non_numeric_ids_are_json_404s(user_api, path):
    factories.ItemFactory()
    assert_error(user_api.get(path), 404, "not_found")
