"""The database refuses bad rows even when code skips model validation (objects.create, bulk paths)."""

from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction

from content.models import DEFAULT_EXPLORE, DESCRIPTION_MAX_LENGTH, Interaction, Item, Profile
from tests import factories

pytestmark = pytest.mark.django_db


@contextmanager
def refused():
    """Expect an IntegrityError inside a savepoint, so the test transaction stays usable."""
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


@pytest.mark.parametrize("value", [0, 0.99, 5.01, 6, None])
def test_rating_outside_one_to_five_is_refused(value):
    item = factories.ItemFactory()
    user = factories.UserFactory()

    with refused():
        Interaction.objects.create(user=user, item=item, kind="rating", value=value)


@pytest.mark.parametrize("value", [1, 3.5, 5])
def test_rating_inside_one_to_five_is_stored(value):
    interaction = Interaction.objects.create(
        user=factories.UserFactory(), item=factories.ItemFactory(), kind="rating", value=value
    )

    assert Interaction.objects.get(pk=interaction.pk).value == value


@pytest.mark.parametrize("kind", ["like", "view", "hide"])
def test_non_rating_interaction_with_a_value_is_refused(kind):
    with refused():
        Interaction.objects.create(user=factories.UserFactory(), item=factories.ItemFactory(), kind=kind, value=4)


@pytest.mark.parametrize("title", ["", "   ", "\t\n"])
def test_blank_item_title_is_refused(title):
    domain = factories.DomainFactory()

    with refused():
        Item.objects.create(domain=domain, title=title)


def test_blank_item_title_is_refused_in_bulk_create():
    domain = factories.DomainFactory()

    with refused():
        Item.objects.bulk_create([Item(domain=domain, title="Fine"), Item(domain=domain, title=" ")])

    assert not Item.objects.exists()


def test_description_longer_than_limit_is_refused():
    domain = factories.DomainFactory()

    with refused():
        Item.objects.create(domain=domain, title="Long", description="x" * (DESCRIPTION_MAX_LENGTH + 1))


def test_description_longer_than_limit_is_refused_by_queryset_update():
    item = factories.ItemFactory()

    with refused():
        Item.objects.filter(pk=item.pk).update(description="x" * (DESCRIPTION_MAX_LENGTH + 1))


def test_description_at_the_limit_is_stored():
    item = Item.objects.create(domain=factories.DomainFactory(), title="Long", description="x" * DESCRIPTION_MAX_LENGTH)

    assert len(Item.objects.get(pk=item.pk).description) == DESCRIPTION_MAX_LENGTH


def test_a_user_has_at_most_one_profile():
    user = factories.UserFactory()
    Profile.objects.create(user=user)

    with refused():
        Profile.objects.create(user=user)


@pytest.mark.parametrize("kind", Interaction.STATE_KINDS)
def test_a_state_interaction_exists_once_per_user_and_item(kind):
    user, item = factories.UserFactory(), factories.ItemFactory()
    value = 4 if kind == "rating" else None
    Interaction.objects.create(user=user, item=item, kind=kind, value=value)

    with refused():
        Interaction.objects.create(user=user, item=item, kind=kind, value=value)


def test_the_same_item_may_be_viewed_many_times():
    user, item = factories.UserFactory(), factories.ItemFactory()

    Interaction.objects.bulk_create([Interaction(user=user, item=item, kind="view") for _ in range(3)])

    assert Interaction.objects.filter(user=user, item=item, kind="view").count() == 3


def test_client_id_is_unique_per_user():
    user = factories.UserFactory()
    Interaction.objects.create(user=user, item=factories.ItemFactory(), kind="view", client_id="abc")

    with refused():
        Interaction.objects.create(user=user, item=factories.ItemFactory(), kind="click", client_id="abc")


def test_two_users_may_use_the_same_client_id():
    item = factories.ItemFactory()

    Interaction.objects.create(user=factories.UserFactory(), item=item, kind="view", client_id="abc")
    Interaction.objects.create(user=factories.UserFactory(), item=item, kind="view", client_id="abc")

    assert Interaction.objects.filter(client_id="abc").count() == 2


@pytest.mark.parametrize("explore", [-0.01, 1.01, 1.5])
def test_explore_outside_zero_to_one_is_refused(explore):
    with refused():
        Profile.objects.create(user=factories.UserFactory(), explore=explore)


def test_explore_outside_zero_to_one_is_refused_by_queryset_update():
    profile = factories.ProfileFactory()

    with refused():
        Profile.objects.filter(pk=profile.pk).update(explore=2)

    profile.refresh_from_db()
    assert profile.explore == pytest.approx(DEFAULT_EXPLORE)
