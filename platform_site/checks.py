"""Deploy checks for settings Django's own `check --deploy` cannot judge."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

PROXY_HEADERS_UNTRUSTED = "platform_site.W001"


@register(Tags.security, deploy=True)
def check_proxy_count(app_configs, **kwargs):
    """Behind a proxy with TRUSTED_PROXY_COUNT=0, every client has the proxy's address: all of them share one rate-limit
    budget and one login-lockout key, so anyone can lock everyone out."""
    behind_proxy = settings.SECURE_PROXY_SSL_HEADER or settings.USE_X_FORWARDED_HOST or settings.USE_X_FORWARDED_PORT
    if settings.DJANGO_ENV != "production" or settings.TRUSTED_PROXY_COUNT or not behind_proxy:
        return []
    return [
        Warning(
            "A proxy header is configured (SECURE_PROXY_SSL_HEADER or USE_X_FORWARDED_*) but TRUSTED_PROXY_COUNT is 0: "
            "every client then has the proxy's address, shares one rate-limit budget and one login lockout.",
            hint="Set TRUSTED_PROXY_COUNT to the number of proxies in front of the site that append to "
            "X-Forwarded-For (1 for a single load balancer).",
            id=PROXY_HEADERS_UNTRUSTED,
        )
    ]
