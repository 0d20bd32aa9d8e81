"""Embedding tasks with the real model: idempotent, refreshed on edits and model changes, searchable by meaning."""

import numpy as np
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F
from pgvector.django import CosineDistance

from content import services, tasks, vectors
from content.embedding import get_encoder, text_hash, to_array
from content.models import Item, Profile
from recommendations.sources import Scope
from recommendations.sources.database import DatabaseSources
from tests import factories

pytestmark = pytest.mark.django_db

HAND_MADE = {
    "sourdough": (
        "Sourdough baking at home",
        "Feed a wild yeast starter, shape the loaf and bake a crusty sourdough bread.",
    ),
    "reef": (
        "Coral reef ecology",
        "How corals, reef fish and algae live together on tropical reefs under warming seas.",
    ),
    "chess": (
        "Chess openings for club players",
        "The Sicilian, the Ruy Lopez and the Queen's Gambit explained move by move.",
    ),
    "jazz": ("Jazz saxophone", "Bebop phrasing, blues scales and improvising over chord changes on the tenor sax."),
    "fundraising": (
        "Startup fundraising",
        "Pitch decks, seed rounds, term sheets and talking to venture capital investors.",
    ),
    "marathon": ("Marathon training", "Long runs, tempo work, tapering and race-day pacing for your first 42 km."),
}


@pytest.fixture
def hand_made(books) -> dict[str, Item]:
    items = {
        key: factories.ItemFactory(domain=books, title=title, description=text, tags=[])
        for key, (title, text) in HAND_MADE.items()
    }
    vectors.items_embed(item_ids=[item.pk for item in items.values()])
    return items


def test_embed_items_task_twice_embeds_once(books):
    item = factories.ItemFactory(domain=books, title="Whales of the deep ocean")

    assert tasks.embed_items([item.pk]) == 1
    item.refresh_from_db()
    first_embedded_at = item.embedded_at

    assert tasks.embed_items([item.pk]) == 0
    item.refresh_from_db()
    assert item.embedded_at == first_embedded_at
    assert item.embedding_model == settings.EMBEDDING_MODEL_NAME
    assert item.embedding_hash == text_hash(item.text_for_embedding)


def test_saving_a_stale_copy_keeps_the_vector_the_worker_made(books):
    item = factories.ItemFactory(domain=books, title="Whales of the deep ocean")
    stale_copy = Item.objects.get(pk=item.pk)
    tasks.embed_items([item.pk])

    stale_copy.creator = "New Author"
    services.item_save(item=stale_copy)

    item.refresh_from_db()
    assert item.creator == "New Author"
    assert item.embedded_at is not None and item.embedding is not None


def test_blank_title_from_a_service_is_a_title_error(books):
    with pytest.raises(ValidationError) as error:
        services.item_create(domain=books, title="   ")
    assert "title" in error.value.message_dict


def test_editing_the_title_changes_vector_and_hash(books):
    item = factories.ItemFactory(domain=books, title="Whales of the deep ocean")
    tasks.embed_items([item.pk])
    item.refresh_from_db()
    old_vector, old_hash = to_array(item.embedding), item.embedding_hash

    services.item_update(item=item, title="Chess endgames for beginners")
    assert vectors.stale_item_ids() == [item.pk]
    assert tasks.embed_items([item.pk]) == 1

    item.refresh_from_db()
    assert item.embedding_hash != old_hash
    assert item.embedding_hash == text_hash(item.text_for_embedding)
    assert not np.allclose(to_array(item.embedding), old_vector, atol=1e-3)
    assert vectors.stale_item_ids() == []


def test_saving_without_changing_the_text_does_not_re_embed(books):
    item = factories.ItemFactory(domain=books, title="Whales of the deep ocean")
    tasks.embed_items([item.pk])
    item.refresh_from_db()

    services.item_update(item=item, url="https://example.com/whales")

    assert tasks.embed_items([item.pk]) == 0


def test_vector_from_another_model_is_stale_and_re_embedded(books):
    item = factories.ItemFactory(domain=books, title="Whales of the deep ocean")
    current = factories.ItemFactory(domain=books, title="Tide pools")
    tasks.embed_items([item.pk, current.pk])
    Item.objects.filter(pk=item.pk).update(embedding_model="old-model")

    assert vectors.stale_item_ids() == [item.pk]
    assert tasks.embed_items([item.pk, current.pk]) == 1

    item.refresh_from_db()
    assert item.embedding_model == settings.EMBEDDING_MODEL_NAME
    assert vectors.stale_item_ids() == []


