"""Embedding is queued only once a write commits, and a broker outage never loses the write."""

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from content import services, tasks, vectors
from content.models import Item
from tests import factories

pytestmark = pytest.mark.django_db


def test_item_create_enqueues_embedding_of_the_item_after_commit(books, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        item = services.item_create(domain=books, title="The Sea Around Us")
        assert sent_tasks.calls == []

    assert sent_tasks.args_of(tasks.embed_items) == [([item.pk],)]


def test_item_update_enqueues_embedding_of_the_item_after_commit(books, sent_tasks, django_capture_on_commit_callbacks):
    item = factories.ItemFactory(domain=books)

    with django_capture_on_commit_callbacks(execute=True):
        services.item_update(item=item, title="A new title")

    assert sent_tasks.args_of(tasks.embed_items) == [([item.pk],)]


def test_item_save_enqueues_embedding_of_the_item_after_commit(books, sent_tasks, django_capture_on_commit_callbacks):
    item = Item(domain=books, title="Tide pools", tags="Ocean; coast")

    with django_capture_on_commit_callbacks(execute=True):
        services.item_save(item=item)

    assert sent_tasks.args_of(tasks.embed_items) == [([item.pk],)]
    assert Item.objects.get(pk=item.pk).tags == ["ocean", "coast"]


def test_nothing_is_enqueued_when_the_transaction_rolls_back(books, sent_tasks, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.item_create(domain=books, title="Never committed")
        raise RuntimeError("the request failed after the save")

    assert callbacks == []
    assert sent_tasks.calls == []
    assert not Item.objects.filter(title="Never committed").exists()


def test_invalid_item_is_not_saved_and_enqueues_nothing(books, sent_tasks, django_capture_on_commit_callbacks):
    from django.core.exceptions import ValidationError

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.item_create(domain=books, title="   ")

    assert sent_tasks.calls == []
    assert not Item.objects.exists()


def test_item_update_refuses_fields_that_are_not_editable(books):
    item = factories.ItemFactory(domain=books)

    with pytest.raises(ValueError, match="embedding"):
        services.item_update(item=item, embedding=[0.0])


def test_bio_change_enqueues_profile_embedding_after_commit(sent_tasks, django_capture_on_commit_callbacks):
    user = factories.UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        profile = services.profile_update(user=user, bio="Marine biologist who loves coral reefs.")

    assert sent_tasks.args_of(tasks.embed_profile) == [(profile.pk,)]


def test_profile_change_without_new_bio_enqueues_nothing(sent_tasks, django_capture_on_commit_callbacks):
    user = factories.UserFactory()
    factories.ProfileFactory(user=user, bio="Marine biologist.")

    with django_capture_on_commit_callbacks(execute=True):
        services.profile_update(user=user, bio="  Marine biologist.  ", display_name="Maya", explore=0.8)

    assert sent_tasks.args_of(tasks.embed_profile) == []


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args):
        raise OperationalError("Error 111 connecting to broker. Connection refused.")

    monkeypatch.setattr(tasks.embed_items, "delay", refuse)
    monkeypatch.setattr(tasks.embed_profile, "delay", refuse)


def test_broker_outage_keeps_the_item_and_leaves_it_for_the_sweep(
    books, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        item = services.item_create(domain=books, title="Saved while the broker was down")

    item.refresh_from_db()
    assert item.embedding is None
    assert not item.has_embedding
    assert vectors.stale_item_ids() == [item.pk]


def test_broker_outage_keeps_the_bio(broker_down, django_capture_on_commit_callbacks):
    user = factories.UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        profile = services.profile_update(user=user, bio="Amateur astronomer with a small telescope.")

    assert vectors.stale_profile_ids() == [profile.pk]


def test_sweep_enqueues_items_the_outage_left_without_vector(
    books, broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        item = services.item_create(domain=books, title="Saved while the broker was down")
    sent = []
    monkeypatch.setattr(tasks.embed_items, "delay", sent.append)

    result = tasks.embedding_sweep()

    assert sent == [[item.pk]]
    assert result == {"items": 1, "profiles": 0}


def test_sweep_sends_stale_items_in_batches(books, sent_tasks):
    items = factories.ItemFactory.create_batch(vectors.SWEEP_BATCH + 6, domain=books)

    tasks.embedding_sweep()

    batches = [args[0] for args in sent_tasks.args_of(tasks.embed_items)]
    assert [len(batch) for batch in batches] == [vectors.SWEEP_BATCH, 6]
    assert sorted(sum(batches, [])) == sorted(item.pk for item in items)


def test_sweep_enqueues_profiles_whose_bio_has_no_vector(sent_tasks):
    with_bio = factories.ProfileFactory(bio="I play tenor saxophone in a jazz combo.")
    factories.ProfileFactory(bio="")

    result = tasks.embedding_sweep()

    assert sent_tasks.args_of(tasks.embed_profile) == [(with_bio.pk,)]
    assert result == {"items": 0, "profiles": 1}


def test_a_new_vector_rebuilds_the_interests_of_people_who_reacted_to_the_item(
    books, monkeypatch, django_capture_on_commit_callbacks
):
    from recommendations import tasks as rec_tasks

    item = factories.ItemFactory(domain=books, title="Whale Songs", description="How humpback whales sing.")
    reader, bystander = factories.UserFactory(), factories.UserFactory()
    factories.InteractionFactory(user=reader, item=item, kind="like")
    rebuilt = []
    monkeypatch.setattr(rec_tasks.refresh_user_interests, "delay", rebuilt.append)

    with django_capture_on_commit_callbacks(execute=True):
        vectors.items_embed(item_ids=[item.pk])

    assert rebuilt == [reader.pk]
    assert bystander.pk not in rebuilt
