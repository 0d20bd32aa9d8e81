"""The signed-in user's feedback: only ever their own rows."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import page_body, paginated, queryset_page
from api.schema import errors
from api.serializers.fields import query_data
from api.serializers.interactions import (
    InteractionBatchEnvelopeSerializer,
    InteractionBatchRequestSerializer,
    InteractionBatchResponseSerializer,
    InteractionInputSerializer,
    InteractionListFiltersSerializer,
    InteractionRecordedSerializer,
    InteractionSerializer,
    InteractionWithItemSerializer,
)
from content import selectors, services

INTERACTION_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Interaction id.")


def _with_items(interactions):
    """The item summaries in the same query, without the items' vectors."""
    return interactions.select_related("item__domain").defer("item__embedding")


def _recorded(interaction, outcome: str) -> dict:
    return {**InteractionSerializer(interaction).data, "status": outcome}


class InteractionListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["interactions"],
        operation_id="interactions_list",
        summary="Your interactions, newest first, each with a summary of its item",
        description="`kind=save` lists what you saved, `kind=like` what you liked, and so on.",
        parameters=[InteractionListFiltersSerializer],
        responses={200: paginated(InteractionWithItemSerializer), **errors(400, 401)},
    )
    def get(self, request):
        filters = InteractionListFiltersSerializer(data=query_data(request))
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        interactions = _with_items(
            selectors.interaction_list(user=request.user, kind=data.get("kind"), item_id=data.get("item"))
        )
        rows, next_offset, total = queryset_page(interactions, offset=data.get("cursor", 0), limit=data["page_size"])
        results = InteractionWithItemSerializer(rows, many=True).data
        return Response(
            page_body(request, results=results, next_offset=next_offset, total=total, max_offset=filters.max_offset)
        )

    @extend_schema(
        tags=["interactions"],
        summary="Record one interaction (view, click, like, dislike, save, hide, rating)",
        description=(
            "201 when new. 200 when it changed nothing new: `status` is `duplicate` for a `client_id` seen before, "
            "`updated` for a like/save/hide/rating that already existed. A like replaces a dislike and vice versa."
        ),
        request=InteractionInputSerializer,
        responses={
            201: InteractionRecordedSerializer,
            200: InteractionRecordedSerializer,
            **errors(400, 401, 403, 413, 415),
        },
    )
    def post(self, request):
        serializer = InteractionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        [(interaction, outcome)] = services.interactions_record_batch(
            user=request.user, entries=[serializer.validated_data]
        )
        code = status.HTTP_201_CREATED if outcome == services.InteractionOutcome.CREATED else status.HTTP_200_OK
        return Response(_recorded(interaction, outcome), status=code)


class InteractionBatchApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["interactions"],
        summary="Record many interactions at once (offline clients, imports)",
        description=(
            "At most `API_MAX_BATCH` (500) entries. Each entry is checked on its own: a bad one is `rejected` with "
            "its errors and the others are kept. Give each entry a `client_id` and a retried batch is reported as "
            "`duplicate` instead of being counted twice."
        ),
        request=InteractionBatchRequestSerializer,
        responses={200: InteractionBatchResponseSerializer, **errors(400, 401, 403, 413, 415)},
    )
    def post(self, request):
        envelope = InteractionBatchEnvelopeSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        checked = [InteractionInputSerializer(data=entry) for entry in envelope.validated_data["interactions"]]
        valid = [serializer.validated_data for serializer in checked if serializer.is_valid()]
        # Results come back in the order of the valid entries; rejected ones are slotted in between.
        recorded = iter(services.interactions_record_batch(user=request.user, entries=valid))
        results = []
        for index, serializer in enumerate(checked):
            if serializer.errors:
                results.append({"index": index, "status": "rejected", "interaction": None, "errors": serializer.errors})
            else:
                interaction, outcome = next(recorded)
                results.append({"index": index, "status": outcome, "interaction": interaction, "errors": None})
        counts = {outcome: sum(1 for row in results if row["status"] == outcome) for outcome in
                  ("created", "updated", "duplicate", "rejected")}  # fmt: skip
        return Response(InteractionBatchResponseSerializer({**counts, "results": results}).data)


class InteractionDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["interactions"],
        summary="One of your interactions, with a summary of its item",
        parameters=[INTERACTION_ID],
        responses={200: InteractionWithItemSerializer, **errors(401, 404)},
    )
    def get(self, request, pk: int):
        interaction = get_object_or_404(_with_items(selectors.interaction_list(user=request.user)), pk=pk)
        return Response(InteractionWithItemSerializer(interaction).data)

    @extend_schema(
        tags=["interactions"],
        summary="Undo one of your interactions",
        parameters=[INTERACTION_ID],
        responses={204: None, **errors(401, 403, 404)},
    )
    def delete(self, request, pk: int):
        if not services.interaction_remove(user=request.user, interaction_id=pk):
            raise NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)
