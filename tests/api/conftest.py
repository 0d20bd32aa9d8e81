import pytest
from rest_framework.test import APIClient

from tests import factories
from tests.api.utils import token_client


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def user(db):
    return factories.UserFactory(username="reader")


@pytest.fixture
def staff(db):
    return factories.UserFactory(username="editor", is_staff=True)


@pytest.fixture
def user_api(user):
    return token_client(user)


@pytest.fixture
def staff_api(staff):
    return token_client(staff)


@pytest.fixture
def other_user(db):
    return factories.UserFactory(username="someone-else")


@pytest.fixture
def throttle_rates(settings):
    """Set throttle rates for one test, e.g. throttle_rates(anon="2/minute")."""

    def set_rates(**rates):
        current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**current, **rates}}

    return set_rates
