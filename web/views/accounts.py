from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LogoutView, PasswordResetView
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from content.services import profile_get_or_create, profile_update
from web.forms import OnboardingForm, SignupForm
from web.services import profile_personalize_now, user_sign_up
from web.views.helpers import form_rate_limited, too_many_requests

# Two authentication backends are configured (axes and the model backend), so login() must be told which.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = form_rate_limited(request, form, limit="signup")
        if wait:
            return too_many_requests(render(request, "registration/signup.html", {"form": form}), wait)
        user = user_sign_up(form=form)
        login(request, user, backend=MODEL_BACKEND)
        return redirect("onboarding")
    return render(request, "registration/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def onboarding(request):
    profile = profile_get_or_create(user=request.user)
    initial = {"bio": profile.bio, "domains": profile.preferred_domains.all()}
    form = OnboardingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["bio"].strip() != profile.bio:
            wait = form_rate_limited(request, form, limit="bio", field="bio")
            if wait:
                return too_many_requests(render(request, "web/onboarding.html", {"form": form}), wait)
        profile_update(user=request.user, bio=form.cleaned_data["bio"], preferred_domains=form.cleaned_data["domains"])
        if not profile_personalize_now(user=request.user):
            messages.info(request, "Your feed is being tailored; refresh in a moment to see it change.")
        return redirect("home")
    return render(request, "web/onboarding.html", {"form": form})


class LogoutConfirmView(LogoutView):
    """Logging out changes state, so it takes a POST; a plain link (GET) asks first instead of failing."""

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        return render(request, "registration/logout_confirm.html")


class RateLimitedPasswordResetView(PasswordResetView):
    """Each request may send an email, so how often one address may ask is limited."""

    def form_valid(self, form):
        wait = form_rate_limited(self.request, form, limit="password_reset")
        if wait:
            return too_many_requests(self.form_invalid(form), wait)
        return super().form_valid(form)
