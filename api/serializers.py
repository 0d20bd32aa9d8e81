"""Small input and output serializers; they translate HTTP to service arguments and back, nothing more."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils import timezone
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from content import images
from content.models import (
    BIO_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    MAX_TAGS,
    TITLE_MAX_LENGTH,
    Domain,
    Interaction,
    Item,
    Profile,
)
from recommendations.types import MAX_QUERY_LENGTH

# --- Errors ------------------------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. invalid, not_found, throttled.")
    message = serializers.CharField(help_text="Safe to show to a person.")
    fields = serializers.DictField(
        child=serializers.JSONField(), help_text="Per-field messages for invalid input; empty otherwise."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


# --- Domains and items ---------------------------------------------------------------------------


class DomainSerializer(serializers.ModelSerializer):
    class Meta:
        model = Domain
        fields = ["slug", "name", "description"]


class ItemSerializer(serializers.ModelSerializer):
    domain = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    has_embedding = serializers.BooleanField(read_only=True)
    url = serializers.CharField(read_only=True, help_text="Where the item lives; empty when unknown.")
    image = serializers.FileField(read_only=True, use_url=True, help_text="Absolute URL of its picture; null if none.")

    class Meta:
        model = Item
        fields = [
            "id", "domain", "external_id", "title", "description", "tags", "creator", "url", "language",
            "published_at", "is_active", "image", "has_embedding", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


def paginated(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The page envelope PagePagination wraps around a list, for the schema."""
    return type(
        f"Paginated{serializer_class.__name__.removesuffix('Serializer')}List",
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


def _known_domain_slug(value: str) -> str:
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


class ItemListFiltersSerializer(serializers.Serializer):
    domain = serializers.CharField(required=False, max_length=40)
    tag = serializers.CharField(required=False, max_length=50)
    search = serializers.CharField(
        required=False, max_length=MAX_QUERY_LENGTH, help_text="Words in title or description."
    )

    def validate_domain(self, value):
        return _known_domain_slug(value)


class ItemInputSerializer(serializers.Serializer):
    """Fields staff may write; vectors, hashes, model names and timestamps are never writable."""

    domain = DomainSlugField()
    external_id = serializers.CharField(max_length=120, required=False, allow_null=True)
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=MAX_TAGS, required=False, help_text="Stored lower-case."
    )
    creator = serializers.CharField(max_length=200, required=False, allow_blank=True)
    url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    language = serializers.CharField(max_length=12, required=False)
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

    external_id = serializers.CharField(max_length=120)
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
    external_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["created", "updated"])


class ItemUpsertResponseSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    results = ItemUpsertResultSerializer(many=True)


# --- Feeds -----------------------------------------------------------------------------------------


class FeedEntrySerializer(serializers.Serializer):
    item = ItemSerializer()
    score = serializers.FloatField()
    reason = serializers.CharField(help_text='One sentence, e.g. "Because you liked Deep Blue".')
    reason_kind = serializers.CharField(
        help_text="liked, bio, query, popular, trending, fresh, explore, preferred, collaborative or similar."
    )
    domain = serializers.CharField(source="item.domain.slug")


class FeedPageSerializer(serializers.Serializer):
    results = FeedEntrySerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="URL of the next page; null on the last one.")
    next_cursor = serializers.CharField(allow_null=True, help_text="Pass as `cursor` for the next page.")
    total = serializers.IntegerField(help_text="How many entries the whole feed has.")


class PageParamsSerializer(serializers.Serializer):
    cursor = serializers.CharField(required=False, max_length=200, help_text="Opaque `next_cursor` of a previous page.")
    page_size = serializers.IntegerField(required=False, default=20, min_value=1, max_value=100)
    domain = serializers.CharField(required=False, max_length=40)

    def validate_domain(self, value):
        return _known_domain_slug(value)

    def validate_cursor(self, value):
        from api.pagination import cursor_decode

        return cursor_decode(value)


class FeedParamsSerializer(PageParamsSerializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_QUERY_LENGTH,
        help_text="Free text: what to look for.",
    )
    explore = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=1,
        help_text="0 keeps to known interests, 1 explores; default: profile. With q or domain, it applies at half strength.",
    )
    exclude_seen = serializers.BooleanField(required=False, default=True)


class SimilarParamsSerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=50)


class SimilarItemsSerializer(serializers.Serializer):
    results = FeedEntrySerializer(many=True)


# --- Interactions ------------------------------------------------------------------------------------


class InteractionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Interaction
        fields = ["id", "item", "kind", "value", "client_id", "created_at"]
        read_only_fields = fields


