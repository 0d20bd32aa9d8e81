"""Rate limits on what is costly or abusable: running the embedding model on demand, sign-ups, reset emails.

Counters are django-ratelimit's fixed windows in the default cache, counted with an atomic increment, so every process
that shares the cache shares them; the website and the API count against the same budget.
"""

import ipaddress
import math

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

# What each limit counts per: a signed-in user, a client address, or the user when signed in and the address otherwise.
LIMIT_KEYS = {"query": "user_or_ip", "signup": "ip", "bio": "user", "password_reset": "ip"}
UNKNOWN_ADDRESS = "0.0.0.0"


def client_ip(request: HttpRequest) -> str:
    """The client's address as the outermost trusted proxy saw it (TRUSTED_PROXY_COUNT, as DRF's NUM_PROXIES).

    Also used by django-axes and django-ratelimit, so every limit agrees on who the client is. Anything that is not an
    address (a request that bypassed the proxy with a made-up header) falls back to the connection's address.
    """
    for candidate in (BaseThrottle().get_ident(request), request.META.get("REMOTE_ADDR")):
        try:
            return str(ipaddress.ip_address((candidate or "").strip()))
        except ValueError:
            continue
    return UNKNOWN_ADDRESS


def rate_limit_hit(request: HttpRequest, *, name: str) -> int | None:
    """Count one use of the limit `name`; returns the seconds to wait when that use is over the rate, else None."""
    usage = get_usage(
        request, group=f"rate-limit:{name}", key=LIMIT_KEYS[name], rate=settings.RATE_LIMITS.get(name), increment=True
    )
    if usage is None or not usage["should_limit"]:
        return None
    return max(1, usage["time_left"])


def wait_in_words(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return "about a minute" if minutes <= 1 else f"about {minutes} minutes"
    hours = math.ceil(minutes / 60)
    return "about an hour" if hours <= 1 else f"about {hours} hours"
