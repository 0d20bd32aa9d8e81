import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from content.models import Item, Profile
from tests import factories
from tests.factories import png_bytes


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Pictures a test stores land in its own folder, never in the developer's."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_catalog_lists():
    """The recommender keeps lists that are the same for everyone (popular, fresh) per process; each test has its own rows."""
    from recommendations.sources import hnsw
    from recommendations.sources.database import shared

    shared.reset()
    hnsw.forget()
    yield
    shared.reset()
    hnsw.forget()


@pytest.fixture
def check_constraints_now(db):
    """Run what the worker runs after a commit: PostgreSQL builds no index over foreign keys a test's transaction has
    not checked yet."""

    def check():
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    return check


@pytest.fixture
def build_domain_indexes(check_constraints_now):
    """Build every domain's vector index, as the worker's task does."""
    from content import domain_indexes

    def build() -> dict:
        check_constraints_now()
        return domain_indexes.ensure()

    return build


@pytest.fixture
def domains(db):
    return {
        slug: factories.DomainFactory(slug=slug, name=slug.title())
        for slug in ("articles", "books", "movies", "courses", "podcasts")
    }


@pytest.fixture
def embed_everything(db):
    """Do synchronously, with the real model, what the worker does after commit: embed rows, rebuild interests."""

    def run():
        from content import vectors
        from recommendations.services import interests as rec_interests
        from recommendations.services import statistics as rec_statistics

        vectors.items_embed(item_ids=list(Item.objects.values_list("pk", flat=True)))
        for profile_id in Profile.objects.values_list("pk", flat=True):
            vectors.profile_embed(profile_id=profile_id)
        rec_statistics.item_stats_refresh()
        rec_statistics.neighbours_refresh()
        from django.contrib.auth import get_user_model

        for user_id in get_user_model().objects.values_list("pk", flat=True):
            rec_interests.interests_refresh(user_id=user_id)

    return run


@pytest.fixture
def rate_limits(settings):
    """Set the site's RATE_LIMITS for one test, e.g. rate_limits(bio="1/hour"); None turns one off."""

    def set_limits(**limits):
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, **limits}

    return set_limits


@pytest.fixture
def trusted_proxies(settings):
    """Say how many proxies append to X-Forwarded-For (TRUSTED_PROXY_COUNT) for one test."""

    def set_count(count: int):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}

    return set_count


@pytest.fixture
def image_server():
    """A local web server: /cover.png is a picture, /page.html is not, anything else is 404."""
    bodies = {"/cover.png": png_bytes(), "/page.html": b"<html>not a picture</html>"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            body = bodies.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
