from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from content.selectors import domain_list, feedback_states
from content.services import profile_get_or_create, profile_update
from recommendations.selectors import feed_for_user
from recommendations.types import Feed, FeedRequestError
from web.forms import EXPLORE_STEPS, ExploreForm, FeedParamsForm
from web.views.helpers import form_rate_limited, redirect_back, too_many_requests, user_or_none

PAGE_SIZE = 20


def _explore_steps(current: float | None) -> list[dict]:
    """The radio steps, with the one nearest the current value checked."""
    nearest = None if current is None else min(EXPLORE_STEPS, key=lambda step: abs(step[0] - current))[0]
    return [{"value": value, "label": label, "checked": value == nearest} for value, label in EXPLORE_STEPS]


def _feed(request, form: FeedParamsForm) -> tuple[Feed | None, bool]:
    """The requested feed page, or None with the problem added to the form; and whether the domain is unknown."""
    # Only the parameters that validated steer the feed; the others are reported beside their inputs.
    params = form.cleaned_data
    if "domain" in form.errors:
        return None, True
    try:
        feed = feed_for_user(
            user=user_or_none(request),
            query=params.get("q") or "",
            domain=params.get("domain") or None,
            explore=params.get("explore"),
            offset=params.get("offset") or 0,
            limit=PAGE_SIZE,
        )
    except FeedRequestError as error:
        if error.field == "domain":
            return None, True
        form.add_error(error.field if error.field in form.fields else None, str(error))
        return None, False
    return feed, False


def home(request):
    form = FeedParamsForm(request.GET)
    form.is_valid()
    # Free text is embedded on the request; over the limit, the feed is shown without it and the words stay in the box.
    query_wait = None
    if form.cleaned_data.get("q"):
        query_wait = form_rate_limited(
            request, form, limit="query", field="q", meanwhile="here is your feed without it meanwhile."
        )
    feed, unknown_domain = _feed(request, form)
    profile = profile_get_or_create(user=request.user) if request.user.is_authenticated else None
    explore = form.cleaned_data.get("explore")
    saved_explore = profile.explore if profile else None
    domain = form.cleaned_data.get("domain") or None

    entries = feed.entries if feed else []
    context = {
        "form": form,
        "feed": feed,
        "entries": entries,
        "states": feedback_states(user=request.user, item_ids=[entry.item.pk for entry in entries]),
        "domains": domain_list(),
        "active_domain": domain,
        "unknown_domain": unknown_domain,
        "explore_steps": _explore_steps(explore if explore is not None else saved_explore),
        "offer_explore_save": profile is not None and explore is not None and explore != saved_explore,
        "explore": explore,
        "profile": profile,
    }
    response = render(request, "web/home.html", context)
    return too_many_requests(response, query_wait) if query_wait else response


@login_required
@require_POST
def explore_save(request):
    form = ExploreForm(request.POST)
    if form.is_valid():
        profile_update(user=request.user, explore=form.cleaned_data["explore"])
        messages.success(request, "Saved: your feed will use this setting from now on.")
    else:
        messages.error(request, "Explore must be a number from 0 (focused) to 1 (adventurous).")
    return redirect_back(request, reverse("home"))
