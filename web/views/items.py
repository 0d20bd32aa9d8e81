from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from content.models import Interaction
from content.selectors import catalog_is_multilingual, feedback_states, item_get_active
from content.services import item_view_record
from recommendations.selectors import similar_items
from web.forms import FeedbackForm
from web.services import feedback_toggle
from web.views.helpers import redirect_back, user_or_none

SIMILAR_LIMIT = 6

DONE_MESSAGES = {
    (Interaction.Kind.LIKE, True): "Liked. We'll show you more like it.",
    (Interaction.Kind.LIKE, False): "Like removed.",
    (Interaction.Kind.DISLIKE, True): "Noted: fewer items like this.",
    (Interaction.Kind.DISLIKE, False): "Dislike removed.",
    (Interaction.Kind.SAVE, True): "Saved for later.",
    (Interaction.Kind.SAVE, False): "Removed from saved.",
    (Interaction.Kind.HIDE, True): "Hidden. It won't appear in your feed again (undo it from your profile).",
    (Interaction.Kind.HIDE, False): "No longer hidden.",
    (Interaction.Kind.RATING, True): "Rating saved.",
    (Interaction.Kind.RATING, False): "Rating removed.",
}


def _item_or_404(pk: int):
    item = item_get_active(pk=pk)
    if item is None:
        raise Http404("No such item.")
    return item


def item_detail(request, pk: int):
    # Opening the page records nothing: a GET can be triggered by another site, a prefetch or a reload. The page
    # reports the view itself (item_viewed), once it has loaded in front of the person.
    item = _item_or_404(pk)
    similar = similar_items(item=item, user=user_or_none(request), limit=SIMILAR_LIMIT)
    states = feedback_states(user=request.user, item_ids=[item.pk, *(entry.item.pk for entry in similar)])
    item_states = states.get(item.pk, {})
    rating = item_states.get(Interaction.Kind.RATING)
    context = {
        "item": item,
        "item_states": item_states,
        "states": states,
        "rating": int(rating.value) if rating else None,
        "similar": similar,
        "show_language": catalog_is_multilingual(),
    }
    return render(request, "web/item_detail.html", context)


@require_POST
def item_viewed(request, pk: int):
    """The item page, after it loaded, says it was seen: a same-site POST (CSRF-checked), counted once a visit."""
    item = _item_or_404(pk)
    if request.user.is_authenticated:
        item_view_record(user=request.user, item=item)
    return HttpResponse(status=204)


@login_required
@require_http_methods(["GET", "POST"])
def item_feedback(request, pk: int):
    item = _item_or_404(pk)
    # A GET lands here only after logging in from a feedback button; send the user to the item.
    if request.method == "GET":
        return redirect(item)
    # The page's script asks for JSON and updates the buttons in place; a plain form post is redirected back.
    wants_json = "application/json" in request.headers.get("Accept", "")
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        problem = " ".join(error for errors in form.errors.values() for error in errors)
        if wants_json:
            return JsonResponse({"message": problem}, status=400)
        messages.error(request, problem)
        return redirect_back(request, item.get_absolute_url())
    kind = form.cleaned_data["kind"]
    is_set = feedback_toggle(user=request.user, item=item, kind=kind, value=form.cleaned_data.get("value"))
    if wants_json:
        return JsonResponse(_feedback_outcome(request, item, kind, is_set))
    messages.success(request, DONE_MESSAGES[(kind, is_set)])
    return redirect_back(request, item.get_absolute_url())


def _feedback_outcome(request, item, kind: str, is_set: bool) -> dict:
    """Every state of the item after the change: liking clears a dislike, so more than one button may change."""
    states = feedback_states(user=request.user, item_ids=[item.pk]).get(item.pk, {})
    rating = states.get(Interaction.Kind.RATING)
    return {
        "item": item.pk,
        "kind": kind,
        "pressed": is_set,
        "message": DONE_MESSAGES[(kind, is_set)],
        "states": {
            **{state: state in states for state in Interaction.STATE_KINDS if state != Interaction.Kind.RATING},
            "rating": int(rating.value) if rating else None,
        },
    }
