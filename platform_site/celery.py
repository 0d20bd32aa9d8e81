import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings")

app = Celery("platform_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.celeryd_init.connect
def check_before_starting(**kwargs):
    """Before the worker connects or forks: the embedded servers started or joined (when the settings describe them),
    then a database, broker or model that is not there stops it with one line instead of a retry loop or tasks that
    fail one by one."""
    from platform_site import embedded, preflight

    embedded.ensure_started()
    preflight.run_or_exit()


@signals.beat_init.connect
def attach_before_scheduling(**kwargs):
    """Before beat sends its first task: without CELERY_BROKER_URL, its broker is the embedded Redis."""
    from platform_site import embedded

    embedded.ensure_started()
