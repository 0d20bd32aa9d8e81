from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from platform_site.ratelimit import rate_limit_hit, wait_in_words


def redirect_back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """Go back to the page a small POST form came from; only ever to this site, never an open redirect."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


def user_or_none(request: HttpRequest):
    return request.user if request.user.is_authenticated else None


def form_rate_limited(
    request: HttpRequest,
    form: forms.Form,
    *,
    limit: str,
    field: str | None = None,
    meanwhile: str = "what you typed is still here.",
) -> int | None:
    """Count one use of a rate limit for this form's action; when over it, put the reason on the form.

    Returns the seconds to wait, or None. The caller shows the same page again, so whatever was typed stays filled in.
    """
    wait = rate_limit_hit(request, name=limit)
    if wait is not None:
        form.add_error(
            field,
            f"You have done this a lot in a short while. Please try again in {wait_in_words(wait)}; {meanwhile}",
        )
    return wait


def too_many_requests(response: HttpResponse, wait: int) -> HttpResponse:
    response.status_code = 429
    response["Retry-After"] = str(wait)
    return response
