"""Domains and items: anyone reads, staff write."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import page_body, paginated, queryset_page
from api.parsers import SizeLimitedJSONParser
from api.permissions import IsStaffOrReadOnly
from api.schema import PublicReadsSchema, errors
from api.serializers.catalog import (
    DomainSerializer,
    ItemInputSerializer,
    ItemListFiltersSerializer,
    ItemSerializer,
    ItemUpsertRequestSerializer,
    ItemUpsertResponseSerializer,
)
from api.serializers.feed import SimilarItemsSerializer, SimilarParamsSerializer
from api.serializers.fields import query_data
from content import selectors, services
from content.models import Domain
from recommendations import selectors as rec_selectors

ITEM_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Item id.")


class DomainListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["catalog"], summary="List the content domains", responses={200: DomainSerializer(many=True), **errors()}
    )
    def get(self, request):
        return Response(DomainSerializer(Domain.objects.all(), many=True).data)


class ItemListApi(APIView):
    permission_classes = [IsStaffOrReadOnly]
    parser_classes = [SizeLimitedJSONParser, MultiPartParser]
    schema = PublicReadsSchema()

    @extend_schema(
        tags=["catalog"],
        operation_id="items_list",
        summary="List active items",
        parameters=[ItemListFiltersSerializer],
        responses={200: paginated(ItemSerializer), **errors(400)},
    )
    def get(self, request):
        filters = ItemListFiltersSerializer(data=query_data(request))
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        items = selectors.item_list(domain=data.get("domain"), tag=data.get("tag"), search=data.get("search"))
        rows, next_offset, total = queryset_page(items, offset=data.get("cursor", 0), limit=data["page_size"])
        results = ItemSerializer(rows, many=True, context={"request": request}).data
        return Response(
            page_body(request, results=results, next_offset=next_offset, total=total, max_offset=filters.max_offset)
        )

    @extend_schema(
        tags=["catalog"],
        summary="Create an item (staff); it is embedded in the background",
        request=ItemInputSerializer,
        responses={201: ItemSerializer, **errors(400, 401, 403, 413, 415)},
    )
    def post(self, request):
        serializer = ItemInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.item_create(**serializer.validated_data)
        return Response(ItemSerializer(item, context={"request": request}).data, status=status.HTTP_201_CREATED)


class ItemDetailApi(APIView):
    permission_classes = [IsStaffOrReadOnly]
    parser_classes = [SizeLimitedJSONParser, MultiPartParser]
    schema = PublicReadsSchema()

    def _item(self, request, pk: int):
        return get_object_or_404(selectors.item_visible(user=request.user), pk=pk)

    @extend_schema(
        tags=["catalog"], summary="One item", parameters=[ITEM_ID], responses={200: ItemSerializer, **errors(404)}
    )
    def get(self, request, pk: int):
        return Response(ItemSerializer(self._item(request, pk), context={"request": request}).data)

    @extend_schema(
        tags=["catalog"],
        summary="Change an item (staff); a changed text is re-embedded",
        parameters=[ITEM_ID],
        request=ItemInputSerializer(partial=True),
        responses={200: ItemSerializer, **errors(400, 401, 403, 404, 413, 415)},
    )
    def patch(self, request, pk: int):
        item = self._item(request, pk)
        serializer = ItemInputSerializer(instance=item, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        item = services.item_update(item=item, **serializer.validated_data)
        return Response(ItemSerializer(item, context={"request": request}).data)

    @extend_schema(
        tags=["catalog"],
        summary="Deactivate an item (staff); it leaves lists and feeds but its history stays",
        parameters=[ITEM_ID],
        responses={204: None, **errors(401, 403, 404)},
    )
    def delete(self, request, pk: int):
        services.item_deactivate(item=self._item(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ItemSimilarApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["recommendations"],
        summary="Items similar to this one",
        parameters=[ITEM_ID, SimilarParamsSerializer],
        responses={200: SimilarItemsSerializer, **errors(400, 404)},
    )
    def get(self, request, pk: int):
        params = SimilarParamsSerializer(data=query_data(request))
        params.is_valid(raise_exception=True)
        item = get_object_or_404(selectors.item_list(), pk=pk)
        user = request.user if request.user.is_authenticated else None
        entries = rec_selectors.similar_items(item=item, user=user, limit=params.validated_data["limit"])
        return Response(SimilarItemsSerializer({"results": entries}, context={"request": request}).data)


class ItemBulkUpsertApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        tags=["catalog"],
        summary="Create or update many items matched on external_id (staff)",
        description=(
            "All rows are checked first; if any is invalid nothing is saved and `fields.items` lists the errors by "
            "position. Fields a row leaves out keep their current value. At most `API_MAX_BATCH` (500) rows."
        ),
        request=ItemUpsertRequestSerializer,
        responses={200: ItemUpsertResponseSerializer, **errors(400, 401, 403, 413, 415)},
    )
    def post(self, request):
        serializer = ItemUpsertRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        results = services.items_upsert(rows=serializer.validated_data["items"])
        created = sum(1 for _, was_created in results if was_created)
        body = {
            "created": created,
            "updated": len(results) - created,
            "results": [
                {"id": item.pk, "external_id": item.external_id, "status": "created" if was_created else "updated"}
                for item, was_created in results
            ],
        }
        return Response(ItemUpsertResponseSerializer(body).data)
