"""Personal feed and the popular-and-fresh feed, paged with an opaque cursor."""

from django.core.cache import cache
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import page_body
from api.schema import errors
from api.serializers.feed import (
    FeedEntrySerializer,
    FeedPageSerializer,
    FeedParamsSerializer,
    PopularParamsSerializer,
)
from api.serializers.fields import query_data
from api.throttles import FreeTextQueryThrottle
from recommendations import selectors as rec_selectors
from recommendations.types import Feed


def _results(request, feed: Feed) -> list:
    """The page's entries as JSON-ready data. A page of a cached ranking is rendered once for every process: the
    items are read and serialized on the first request only (per host name, which picture URLs carry)."""
    key = f"{feed.key}:api:{request.get_host()}" if feed.key else None
    rendered = cache.get(key) if key else None
    if rendered is None:
        rendered = list(FeedEntrySerializer(feed.entries, many=True, context={"request": request}).data)
        if key:
            cache.set(key, rendered, rec_selectors.FEED_CACHE_SECONDS)
    return rendered


def feed_response(request, feed: Feed) -> Response:
    page = page_body(
        request,
        results=_results(request, feed),
        next_offset=feed.next_offset,
        total=feed.total,
        max_offset=FeedParamsSerializer.max_offset,
    )
    return Response(page, headers={"X-Feed-Cache": "hit" if feed.cached else "miss"})


class FeedApi(APIView):
    permission_classes = [AllowAny]

    def get_throttles(self):
        return [*super().get_throttles(), FreeTextQueryThrottle()]

    @extend_schema(
        tags=["recommendations"],
        summary="Your feed: what to look at next, each with the reason it was picked",
        description=(
            "Signed in: personal, built from your bio, feedback and preferred domains; `q` steers it with free text "
            "(embedded on the request, so limited per user or client: `RATE_LIMIT_QUERY`, 30 a minute by default). "
            "Anonymous: the popular-and-fresh feed (same as `/popular/`). Follow `next` (or pass `next_cursor` as "
            "`cursor`) for more."
        ),
        parameters=[FeedParamsSerializer],
        responses={200: FeedPageSerializer, **errors(400)},
    )
    def get(self, request):
        params = FeedParamsSerializer(data=query_data(request))
        params.is_valid(raise_exception=True)
        data = params.validated_data
        feed = rec_selectors.feed_for_user(
            user=request.user if request.user.is_authenticated else None,
            query=data["q"],
            domain=data.get("domain"),
            explore=data.get("explore"),
            offset=data.get("cursor", 0),
            limit=data["page_size"],
            exclude_seen=data["exclude_seen"],
        )
        return feed_response(request, feed)


class PopularApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["recommendations"],
        summary="Popular and fresh items, the same for everyone",
        parameters=[PopularParamsSerializer],
        responses={200: FeedPageSerializer, **errors(400)},
    )
    def get(self, request):
        params = PopularParamsSerializer(data=query_data(request))
        params.is_valid(raise_exception=True)
        data = params.validated_data
        feed = rec_selectors.popular_and_fresh(
            domain=data.get("domain"), offset=data.get("cursor", 0), limit=data["page_size"]
        )
        return feed_response(request, feed)
