from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from content.selectors import feedback_states, saved_list

PAGE_SIZE = 20


@login_required
def saved(request):
    """What the person saved for later, newest first."""
    page = Paginator(saved_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    entries = [{"item": interaction.item, "saved_at": interaction.created_at} for interaction in page]
    context = {
        "page": page,
        "entries": entries,
        "states": feedback_states(user=request.user, item_ids=[entry["item"].pk for entry in entries]),
    }
    return render(request, "web/saved.html", context)
