"""Domains and items: what anyone may read, and what staff may write."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from api.pagination import PageParamsSerializer
from api.serializers.fields import StrictCharField
from content import images
from content.models import DESCRIPTION_MAX_LENGTH, MAX_TAGS, TITLE_MAX_LENGTH, Domain, Item
from recommendations.types import MAX_QUERY_LENGTH


class DomainSerializer(serializers.ModelSerializer):
    class Meta:
        model = Domain
        fields = ["slug", "name", "description"]


class ItemSerializer(serializers.ModelSerializer):
    domain = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    has_embedding = serializers.BooleanField(read_only=True)
    url = StrictCharField(read_only=True, help_text="Where the item lives; empty when unknown.")
    image = serializers.FileField(read_only=True, use_url=True, help_text="Absolute URL of its picture; null if none.")

    class Meta:
        model = Item
        fields = [
            "id", "domain", "external_id", "title", "description", "tags", "creator", "url", "language",
            "published_at", "is_active", "image", "has_embedding", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


def known_domain_slug(value: str) -> str:
    """Used from validate_<field>, after the field rejected NUL and surrogate characters the database cannot take."""
    if not Domain.objects.filter(slug=value).exists():
        raise serializers.ValidationError(f"Unknown domain '{value}'.")
    return value


class DomainSlugField(serializers.SlugRelatedField):
    """A domain named by slug; text the database cannot hold is refused before the lookup."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", queryset=Domain.objects.all(), **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            for check in (ProhibitNullCharactersValidator(), ProhibitSurrogateCharactersValidator()):
                try:
                    check(data)
                except DjangoValidationError as exc:
                    raise serializers.ValidationError(exc.messages) from None
        return super().to_internal_value(data)


class ItemListFiltersSerializer(PageParamsSerializer):
    domain = StrictCharField(required=False, max_length=40)
    tag = StrictCharField(required=False, max_length=50)
    search = StrictCharField(required=False, max_length=MAX_QUERY_LENGTH, help_text="Words in title or description.")

    def validate_domain(self, value):
        return known_domain_slug(value)


class ItemInputSerializer(serializers.Serializer):
    """Fields staff may write; vectors, hashes, model names and timestamps are never writable."""

    domain = DomainSlugField()
    external_id = StrictCharField(max_length=120, required=False, allow_null=True)
    title = StrictCharField(max_length=TITLE_MAX_LENGTH)
    description = StrictCharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=StrictCharField(max_length=50), max_length=MAX_TAGS, required=False, help_text="Stored lower-case."
    )
    creator = StrictCharField(max_length=200, required=False, allow_blank=True)
    url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    language = StrictCharField(max_length=12, required=False)
    published_at = serializers.DateTimeField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)
    image = serializers.FileField(
        required=False,
        allow_null=True,
        help_text="A PNG, JPEG, GIF or WebP file (multipart/form-data), up to 5 MB; null removes the picture.",
    )
    image_url = serializers.URLField(
        required=False, write_only=True, max_length=2000, help_text="Or an http(s) URL the picture is downloaded from."
    )

    def validate(self, attrs):
        if "image" in attrs and "image_url" in attrs:
            raise serializers.ValidationError({"image_url": "Send either image or image_url, not both."})
        try:
            if attrs.get("image"):
                attrs["image"] = images.image_clean(attrs["image"])
            elif "image_url" in attrs:
                attrs["image"] = images.image_fetch(attrs.pop("image_url"))
        except DjangoValidationError as error:
            field = "image" if "image" in self.initial_data else "image_url"
            raise serializers.ValidationError({field: error.messages}) from None
        if "image" in attrs and attrs["image"] is None:
            attrs["image"] = ""
        return attrs

    def validate_external_id(self, value):
        if value in (None, ""):
            return None
        taken = Item.objects.filter(external_id=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("Another item has this external_id.")
        return value


class ItemUpsertEntrySerializer(ItemInputSerializer):
    """One row of a bulk upsert: matched on external_id, which is required here."""

    external_id = StrictCharField(max_length=120)
    # A batch would download up to API_MAX_BATCH pictures in one request; pictures are set one item at a time.
    image = None
    image_url = None

    def validate_external_id(self, value):
        return value


class ItemUpsertRequestSerializer(serializers.Serializer):
    def get_fields(self):
        rows = serializers.ListField(child=ItemUpsertEntrySerializer(), min_length=1, max_length=settings.API_MAX_BATCH)
        return {"items": rows}

    def validate_items(self, rows):
        ids = [row["external_id"] for row in rows]
        repeated = sorted({value for value in ids if ids.count(value) > 1})
        if repeated:
            raise serializers.ValidationError(f"external_id repeated in the batch: {', '.join(repeated[:5])}.")
        return rows


class ItemUpsertResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = StrictCharField()
    status = serializers.ChoiceField(choices=["created", "updated"])


class ItemUpsertResponseSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    results = ItemUpsertResultSerializer(many=True)
