"""The recommender reads vectors through psycopg's own cursors: a connection lost there is an outage like any other
(503, try again), not a server error."""

import psycopg
import pytest
from django.urls import reverse

from api.views import catalog as catalog_views
from web.views import items as item_views

pytestmark = pytest.mark.django_db


@pytest.fixture
def vector_reads_fail(monkeypatch):
    def lost(**kwargs):
        raise psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly")

    monkeypatch.setattr(item_views, "similar_items", lost)
    monkeypatch.setattr(catalog_views.rec_selectors, "similar_items", lost)


def test_item_page_answers_503_when_the_database_drops_mid_request(client, catalog, vector_reads_fail):
    item = next(iter(catalog.values()))[0]

    response = client.get(reverse("item_detail", args=[item.pk]))

    assert response.status_code == 503
    assert response["Retry-After"]


def test_api_answers_503_with_json_when_the_database_drops_mid_request(client, catalog, vector_reads_fail):
    item = next(iter(catalog.values()))[0]

    response = client.get(reverse("api_item_similar", args=[item.pk]))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
