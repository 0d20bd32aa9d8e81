from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from platform_site.media import media

urlpatterns = [
    # Liveness (/-/alive/: the process answers) and readiness (/-/health/: database, cache, migrations; 503 if not).
    path("-/", include("django_alive.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("api/", include("api.unmatched_urls")),
    path(f"{settings.MEDIA_URL.lstrip('/')}<path:path>", media, name="media"),
    path("", include("web.urls")),
]
