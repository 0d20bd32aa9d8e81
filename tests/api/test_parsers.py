"""JSON bodies nested without end are refused with the API's 400, before they can exhaust the parser's stack."""

import json

import pytest
from django.urls import reverse

from tests.api.utils import assert_error

MAX_JSON_DEPTH = 32  # api.parsers.MAX_JSON_DEPTH (importing it first would load DRF's settings half-way)


def nested(depth: int, *, opener="[", closer="]") -> str:
    return opener * depth + closer * depth


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
def test_deeply_nested_json_is_a_400_without_logging_in(api, db, depth):
    response = api.post(reverse("api_auth_token"), data=nested(depth), content_type="application/json")

    error = assert_error(response, 400, "parse_error")
    assert "nested" in error["message"]


def test_deeply_nested_objects_are_a_400_for_a_signed_in_person(user_api):
    body = '{"a":' * 1_000 + "1" + "}" * 1_000

    response = user_api.post(reverse("api_interactions"), data=body, content_type="application/json")

    assert_error(response, 400, "parse_error")


def test_json_nested_within_the_limit_is_parsed(api, db):
    body = json.dumps({"username": "nobody", "password": "wrong-password"})

    response = api.post(reverse("api_auth_token"), data=body, content_type="application/json")

    assert response.status_code != 400 or response.json()["error"]["code"] != "parse_error"
