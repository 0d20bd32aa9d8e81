"""Feeds and similar items: ranked entries, each with its reason, and the parameters that page through them."""

from rest_framework import serializers

from api.pagination import MAX_FEED_OFFSET, PageParamsSerializer, paginated
from api.serializers.catalog import ItemSerializer, known_domain_slug
from api.serializers.fields import StrictCharField, StrictFloatField
from recommendations.types import MAX_QUERY_LENGTH


class FeedEntrySerializer(serializers.Serializer):
    item = ItemSerializer()
    score = serializers.FloatField()
    reason = StrictCharField(help_text='One sentence, e.g. "Because you liked Deep Blue".')
    reason_kind = StrictCharField(
        help_text="liked, bio, query, popular, trending, fresh, explore, preferred, collaborative or similar."
    )
    domain = StrictCharField(source="item.domain.slug")


FeedPageSerializer = paginated(FeedEntrySerializer)


class PopularParamsSerializer(PageParamsSerializer):
    max_offset = MAX_FEED_OFFSET

    domain = StrictCharField(required=False, max_length=40)

    def validate_domain(self, value):
        return known_domain_slug(value)


class FeedParamsSerializer(PopularParamsSerializer):
    q = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_QUERY_LENGTH,
        help_text="Free text: what to look for.",
    )
    explore = StrictFloatField(
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
