"""The OpenAPI description and its viewers."""

import pytest
import yaml
from django.urls import reverse

OPERATIONS = {
    ("/api/v1/", "get"), ("/api/v1/auth/token/", "post"), ("/api/v1/auth/token/revoke/", "post"), ("/api/v1/domains/", "get"), ("/api/v1/items/", "get"),
    ("/api/v1/items/", "post"), ("/api/v1/items/{id}/", "get"), ("/api/v1/items/{id}/", "patch"),
    ("/api/v1/items/{id}/", "delete"), ("/api/v1/items/{id}/similar/", "get"), ("/api/v1/items/bulk-upsert/", "post"),
    ("/api/v1/feed/", "get"), ("/api/v1/popular/", "get"), ("/api/v1/interactions/", "get"),
    ("/api/v1/interactions/", "post"), ("/api/v1/interactions/batch/", "post"), ("/api/v1/interactions/{id}/", "get"),
    ("/api/v1/interactions/{id}/", "delete"), ("/api/v1/me/profile/", "get"), ("/api/v1/me/profile/", "patch"),
    ("/api/v1/me/interests/", "get"), ("/api/v1/me/domains/", "get"), ("/api/v1/me/domains/", "put"),
}  # fmt: skip
# Writes that take no input.
WITHOUT_BODY = {("/api/v1/auth/token/revoke/", "post")}


@pytest.fixture
def schema(api, db):
    response = api.get(reverse("api_schema"))
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_openapi_3_and_lists_every_operation(schema):
    assert schema["openapi"].startswith("3.")
    listed = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert listed == OPERATIONS


def test_every_operation_documents_success_and_error_responses(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert any(code.startswith("2") for code in codes), (path, method)
            assert "429" in codes, (path, method)
            error = operation["responses"]["429"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}
            if method in {"post", "put", "patch"} and (path, method) not in WITHOUT_BODY:
                assert "requestBody" in operation, (path, method)
                assert {"400", "413"} <= codes, (path, method)


def test_schema_never_offers_vectors_or_staff_flags_for_writing(schema):
    writable = " ".join(
        str(component) for name, component in schema["components"]["schemas"].items() if "Request" in name
    )
    for name in ("embedding", "embedding_hash", "embedding_model", "is_staff", "has_embedding"):
        assert f"'{name}'" not in writable


def test_batch_limits_are_documented(schema):
    batch = schema["components"]["schemas"]["InteractionBatchRequestRequest"]["properties"]["interactions"]
    assert batch["maxItems"] == 500


def _arrays(node, where: str):
    if isinstance(node, dict):
        if node.get("type") == "array":
            yield where, node
        for key, value in node.items():
            yield from _arrays(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _arrays(value, f"{where}[{index}]")


def test_every_list_a_request_body_can_carry_is_capped(schema):
    requests = {name: component for name, component in schema["components"]["schemas"].items() if "Request" in name}
    arrays = list(_arrays(requests, "components"))
    assert arrays
    assert [where for where, array in arrays if "maxItems" not in array] == []
    domains = requests["DomainPreferencesInputRequest"]["properties"]["domains"]
    assert domains["maxItems"] == 50


@pytest.mark.parametrize("name", ["api_docs", "api_redoc"])
def test_docs_pages_render(api, db, name):
    response = api.get(reverse(name))
    assert response.status_code == 200
    assert b"/api/v1/schema/" in response.content


# Reads anyone may make; the rest need a signed-in caller.
PUBLIC = {
    ("/api/v1/", "get"), ("/api/v1/domains/", "get"), ("/api/v1/items/", "get"), ("/api/v1/items/{id}/", "get"),
    ("/api/v1/items/{id}/similar/", "get"), ("/api/v1/feed/", "get"), ("/api/v1/popular/", "get"),
}  # fmt: skip
PAGINATED = {"/api/v1/items/", "/api/v1/interactions/", "/api/v1/feed/", "/api/v1/popular/"}


def test_public_reads_need_no_token_and_the_rest_do(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if (path, method) == ("/api/v1/auth/token/", "post"):
                continue
            optional = {} in operation["security"]
            assert optional == ((path, method) in PUBLIC), (path, method, operation["security"])


def test_every_list_documents_its_paging_and_one_page_shape(schema):
    for path in PAGINATED:
        operation = schema["paths"][path]["get"]
        assert {"cursor", "page_size"} <= {parameter["name"] for parameter in operation["parameters"]}, path
        page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert set(schema["components"]["schemas"][page]["properties"]) == {"results", "next", "next_cursor", "total"}


def test_interaction_list_documents_its_item_summary(schema):
    entry = schema["components"]["schemas"]["InteractionWithItem"]["properties"]
    assert entry["item"]["type"] == "integer"
    assert entry["item_summary"]["allOf"] == [{"$ref": "#/components/schemas/InteractionItem"}]
