"""Property-based requests against the live schema, as each kind of caller, with valid and invalid input.

No 5xx, every response matches what the schema promises, and one user's interactions stay invisible to another.
"""

import time

import pytest
import schemathesis
from hypothesis import Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from api.services import token_issue
from content.models import Interaction
from tests import factories

CASES_PER_OPERATION = 30  # per role, valid and invalid input drawn together
# Beyond "no 5xx": every answer is one the schema lists, in its shape and content type; input the schema calls
# invalid is refused; and an operation the schema says needs a token does not answer without one.
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    negative_data_rejection,
    ignored_auth,
]
# The batch takes a partly invalid list by design, answering each entry on its own (`rejected`, with its errors).
ANSWERS_EACH_ENTRY = {"POST /api/v1/interactions/batch/"}
OPERATIONS = 23
# No health check is suppressed: generation stays well within Hypothesis' budgets even on a loaded 2-core machine, and
# invalid input is only asked of operations that have something to make invalid (see _cases).


@pytest.fixture
def fuzz_data(transactional_db, settings, embed_everything):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None, "auth": None},
    }
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS)
    settings.AXES_ENABLED = False
    domains = [factories.DomainFactory(slug=slug) for slug in ("books", "movies", "podcasts")]
    items = [factories.ItemFactory(domain=domains[n % 3], external_id=f"fuzz-{n}") for n in range(6)]
    users = {
        "reader": factories.UserFactory(username="fuzz-reader"),
        "staff": factories.UserFactory(username="fuzz-staff", is_staff=True),
        "owner": factories.UserFactory(username="fuzz-owner"),
    }
    for user in users.values():
        factories.InteractionFactory(user=user, item=items[0], kind="like")
        factories.InteractionFactory(user=user, item=items[1], kind="save")
    embed_everything()
    return users


def _headers(user) -> dict:
    # Issued per case: the revoke operation may have ended the previous token.
    return {"Authorization": f"Token {token_issue(user=user).key}"} if user else {}


def _cases(operation) -> st.SearchStrategy:
    """Valid and invalid requests drawn together.

    Invalid ones only where the client chooses path, query or body: the Authorization header and session cookie the
    schema lists are the role's own, so an operation without other input has nothing to make invalid, and Hypothesis
    would throw away every draw trying.
    """
    modes = [GenerationMode.POSITIVE]
    if len(operation.path_parameters) or len(operation.query) or len(operation.body):
        modes.append(GenerationMode.NEGATIVE)
    return st.one_of([operation.as_strategy(mode) for mode in modes])


def _fuzz(operation, base_url: str, user) -> tuple[list[GenerationMode], str | None]:
    """Run generated cases against one operation; returns the mode of each case that ran and the failure, if any."""
    calls = []
    checks = [
        check for check in CHECKS if not (check is negative_data_rejection and operation.label in ANSWERS_EACH_ENTRY)
    ]

    @hypothesis_settings(
        max_examples=CASES_PER_OPERATION,
        phases=[Phase.explicit, Phase.generate],
        deadline=None,
        database=None,
    )
    @given(case=_cases(operation))
    def run(case):
        headers = _headers(user)
        response = case.call(base_url=base_url, headers=headers)
        calls.append(case.meta.generation.mode)
        case.validate_response(response, checks=checks, headers=headers)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, report them together
        return calls, f"{operation.label}: {exc}"
    return calls, None


@pytest.mark.slow
def test_every_operation_survives_generated_requests_in_every_role(live_server, fuzz_data):
    schema = schemathesis.openapi.from_url(live_server.url + "/api/v1/schema/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == OPERATIONS
    modes = {}
    failures = []
    started = time.monotonic()
    for role, user in (("anonymous", None), ("user", fuzz_data["reader"]), ("staff", fuzz_data["staff"])):
        for operation in operations:
            modes[role, operation.label], failure = _fuzz(operation, live_server.url, user)
            if failure:
                failures.append(f"[{role}] {failure}")
    counts = {key: len(ran) for key, ran in modes.items()}
    invalid = sum(ran.count(GenerationMode.NEGATIVE) for ran in modes.values())
    print(f"\n{sum(counts.values())} requests ({invalid} with invalid input) in {time.monotonic() - started:.0f}s")
    print("\n".join(f"{role:9} {label}: {count} cases" for (role, label), count in sorted(counts.items())))
    assert not failures, "\n\n".join(failures)
    assert invalid > sum(counts.values()) / 4
    # An operation that takes no input at all has only one distinct request to make.
    without_input = {"GET /api/v1/domains/", "GET /api/v1/"}
    assert all(count >= CASES_PER_OPERATION for (_, label), count in counts.items() if label not in without_input), (
        counts
    )
    assert all(count >= 1 for count in counts.values())


@pytest.mark.slow
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_another_users_interactions_are_not_found(live_server, fuzz_data, method):
    owner, reader = fuzz_data["owner"], fuzz_data["reader"]
    owned = list(Interaction.objects.filter(user=owner).values_list("pk", flat=True))
    schema = schemathesis.openapi.from_url(live_server.url + "/api/v1/schema/")
    operation = schema["/api/v1/interactions/{id}/"][method]
    seen = set()

    @hypothesis_settings(
        max_examples=10,
        phases=[Phase.generate],
        deadline=None,
        database=None,
    )
    @given(case=st.sampled_from(owned).flatmap(lambda pk: operation.as_strategy(path_parameters={"id": pk})))
    def run(case):
        response = case.call(base_url=live_server.url, headers=_headers(reader))
        seen.add(case.path_parameters["id"])
        assert response.status_code == 404, (case.path_parameters, response.status_code, response.text)
        assert response.json()["error"]["code"] == "not_found"

    run()
    assert seen == set(owned)
    assert set(Interaction.objects.filter(user=owner).values_list("pk", flat=True)) == set(owned)
