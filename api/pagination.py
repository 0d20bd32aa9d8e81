"""One way to page through every list in the API: `page_size` and an opaque `cursor` in, and `results`, `next`,
`next_cursor` and `total` out."""

from base64 import urlsafe_b64decode, urlsafe_b64encode

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.utils.urls import replace_query_param

from recommendations.selectors import MAX_PAGE_SIZE

# Ranking deeper than this costs more than anyone reads; a plain list can be paged to its end (an int4 keeps the
# database's OFFSET well inside its range).
MAX_FEED_OFFSET = 10_000
MAX_LIST_OFFSET = 2**31 - 1
DEFAULT_PAGE_SIZE = 20


def cursor_encode(offset: int) -> str:
    """Opaque to clients: they pass back what they were given."""
    return urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str, *, max_offset: int) -> int:
    try:
        text = urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        offset = int(number)
    except (ValueError, UnicodeDecodeError):
        offset = -1
        prefix = ""
    if prefix != "offset" or not 0 <= offset <= max_offset:
        raise serializers.ValidationError("Invalid cursor; pass back the `next_cursor` of a previous page.")
    return offset


class PageParamsSerializer(serializers.Serializer):
    """The paging parameters of a list; a view's own filters subclass it, so the schema shows both."""

    max_offset = MAX_LIST_OFFSET

    cursor = serializers.CharField(required=False, max_length=200, help_text="Opaque `next_cursor` of a previous page.")
    page_size = serializers.IntegerField(
        required=False, default=DEFAULT_PAGE_SIZE, min_value=1, max_value=MAX_PAGE_SIZE, help_text="Entries per page."
    )

    def validate_cursor(self, value):
        return cursor_decode(value, max_offset=self.max_offset)

    def validate(self, data):
        # A client still sending page numbers would otherwise be handed the first page again and again.
        if "page" in self.initial_data:
            raise serializers.ValidationError(
                {"page": "Pages are not numbered: follow `next`, or pass the `next_cursor` of a page as `cursor`."}
            )
        return data


def page_body(request, *, results: list, next_offset: int | None, total: int, max_offset: int) -> dict:
    next_cursor = cursor_encode(next_offset) if next_offset is not None and next_offset <= max_offset else None
    return {
        "results": results,
        "next": replace_query_param(request.build_absolute_uri(), "cursor", next_cursor) if next_cursor else None,
        "next_cursor": next_cursor,
        "total": total,
    }


def queryset_page(queryset: QuerySet, *, offset: int, limit: int) -> tuple[list, int | None, int]:
    """(rows, offset of the next page or None, total) of one page of a queryset."""
    total = queryset.count()
    rows = list(queryset[offset : offset + limit])
    return rows, (offset + limit if offset + limit < total else None), total


def paginated(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The page envelope of `page_body` around a list, for the schema."""
    return type(
        f"Paginated{serializer_class.__name__.removesuffix('Serializer')}List",
        (serializers.Serializer,),
        {
            "results": serializer_class(many=True),
            "next": serializers.URLField(allow_null=True, help_text="URL of the next page; null on the last one."),
            "next_cursor": serializers.CharField(allow_null=True, help_text="Pass as `cursor` for the next page."),
            "total": serializers.IntegerField(help_text="How many entries the whole list has."),
        },
    )
