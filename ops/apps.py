from django.apps import AppConfig


class OpsConfig(AppConfig):
    """The tooling that runs, loads, breaks and measures the site. Nothing in the site imports it."""

    name = "ops"
    default_auto_field = "django.db.models.BigAutoField"
