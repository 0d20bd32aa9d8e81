"""Feeds and similar items: ranked entries, each with its reason, and the parameters that page through them."""

from rest_framework import serializers

from api.pagination import cursor_decode
from api.serializers.catalog import ItemSerializer, known_domain_slug
from recommendations.selectors import MAX_PAGE_SIZE
from recommendations.types import MAX_QUERY_LENGTH


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
    page_size = serializers.IntegerField(required=False, default=20, min_value=1, max_value=MAX_PAGE_SIZE)
    domain = serializers.CharField(required=False, max_length=40)

    def validate_domain(self, value):
        return known_domain_slug(value)

    def validate_cursor(self, value):
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
