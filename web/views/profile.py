from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from content.selectors import domain_list, feedback_history
from content.services import interaction_remove, interactions_reset, profile_get_or_create, profile_update
from recommendations.selectors import interest_summary
from web.forms import ProfileForm
from web.services import profile_personalize_now
from web.views.helpers import form_rate_limited, too_many_requests


def _domain_bars(scores: dict[str, float]) -> list[dict]:
    """Every domain with its score as a percentage, strongest first, for the bar chart."""
    bars = [
        {
            "name": domain.name,
            "slug": domain.slug,
            "percent": round(100 * min(1.0, max(0.0, scores.get(domain.slug, 0.0)))),
        }
        for domain in domain_list()
    ]
    return sorted(bars, key=lambda bar: -bar["percent"])


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    current = profile_get_or_create(user=request.user)
    form = ProfileForm(request.POST or None, initial={"display_name": current.display_name, "bio": current.bio})
    wait = None
    if request.method == "POST" and form.is_valid():
        bio_changed = form.cleaned_data["bio"].strip() != current.bio
        wait = form_rate_limited(request, form, limit="bio", field="bio") if bio_changed else None
        if not wait:
            profile_update(
                user=request.user, bio=form.cleaned_data["bio"], display_name=form.cleaned_data["display_name"]
            )
            if bio_changed:
                profile_personalize_now(user=request.user)
            messages.success(request, "Profile saved.")
            return redirect("profile")
    summary = interest_summary(user=request.user)
    context = {
        "form": form,
        "profile": current,
        "bars": _domain_bars(summary.get("domains") or {}),
        "interests": summary.get("interests") or [],
        "computed_at": summary.get("computed_at"),
        "history": feedback_history(user=request.user),
    }
    response = render(request, "web/profile.html", context)
    return too_many_requests(response, wait) if wait else response


@login_required
@require_POST
def history_undo(request, interaction_id: int):
    # interaction_remove only deletes the user's own rows, so someone else's id changes nothing.
    if not interaction_remove(user=request.user, interaction_id=interaction_id):
        raise Http404("No such entry in your history.")
    messages.success(request, "Undone.")
    return redirect("profile")


@login_required
@require_POST
def recommendations_reset(request):
    count = interactions_reset(user=request.user)
    messages.success(request, f"Your history is cleared ({count} entries). Recommendations start again from your bio.")
    return redirect("profile")
