"""Throttles that read their rates at request time, so settings (and tests) can change them; a None rate disables one."""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, BaseThrottle, UserRateThrottle

from platform_site.ratelimit import client_ip, rate_limit_hit


class _RatesFromSettings:
    @property
    def THROTTLE_RATES(self):  # noqa: N802 - the name DRF looks up
        return api_settings.DEFAULT_THROTTLE_RATES

    def get_ident(self, request):
        return client_ip(request)


class AnonThrottle(_RatesFromSettings, AnonRateThrottle):
    """Per anonymous client (IP address)."""


class UserThrottle(_RatesFromSettings, UserRateThrottle):
    """Per signed-in user."""


class AuthTokenThrottle(_RatesFromSettings, AnonRateThrottle):
    """Password guesses against the token endpoint, per client address."""

    scope = "auth"


class _SiteRateLimit(BaseThrottle):
    """One of the site's RATE_LIMITS, counted only for requests that do the costly thing."""

    limit_name = ""

    def applies(self, request) -> bool:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        self.seconds_to_wait = rate_limit_hit(request, name=self.limit_name) if self.applies(request) else None
        return self.seconds_to_wait is None

    def wait(self):
        return self.seconds_to_wait


class FreeTextQueryThrottle(_SiteRateLimit):
    """A free-text `q` is embedded on the request; the budget is shared with the website's search box."""

    limit_name = "query"

    def applies(self, request) -> bool:
        return bool(request.query_params.get("q", "").strip())


class BioChangeThrottle(_SiteRateLimit):
    """A bio is embedded again when it changes; the budget is shared with the website's profile and onboarding."""

    limit_name = "bio"

    def applies(self, request) -> bool:
        return request.method == "PATCH" and isinstance(request.data, dict) and "bio" in request.data
