import io

import factory
import numpy as np
from django.contrib.auth import get_user_model
from django.utils import timezone
from pgvector import HalfVector
from PIL import Image

from content.models import Domain, Interaction, Item, Profile


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct-horse-battery")


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"domain{n}")
    name = factory.LazyAttribute(lambda d: d.slug.title())


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    domain = factory.SubFactory(DomainFactory)
    title = factory.Sequence(lambda n: f"Item number {n}")
    description = factory.Faker("paragraph", nb_sentences=3)
    tags = factory.LazyFunction(lambda: ["general"])
    published_at = factory.LazyFunction(timezone.now)


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)
    display_name = factory.LazyAttribute(lambda p: p.user.username)
    bio = ""


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    user = factory.SubFactory(UserFactory)
    item = factory.SubFactory(ItemFactory)
    kind = Interaction.Kind.LIKE


def items_with_random_vectors(count: int, rng: np.random.Generator, **fields) -> list[tuple[int, np.ndarray]]:
    """Items whose random unit vectors are written directly, for tests about vector search rather than the embedding
    model: each item's id and its vector as stored (half precision)."""
    written = []
    for item in ItemFactory.create_batch(count, **fields):
        vector = rng.normal(size=384)
        vector /= np.linalg.norm(vector)
        Item.objects.filter(pk=item.pk).update(embedding=HalfVector(vector.tolist()), embedded_at=timezone.now())
        written.append((item.pk, vector.astype(np.float16).astype(np.float32)))
    return written


def png_bytes(size=(6, 4), colour="red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()
