from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from web.views import accounts, feed, items, profile, saved

urlpatterns = [
    path("", feed.home, name="home"),
    path("feed/explore/", feed.explore_save, name="explore_save"),
    path("items/<int:pk>/", items.item_detail, name="item_detail"),
    path("items/<int:pk>/feedback/", items.item_feedback, name="item_feedback"),
    path("items/<int:pk>/viewed/", items.item_viewed, name="item_viewed"),
    path("signup/", accounts.signup, name="signup"),
    path("welcome/", accounts.onboarding, name="onboarding"),
    path("me/", profile.profile, name="profile"),
    path("me/saved/", saved.saved, name="saved"),
    path("me/history/<int:interaction_id>/undo/", profile.history_undo, name="history_undo"),
    path("me/reset/", profile.recommendations_reset, name="recommendations_reset"),
    path("accounts/logout/", accounts.LogoutConfirmView.as_view(), name="logout"),
    path("accounts/password_reset/", accounts.RateLimitedPasswordResetView.as_view(), name="password_reset"),
    # login, password change and password reset, with templates in templates/registration/.
    path("accounts/", include("django.contrib.auth.urls")),
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
]
