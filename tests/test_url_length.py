"""Addresses over the site's length limit are a 414 from the site itself: JSON under /api/, a page elsewhere."""

import runpy
from pathlib import Path

import pytest
from django.conf import settings

from platform_site.middleware import MAX_URL_LENGTH
from tests.api.utils import assert_error

pytestmark = pytest.mark.django_db


def test_too_long_api_address_is_the_apis_json_414(client):
    query = "x" * MAX_URL_LENGTH

    assert_error(client.get("/api/v1/items/", {"q": query}), 414, "request_uri_too_long")


def test_too_long_page_address_is_a_page(client):
    response = client.get("/" + "x" * MAX_URL_LENGTH + "/")

    assert response.status_code == 414
    assert "too long" in response.content.decode()


def test_address_at_the_limit_is_served(client):
    path = "/api/v1/items/?q="
    response = client.get(path + "x" * (MAX_URL_LENGTH - len(path)))

    assert response.status_code != 414


def test_gunicorn_reads_longer_request_lines_than_the_site_accepts():
    config = runpy.run_path(str(Path(settings.BASE_DIR, "platform_site", "gunicorn.conf.py")))

    # "GET <address> HTTP/1.1": the method and version must fit beside the longest address.
    assert config["limit_request_line"] >= MAX_URL_LENGTH + len("OPTIONS  HTTP/1.1")