def test_failed_embedding_records_the_error_and_raises(books, monkeypatch):
    item = factories.ItemFactory(domain=books, title="Whales of the deep ocean")

    class BrokenEncoder:
        def encode(self, texts):
            raise RuntimeError("out of memory")

    monkeypatch.setattr(vectors, "get_encoder", lambda: BrokenEncoder())

    with pytest.raises(RuntimeError):
        tasks.embed_items([item.pk])

    item.refresh_from_db()
    assert "out of memory" in item.embedding_error
    assert vectors.stale_item_ids() == [item.pk]


def test_embed_items_ignores_ids_of_deleted_items(books):
    item = factories.ItemFactory(domain=books)
    missing_id = item.pk
    item.delete()

    assert tasks.embed_items([missing_id]) == 0


def test_profile_embedding_follows_the_bio():
    profile = factories.ProfileFactory(bio="I snorkel on coral reefs every summer.")

    assert vectors.profile_embed(profile_id=profile.pk) is True
    assert vectors.profile_embed(profile_id=profile.pk) is False
    Profile.objects.filter(pk=profile.pk).update(bio="")

    assert vectors.profile_embed(profile_id=profile.pk) is True
    profile.refresh_from_db()
    assert profile.embedding is None
    assert profile.embedded_at is None


def test_stored_vectors_are_unit_length_with_configured_dimensions(hand_made):
    stored = [to_array(item.embedding) for item in Item.objects.all()]

    assert len(stored) == len(HAND_MADE)
    for vector in stored:
        assert vector.shape == (settings.EMBEDDING_DIMENSIONS,)
        # halfvec storage keeps about three significant digits.
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=2e-3)


def test_encoder_returns_one_unit_row_per_text():
    encoded = get_encoder().encode(["first text", "second text", "third"])

    assert encoded.shape == (3, settings.EMBEDDING_DIMENSIONS)
    assert np.allclose(np.linalg.norm(encoded, axis=1), 1.0, atol=1e-5)
    assert get_encoder().encode([]).shape == (0, settings.EMBEDDING_DIMENSIONS)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bread fermentation and crust", "sourdough"),
        ("underwater marine life", "reef"),
        ("grandmaster moves on the board", "chess"),
        ("improvising on a brass instrument", "jazz"),
        ("raising money from investors", "fundraising"),
        ("endurance running plan", "marathon"),
    ],
)
def test_nearest_neighbour_is_the_semantically_closest_item(hand_made, query, expected):
    found = DatabaseSources().nearest([get_encoder().encode_one(query)], k=1, scope=Scope())

    assert found == [hand_made[expected].pk]


def test_orm_cosine_distance_orders_by_meaning(hand_made):
    from django.db import connection, transaction

    query = get_encoder().encode_one("underwater marine life").tolist()

    # Exact ordering of every row: an HNSW scan without a limit may stop early, so plan it without the index.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")
        ranked = list(Item.objects.order_by(CosineDistance("embedding", query)).values_list("pk", flat=True))

    assert ranked[0] == hand_made["reef"].pk
    assert len(ranked) == len(HAND_MADE)


def test_nearest_skips_inactive_items_and_filters_by_domain(hand_made, domains):
    Item.objects.filter(pk=hand_made["reef"].pk).update(is_active=False)
    podcast = factories.ItemFactory(
        domain=domains["podcasts"], title="Ocean life podcast", description="Sharks, whales and coral reefs."
    )
    vectors.items_embed(item_ids=[podcast.pk])
    query = get_encoder().encode_one("underwater marine life")

    nearest = DatabaseSources().nearest
    assert hand_made["reef"].pk not in nearest([query], k=len(HAND_MADE) + 1, scope=Scope())
    assert nearest([query], k=5, scope=Scope(domain="podcasts")) == [podcast.pk]
    assert podcast.pk not in nearest([query], k=10, scope=Scope(exclude_domains=("podcasts",)))


def test_stale_ids_do_not_include_current_rows_updated_by_bulk_paths(hand_made):
    Item.objects.filter(pk=hand_made["chess"].pk).update(updated_at=F("embedded_at"))

    assert vectors.stale_item_ids() == []
