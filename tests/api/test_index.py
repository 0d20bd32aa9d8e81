"""`/api/v1/`: the map of the API."""

from django.urls import reverse

from tests import factories
from tests.api.utils import token_client


def test_index_lists_resources_with_absolute_urls_for_anyone(api, db):
    response = api.get("/api/v1/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["resources"]["items"] == "http://testserver/api/v1/items/"
    assert body["resources"]["feed"] == "http://testserver/api/v1/feed/"
    assert body["resources"]["interactions"] == "http://testserver/api/v1/interactions/"
    assert all(url.startswith("http://testserver/api/v1/") for url in body["resources"].values())
    assert (body["schema"], body["docs"]) == ("http://testserver/api/v1/schema/", "http://testserver/api/v1/docs/")
    assert body["authentication"]["header"] == "Authorization: Token <key>"
    assert body["authentication"]["token_url"] == "http://testserver/api/v1/auth/token/"


def test_every_listed_resource_answers_a_signed_in_reader(db):
    reader = token_client(factories.UserFactory())
    body = reader.get("/api/v1/").json()
    writes_only = {"items_bulk_upsert", "interactions_batch", "auth_token", "auth_token_revoke"}
    for name, url in body["resources"].items():
        if name not in writes_only:
            assert reader.get(url).status_code == 200, name


def test_index_urls_name_the_host_the_request_came_to(api, db, settings):
    settings.ALLOWED_HOSTS = ["api.example.org"]
    body = api.get(reverse("api_index"), HTTP_HOST="api.example.org").json()
    assert body["resources"]["popular"] == "http://api.example.org/api/v1/popular/"
