"""Recording feedback: one state per kind, likes and dislikes exclude each other, retries are not counted twice."""

import pytest
from django.core.exceptions import ValidationError

from content import services
from content.models import Interaction
from recommendations import tasks as rec_tasks
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def refreshes(monkeypatch):
    sent = []
    monkeypatch.setattr(rec_tasks.refresh_user_interests, "delay", sent.append)
    return sent


def test_liking_twice_keeps_one_like(books):
    user, item = factories.UserFactory(), factories.ItemFactory(domain=books)

    _, first = services.interaction_record(user=user, item=item, kind="like")
    _, second = services.interaction_record(user=user, item=item, kind="like")

    assert (first, second) == (True, False)
    assert Interaction.objects.filter(user=user, item=item).count() == 1


def test_dislike_replaces_a_like(books):
    user, item = factories.UserFactory(), factories.ItemFactory(domain=books)
    services.interaction_record(user=user, item=item, kind="like")

    services.interaction_record(user=user, item=item, kind="dislike")

    assert list(Interaction.objects.filter(user=user, item=item).values_list("kind", flat=True)) == ["dislike"]


def test_repeated_client_id_returns_the_first_interaction(books):
    user, item = factories.UserFactory(), factories.ItemFactory(domain=books)
    first, _ = services.interaction_record(user=user, item=item, kind="view", client_id="tap-1")

    again, created = services.interaction_record(user=user, item=item, kind="view", client_id="tap-1")

    assert (again, created) == (first, False)
    assert Interaction.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("kind", "value", "field"),
    [("poke", None, "kind"), ("rating", None, "value"), ("rating", 6, "value"), ("rating", 0, "value")],
)
def test_invalid_feedback_is_a_validation_error(books, kind, value, field):
    with pytest.raises(ValidationError) as error:
        services.interaction_record(
            user=factories.UserFactory(), item=factories.ItemFactory(domain=books), kind=kind, value=value
        )

    assert field in error.value.message_dict
    assert not Interaction.objects.exists()


def test_value_of_a_non_rating_is_dropped(books):
    interaction, _ = services.interaction_record(
        user=factories.UserFactory(), item=factories.ItemFactory(domain=books), kind="like", value=5
    )

    assert Interaction.objects.get(pk=interaction.pk).value is None


def test_feedback_queues_an_interest_refresh_after_commit(books, refreshes, django_capture_on_commit_callbacks):
    user = factories.UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.interaction_record(user=user, item=factories.ItemFactory(domain=books), kind="save")
        assert refreshes == []

    assert refreshes == [user.pk]


def test_retried_batch_changes_nothing_and_queues_nothing(books, refreshes, django_capture_on_commit_callbacks):
    user, item = factories.UserFactory(), factories.ItemFactory(domain=books)
    entries = [{"item": item, "kind": "view", "client_id": "a"}, {"item": item, "kind": "like", "client_id": "b"}]
    with django_capture_on_commit_callbacks(execute=True):
        first = services.interactions_record_batch(user=user, entries=entries)

    with django_capture_on_commit_callbacks(execute=True):
        retry = services.interactions_record_batch(user=user, entries=entries)

    assert [outcome for _, outcome in first] == ["created", "created"]
    assert [outcome for _, outcome in retry] == ["duplicate", "duplicate"]
    assert Interaction.objects.filter(user=user).count() == 2
    assert refreshes == [user.pk]


def test_removing_another_users_interaction_does_nothing(books):
    owner, stranger = factories.UserFactory(), factories.UserFactory()
    interaction = factories.InteractionFactory(user=owner, item=factories.ItemFactory(domain=books))

    assert services.interaction_remove(user=stranger, interaction_id=interaction.pk) is False
    assert Interaction.objects.filter(pk=interaction.pk).exists()
    assert services.interaction_remove(user=owner, interaction_id=interaction.pk) is True
