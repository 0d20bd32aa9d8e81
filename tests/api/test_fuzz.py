"""Property-based requests against the live schema: no 5xx, and every response matches what the schema promises."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.services import token_issue
from tests import factories

CASES_PER_OPERATION = 50
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@pytest.fixture
def fuzz_data(transactional_db, settings, embed_everything):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None, "auth": None},
    }
    settings.AXES_ENABLED = False
    domains = [factories.DomainFactory(slug=slug) for slug in ("books", "movies", "podcasts")]
    for number in range(6):
        factories.ItemFactory(domain=domains[number % 3], external_id=f"fuzz-{number}")
    staff = factories.UserFactory(username="fuzz-staff", is_staff=True)
    factories.InteractionFactory(user=staff, item=factories.ItemFactory(domain=domains[0]), kind="like")
    embed_everything()
    return staff


def _fuzz(operation, base_url: str, user) -> tuple[int, str | None]:
    """Run generated cases against one operation; returns how many ran and the failure, if any."""
    calls = []

    @hypothesis_settings(
        max_examples=CASES_PER_OPERATION,
        phases=[Phase.explicit, Phase.generate],
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        # Issued per case: the revoke operation may have ended the previous token.
        headers = {"Authorization": f"Token {token_issue(user=user).key}"}
        response = case.call(base_url=base_url, headers=headers)
        calls.append(response.status_code)
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, report them together
        return len(calls), f"{operation.label}: {exc}"
    return len(calls), None


@pytest.mark.slow
def test_every_operation_survives_generated_requests(live_server, fuzz_data):
    schema = schemathesis.openapi.from_url(live_server.url + "/api/v1/schema/")
    counts = {}
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        counts[operation.label], failure = _fuzz(operation, live_server.url, fuzz_data)
        if failure:
            failures.append(failure)
    print("\n".join(f"{label}: {count} cases" for label, count in sorted(counts.items())))
    assert not failures, "\n\n".join(failures)
    assert len(counts) == 22
    # An operation that takes no input at all has only one distinct request to make.
    without_input = {"GET /api/v1/domains/", "POST /api/v1/auth/token/revoke/"}
    assert all(count >= CASES_PER_OPERATION for label, count in counts.items() if label not in without_input), counts
    assert all(counts[label] >= 1 for label in without_input)
