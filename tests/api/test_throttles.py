"""Throttles key on the real client address, and the paths that run the model on demand have their own budgets."""

from django.test import RequestFactory
from django.urls import reverse

from content.models import Profile
from platform_site.ratelimit import client_ip
from tests import factories
from tests.api.utils import assert_error, token_client


def test_with_no_trusted_proxy_a_made_up_forwarded_address_does_not_reset_the_anonymous_throttle(
    api, db, throttle_rates
):
    throttle_rates(anon="2/minute")
    for address in ("203.0.113.1", "203.0.113.2"):
        assert api.get(reverse("api_domains"), HTTP_X_FORWARDED_FOR=address).status_code == 200

    response = api.get(reverse("api_domains"), HTTP_X_FORWARDED_FOR="203.0.113.3")

    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_behind_one_proxy_the_right_most_forwarded_address_is_the_client(api, db, throttle_rates, trusted_proxies):
    throttle_rates(anon="2/minute")
    trusted_proxies(1)
    for spoofed in ("198.51.100.1", "198.51.100.2"):
        forwarded = f"{spoofed}, 203.0.113.7"
        assert api.get(reverse("api_domains"), HTTP_X_FORWARDED_FOR=forwarded).status_code == 200

    # What the client wrote to the left of the proxy's entry changes nothing; another client has its own budget.
    assert_error(api.get(reverse("api_domains"), HTTP_X_FORWARDED_FOR="198.51.100.3, 203.0.113.7"), 429, "throttled")
    assert api.get(reverse("api_domains"), HTTP_X_FORWARDED_FOR="198.51.100.3, 203.0.113.8").status_code == 200


def test_client_address_rule(trusted_proxies):
    factory = RequestFactory()
    forwarded = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7")

    assert client_ip(forwarded) == "10.0.0.2"
    trusted_proxies(1)
    assert client_ip(forwarded) == "203.0.113.7"
    trusted_proxies(2)
    assert client_ip(forwarded) == "198.51.100.1"
    # A request that reached the site around the proxy with a header that is no address at all.
    assert client_ip(factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="nonsense")) == "10.0.0.2"


def test_free_text_queries_are_limited_but_the_plain_feed_is_not(api, db, rate_limits):
    rate_limits(query="2/minute")
    for _ in range(2):
        assert api.get(reverse("api_feed"), {"q": "ocean films"}).status_code == 200

    response = api.get(reverse("api_feed"), {"q": "chess"})

    error = assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert "throttled" in error["message"]
    for _ in range(3):
        assert api.get(reverse("api_feed")).status_code == 200
        assert api.get(reverse("api_feed"), {"q": "   "}).status_code == 200


def test_free_text_query_budget_is_per_user_and_shared_with_the_website(
    client, user, user_api, other_user, rate_limits
):
    rate_limits(query="2/minute")
    client.force_login(user)
    assert client.get(reverse("home"), {"q": "jazz"}).status_code == 200
    assert user_api.get(reverse("api_feed"), {"q": "jazz"}).status_code == 200

    assert_error(user_api.get(reverse("api_feed"), {"q": "jazz"}), 429, "throttled")
    assert token_client(other_user).get(reverse("api_feed"), {"q": "jazz"}).status_code == 200


def test_query_limit_can_be_turned_off(api, db, rate_limits):
    rate_limits(query=None)
    for _ in range(5):
        assert api.get(reverse("api_feed"), {"q": "ocean"}).status_code == 200


def test_bio_changes_are_limited_per_user_and_other_profile_edits_are_not(user_api, user, rate_limits):
    rate_limits(bio="2/hour")
    for bio in ("Jazz.", "Chess."):
        assert user_api.patch(reverse("api_me_profile"), {"bio": bio}, format="json").status_code == 200

    response = user_api.patch(reverse("api_me_profile"), {"bio": "Baking.", "display_name": "B"}, format="json")

    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    profile = Profile.objects.get(user=user)
    assert (profile.bio, profile.display_name) == ("Chess.", "reader")
    assert user_api.patch(reverse("api_me_profile"), {"display_name": "Rea"}, format="json").status_code == 200
    other = factories.UserFactory(username="another-reader")
    assert token_client(other).patch(reverse("api_me_profile"), {"bio": "Jazz."}, format="json").status_code == 200


def test_a_body_that_is_not_an_object_is_a_400_not_a_throttle_error(user_api, user, rate_limits):
    rate_limits(bio="1/hour")
    for body in ([], "bio", 5):
        assert_error(user_api.patch(reverse("api_me_profile"), body, format="json"), 400, "invalid")
