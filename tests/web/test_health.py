"""Health probes for load balancers and orchestrators: liveness, and readiness against the real database and cache."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_live_process_answers_ok(client):
    response = client.get("/-/alive/")

    assert response.status_code == 200
    assert response.content == b"ok"


def test_a_ready_process_reports_healthy(client):
    response = client.get("/-/health/")

    assert response.status_code == 200
    assert response.json() == {"healthy": True}


def test_probes_by_address_pass_the_host_check_the_site_keeps(client, settings):
    settings.ALLOWED_HOSTS = ["platform.example.com"]

    assert client.get("/-/health/", HTTP_HOST="10.0.3.7:8000").status_code == 200
    assert client.get("/", HTTP_HOST="10.0.3.7:8000").status_code == 400


def test_probes_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/-/health/").status_code == 200
    assert client.get("/").status_code == 301


def test_an_unreachable_cache_makes_the_process_not_ready(client, settings):
    # A Redis port nothing listens on: the cache this process would serve feeds from is gone.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    response = client.get("/-/health/")

    assert response.status_code == 503
    assert response.json() == {"healthy": False, "errors": ["cache error"]}
