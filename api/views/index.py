"""`/api/v1/`: a map of the API for a client (or a person) arriving without the schema."""

from django.urls import reverse
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import errors
from api.serializers.index import ApiIndexSerializer

# Resources a client can start from; addresses with an id in them are found through these and the schema.
RESOURCES = {
    "domains": "api_domains",
    "items": "api_items",
    "items_bulk_upsert": "api_items_bulk_upsert",
    "feed": "api_feed",
    "popular": "api_popular",
    "interactions": "api_interactions",
    "interactions_batch": "api_interactions_batch",
    "me_profile": "api_me_profile",
    "me_interests": "api_me_interests",
    "me_domains": "api_me_domains",
    "auth_token": "api_auth_token",
    "auth_token_revoke": "api_auth_token_revoke",
}


class ApiIndexApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["index"],
        summary="Where everything is: resources, schema, docs and how to authenticate",
        responses={200: ApiIndexSerializer, **errors()},
    )
    def get(self, request):
        def url(name: str) -> str:
            return request.build_absolute_uri(reverse(name))

        index = {
            "name": spectacular_settings.TITLE,
            "version": spectacular_settings.VERSION,
            "resources": {resource: url(name) for resource, name in RESOURCES.items()},
            "schema": url("api_schema"),
            "docs": url("api_docs"),
            "redoc": url("api_redoc"),
            "authentication": {
                "header": "Authorization: Token <key>",
                "token_url": url("api_auth_token"),
                "revoke_url": url("api_auth_token_revoke"),
                "description": (
                    "POST a username and password to token_url for the key. Reads of the catalog and the public "
                    "feeds need no token; the site's session cookie also works, with the CSRF token on writes."
                ),
            },
            "pagination": (
                "Lists take `page_size` and answer with `results`, `total`, and `next` (a URL) and `next_cursor`, "
                "both null on the last page; pass `next_cursor` as `cursor` to continue."
            ),
        }
        return Response(ApiIndexSerializer(index).data)
