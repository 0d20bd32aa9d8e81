from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import FileExtensionValidator, MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce, Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from django.utils import timezone
from pgvector.django import HalfVectorField, HnswIndex

TITLE_MAX_LENGTH = 300
# How every HNSW index here is built (per-domain item indexes copy the catalog-wide one): neighbours kept per node
# and candidates considered while inserting. How wide a query searches is measured (recommendations.search_width).
HNSW_BUILD = {"m": 16, "ef_construction": 64, "opclasses": ["halfvec_cosine_ops"]}
DESCRIPTION_MAX_LENGTH = 5000
BIO_MAX_LENGTH = 1000
MAX_TAGS = 20
# Where a new profile's focused <-> adventurous setting starts: diverse enough that a page is not one topic
# (measured: intra-list diversity above item-kNN's on MovieLens) at no cost in accuracy.
DEFAULT_EXPLORE = 0.4
# What people edit on an item (admin, import, API); the vector columns belong to the worker.
ITEM_EDITABLE_FIELDS = (
    "domain",
    "external_id",
    "title",
    "description",
    "tags",
    "creator",
    "url",
    "language",
    "published_at",
    "is_active",
    "image",
)
# Raster uploads (content.images checks what they really are) and the SVG covers the site draws itself.
IMAGE_EXTENSIONS = ["png", "jpg", "jpeg", "gif", "webp", "svg"]


class Embedded(models.Model):
    """A row whose text is embedded; records which model made the vector and from what text."""

    embedding = HalfVectorField(dimensions=settings.EMBEDDING_DIMENSIONS, null=True, blank=True, editable=False)
    embedding_model = models.CharField(max_length=300, blank=True, editable=False)
    embedding_hash = models.CharField(max_length=64, blank=True, editable=False)
    embedded_at = models.DateTimeField(null=True, blank=True, editable=False)
    embedding_error = models.TextField(blank=True, editable=False)
    # Set when a task to embed the row was handed to the broker; the sweep leaves pending rows alone.
    embedding_queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Failures since the last success; the sweep gives up on a row at settings.EMBEDDING_MAX_ATTEMPTS.
    embedding_attempts = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        abstract = True

    @property
    def has_embedding(self) -> bool:
        return self.embedded_at is not None


class Domain(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60, unique=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Item(Embedded):
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="items")
    external_id = models.CharField(max_length=120, unique=True, null=True, blank=True)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)])
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True, size=MAX_TAGS)
    creator = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    language = models.CharField(max_length=12, default="en")
    published_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    image = models.FileField(
        upload_to="items/",
        max_length=200,
        blank=True,
        validators=[FileExtensionValidator(IMAGE_EXTENSIONS)],
        help_text="PNG, JPEG, GIF or WebP, up to 5 MB.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(title__regex=r"^\s*$"), name="item_title_not_blank"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX_LENGTH),
                name="item_description_max_length",
            ),
        ]
        indexes = [
            models.Index(fields=["domain", "is_active"]),
            models.Index(fields=["-published_at"]),
            models.Index(fields=["embedded_at"]),
            # The recommender polls max(updated_at) to notice catalog changes.
            models.Index(fields=["updated_at"]),
            # "New in ..." candidates: newest by when the item became available.
            models.Index(Coalesce("published_at", "created_at").desc(), "id", name="item_available_at"),
            HnswIndex(name="item_embedding_hnsw", fields=["embedding"], **HNSW_BUILD),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("item_detail", args=[self.pk])

    @property
    def text_for_embedding(self) -> str:
        parts = [self.title.strip(), self.description.strip()]
        if self.tags:
            parts.append("Tags: " + ", ".join(self.tags))
        return "\n".join(part for part in parts if part)


class Profile(Embedded):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=80, blank=True)
    bio = models.TextField(blank=True, validators=[MaxLengthValidator(BIO_MAX_LENGTH)])
    # 0 = focused on known interests, 1 = adventurous; drives diversity re-ranking.
    explore = models.FloatField(default=DEFAULT_EXPLORE, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    preferred_domains = models.ManyToManyField(Domain, blank=True, related_name="preferred_by")
    # When the person's feedback last changed (recorded, edited or removed): interests older than this are stale.
    feedback_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(explore__gte=0.0, explore__lte=1.0), name="profile_explore_range"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("bio"), BIO_MAX_LENGTH), name="profile_bio_max_length"
            ),
        ]
        indexes = [
            # "People who describe themselves like you": nearest bios.
            HnswIndex(name="profile_embedding_hnsw", fields=["embedding"], **HNSW_BUILD),
        ]

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()

    @property
    def text_for_embedding(self) -> str:
        return self.bio.strip()


class Interaction(models.Model):
    class Kind(models.TextChoices):
        VIEW = "view"
        CLICK = "click"
        LIKE = "like"
        DISLIKE = "dislike"
        SAVE = "save"
        HIDE = "hide"
        RATING = "rating"

    # Kinds that are a state the user toggles (one row per user and item), not a stream of events.
    STATE_KINDS = (Kind.LIKE, Kind.DISLIKE, Kind.SAVE, Kind.HIDE, Kind.RATING)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interactions")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Lets a client retry a batch without counting an interaction twice.
    client_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001 (NULL: unique only when given)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="rating", value__isnull=False, value__gte=1, value__lte=5)
                    | (~models.Q(kind="rating") & models.Q(value__isnull=True))
                ),
                name="interaction_rating_value_1_to_5",
            ),
            models.UniqueConstraint(
                fields=["user", "item", "kind"],
                condition=models.Q(kind__in=["like", "dislike", "save", "hide", "rating"]),
                name="interaction_one_state_per_kind",
            ),
            models.UniqueConstraint(
                fields=["user", "client_id"], condition=models.Q(client_id__isnull=False), name="interaction_client_id"
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"]), models.Index(fields=["item", "kind"])]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} {self.item}"
