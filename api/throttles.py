"""Throttles that read their rates at request time, so settings (and tests) can change them; a None rate disables one."""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _RatesFromSettings:
    @property
    def THROTTLE_RATES(self):  # noqa: N802 - the name DRF looks up
        return api_settings.DEFAULT_THROTTLE_RATES


class AnonThrottle(_RatesFromSettings, AnonRateThrottle):
    """Per anonymous client (IP address)."""


class UserThrottle(_RatesFromSettings, UserRateThrottle):
    """Per signed-in user."""


class AuthTokenThrottle(_RatesFromSettings, AnonRateThrottle):
    """Password guesses against the token endpoint, per client address."""

    scope = "auth"