class InteractionInputSerializer(serializers.Serializer):
    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.filter(is_active=True))
    kind = serializers.ChoiceField(choices=Interaction.Kind.choices)
    value = serializers.FloatField(
        required=False, allow_null=True, min_value=1, max_value=5, help_text="Only for ratings: 1 to 5."
    )
    client_id = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=100,
        help_text="Your id for this event; a repeat is not counted again.",
    )
    created_at = serializers.DateTimeField(required=False, help_text="When it happened; default now.")

    def validate_created_at(self, value):
        if value > timezone.now() + timedelta(minutes=5):
            raise serializers.ValidationError("Cannot be in the future.")
        return value

    def validate(self, data):
        is_rating = data["kind"] == Interaction.Kind.RATING
        if is_rating and data.get("value") is None:
            raise serializers.ValidationError({"value": "A rating needs a value from 1 to 5."})
        if not is_rating and data.get("value") is not None:
            raise serializers.ValidationError({"value": "Only a rating carries a value."})
        if not data.get("client_id"):
            data.pop("client_id", None)
        return data


class InteractionRecordedSerializer(InteractionSerializer):
    status = serializers.ChoiceField(
        choices=["created", "updated", "duplicate"],
        help_text="created: new; updated: a like/save/... that existed was renewed; duplicate: client_id seen before.",
    )

    class Meta(InteractionSerializer.Meta):
        fields = [*InteractionSerializer.Meta.fields, "status"]
        read_only_fields = fields


class InteractionListFiltersSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Interaction.Kind.choices, required=False)
    item = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class InteractionBatchRequestSerializer(serializers.Serializer):
    """What the schema shows; entries are then validated one by one so one bad entry does not sink the batch."""

    def get_fields(self):
        entries = serializers.ListField(
            child=InteractionInputSerializer(), min_length=1, max_length=settings.API_MAX_BATCH
        )
        return {"interactions": entries}


class InteractionBatchEnvelopeSerializer(serializers.Serializer):
    def get_fields(self):
        entries = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=settings.API_MAX_BATCH)
        return {"interactions": entries}


class InteractionBatchResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "updated", "duplicate", "rejected"])
    interaction = InteractionSerializer(allow_null=True)
    errors = serializers.DictField(child=serializers.JSONField(), allow_null=True)


class InteractionBatchResponseSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = InteractionBatchResultSerializer(many=True)


# --- The signed-in user ----------------------------------------------------------------------------------


class ProfileSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.get_username", read_only=True)
    preferred_domains = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    has_embedding = serializers.BooleanField(read_only=True)

    class Meta:
        model = Profile
        fields = ["username", "display_name", "bio", "explore", "preferred_domains", "has_embedding"]
        read_only_fields = fields


class ProfileInputSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    bio = serializers.CharField(
        max_length=BIO_MAX_LENGTH, required=False, allow_blank=True, help_text="What you are into, in your words."
    )
    explore = serializers.FloatField(
        min_value=0, max_value=1, required=False, help_text="0 keeps to what you know, 1 explores widely."
    )


class InterestSerializer(serializers.Serializer):
    label = serializers.CharField()
    weight = serializers.FloatField()
    source = serializers.CharField()


class InterestSummarySerializer(serializers.Serializer):
    domains = serializers.DictField(child=serializers.FloatField(), help_text="Domain slug -> score in [0, 1].")
    interests = InterestSerializer(many=True)
    computed_at = serializers.DateTimeField(allow_null=True)


class DomainPreferencesSerializer(serializers.Serializer):
    domains = serializers.ListField(child=serializers.CharField(), help_text="Slugs of the domains you prefer.")


class DomainPreferencesInputSerializer(serializers.Serializer):
    def get_fields(self):
        slugs = serializers.ListField(
            child=serializers.CharField(max_length=40),
            max_length=settings.API_MAX_DOMAINS,
            help_text="Slugs of the domains you prefer; the list replaces the current one.",
        )
        return {"domains": slugs}

    def validate_domains(self, slugs: list[str]) -> list[Domain]:
        """All slugs resolved in one query; every unknown one is named."""
        found = {domain.slug: domain for domain in Domain.objects.filter(slug__in=slugs)}
        unknown = [slug for slug in dict.fromkeys(slugs) if slug not in found]
        if unknown:
            raise serializers.ValidationError(f"Unknown domain: {', '.join(repr(slug) for slug in unknown[:5])}.")
        return list(found.values())


# --- Auth ---------------------------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
