from django.conf import settings
from django.db import models
from pgvector.django import HalfVectorField


class InterestProfile(models.Model):
    """What the recommender currently believes about a user; rebuilt by a task after feedback."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interest_profile")
    # {domain slug: score in [0, 1]}
    domain_scores = models.JSONField(default=dict, blank=True)
    # Unit vector of what the user pushed away (dislikes, hides, low ratings); null when none.
    negative = HalfVectorField(dimensions=settings.EMBEDDING_DIMENSIONS, null=True, blank=True)
    # {item id: net positive weight} of the history, strongest first (capped), for co-engagement and trust.
    positive_items = models.JSONField(default=dict, blank=True)
    positive_count = models.PositiveIntegerField(default=0)
    negative_count = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)
    # The history's summed neighbour lists over the whole catalog and the build they were summed from
    # (recommendations.neighbour_sums); null until first summed.
    neighbour_sums = models.JSONField(null=True, blank=True)
    # When the feedback and bio this was built from last changed; older than the person's now means stale.
    based_on = models.DateTimeField(null=True, blank=True)
    # Set when a rebuild was handed to the broker; the sweep leaves pending rebuilds alone.
    refresh_queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Seeing someone's feed shows what they liked, hid and wrote: more than editing the catalog needs.
        permissions = [("preview_feed", "Can preview anyone's feed")]

    def __str__(self) -> str:
        return f"Interests of {self.user}"


class Interest(models.Model):
    """One of a user's several interests: a direction in the embedding space with a weight."""

    class Source(models.TextChoices):
        BIO = "bio"
        HISTORY = "history"

    profile = models.ForeignKey(InterestProfile, on_delete=models.CASCADE, related_name="interests")
    source = models.CharField(max_length=10, choices=Source.choices)
    vector = HalfVectorField(dimensions=settings.EMBEDDING_DIMENSIONS)
    weight = models.FloatField()
    # Human-readable anchor for explanations: the bio phrase or the liked item nearest the centre.
    label = models.CharField(max_length=300, blank=True)
    anchor_item = models.ForeignKey("content.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-weight"]
        constraints = [models.CheckConstraint(condition=models.Q(weight__gte=0), name="interest_weight_non_negative")]

    def __str__(self) -> str:
        return f"{self.source}: {self.label} ({self.weight:.2f})"


class ItemStats(models.Model):
    """Engagement aggregates, refreshed periodically: popularity prior and trending."""

    item = models.OneToOneField("content.Item", on_delete=models.CASCADE, primary_key=True, related_name="stats")
    engagement = models.FloatField(default=0)
    popularity = models.FloatField(default=0)
    trending = models.FloatField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "item stats"
        indexes = [
            models.Index(fields=["-popularity"]),
            models.Index(fields=["-trending"]),
            models.Index(fields=["updated_at"]),
        ]

    def __str__(self) -> str:
        return f"stats of item {self.item_id}"


class CoEngagement(models.Model):
    """Item-to-item neighbours learned from who engaged with what, one list per kind (see collaborative.py)."""

    class Kind(models.TextChoices):
        COSINE = "cosine", "co-engagement"
        CROSS = "cross", "co-engagement across domains"
        CF = "cf", "collaborative model (EASE or factors)"
        CF_CROSS = "cf_cross", "collaborative model across domains"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COSINE)
    item = models.ForeignKey("content.Item", on_delete=models.CASCADE, related_name="+")
    neighbor = models.ForeignKey("content.Item", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "item", "neighbor"], name="coengagement_kind_pair")]
        indexes = [models.Index(fields=["item", "kind"])]

    def __str__(self) -> str:
        return f"{self.item_id} -> {self.neighbor_id} ({self.kind} {self.score:.3f})"


class RankerWeights(models.Model):
    """Per-situation blend weights fitted on the platform's own interactions; the newest active version serves.

    weights: {situation: {feature: weight}}; metrics: per situation, the held-out check and why it was adopted.
    """

    version = models.PositiveIntegerField(unique=True)
    weights = models.JSONField()
    # {situation: scale}: how an item-level situation's scores compare with the rest of a person's candidates.
    scales = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    trained_on = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "ranker weights"

    def __str__(self) -> str:
        return f"ranker v{self.version}"
