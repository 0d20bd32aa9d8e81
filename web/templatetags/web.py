from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from content.selectors import domain_list
from platform_site.ratelimit import wait_in_words

register = template.Library()


@register.simple_tag
def nav_domains():
    """Domains for the header navigation, available on every page without a context processor."""
    return list(domain_list())


@register.filter
def state(states: dict, item_id: int) -> dict:
    """The feedback states of one item from a {item id: {kind: interaction}} mapping."""
    return states.get(item_id, {})


@register.filter
def is_web_url(url: str) -> bool:
    """Only http(s) links are rendered, so a stored javascript: URL can never become a link."""
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


@register.filter
def ago(value: datetime) -> str:
    """How long ago, as a person says it: "just now" under a minute, then "3 minutes ago"."""
    if timezone.now() - value < timedelta(minutes=1):
        return "just now"
    return f"{timesince(value)} ago"


@register.filter
def duration_words(value: timedelta) -> str:
    """A wait as a person says it: "about 15 minutes"."""
    return wait_in_words(int(value.total_seconds()))
