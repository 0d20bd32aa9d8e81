"""Interactions: one event, a batch of them, and the filters for listing a person's own."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from api.pagination import PageParamsSerializer
from api.serializers.fields import StrictCharField, StrictFloatField
from content.models import Interaction, Item


class InteractionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Interaction
        fields = ["id", "item", "kind", "value", "client_id", "created_at"]
        read_only_fields = fields


class InteractionItemSerializer(serializers.ModelSerializer):
    """Enough of the item to show the entry in a list without fetching the item itself."""

    domain = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    url = StrictCharField(read_only=True, help_text="Where the item lives; empty when unknown.")

    class Meta:
        model = Item
        fields = ["id", "domain", "title", "creator", "url", "is_active"]
        read_only_fields = fields


class InteractionWithItemSerializer(InteractionSerializer):
    item_summary = InteractionItemSerializer(source="item", read_only=True)

    class Meta(InteractionSerializer.Meta):
        fields = [*InteractionSerializer.Meta.fields, "item_summary"]
        read_only_fields = fields


class InteractionInputSerializer(serializers.Serializer):
    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.filter(is_active=True))
    kind = serializers.ChoiceField(choices=Interaction.Kind.choices)
    value = StrictFloatField(
        required=False, allow_null=True, min_value=1, max_value=5, help_text="Only for ratings: 1 to 5."
    )
    client_id = StrictCharField(
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


class InteractionListFiltersSerializer(PageParamsSerializer):
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
