from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "content"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The site's own deploy checks register on import; platform_site is configuration, not an app.
        from platform_site import checks  # noqa: F401
