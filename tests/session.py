"""The test session: loaded before the settings are (pytest.ini: -p tests.session)."""

import os

# Before the settings are read, and inherited by every process a test starts: a test run is a local run even against
# a DATABASE_URL (it needs no secret key of its own), and tests never touch the development queue.
os.environ.setdefault("DJANGO_ENV", "local")
os.environ.setdefault("CELERY_QUEUE", "platform-test")


def pytest_sessionstart(session):
    """Start (or join) the embedded servers before any test reaches the database."""
    from platform_site import embedded

    embedded.ensure_started()
