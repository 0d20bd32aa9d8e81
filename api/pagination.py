from base64 import urlsafe_b64decode, urlsafe_b64encode

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

from recommendations.selectors import MAX_PAGE_SIZE


class PagePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


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


MAX_FEED_OFFSET = 10_000


def cursor_encode(offset: int) -> str:
    """Opaque to clients: they pass back what they were given."""
    return urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> int:
    try:
        text = urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        offset = int(number)
    except (ValueError, UnicodeDecodeError):
        offset = -1
        prefix = ""
    if prefix != "offset" or not 0 <= offset <= MAX_FEED_OFFSET:
        raise serializers.ValidationError("Invalid cursor; pass back the `next_cursor` of a previous page.")
    return offset
