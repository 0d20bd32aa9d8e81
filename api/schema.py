"""Shared pieces of the OpenAPI description."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import SAFE_METHODS

from api.serializers.errors import ErrorSerializer

_DESCRIPTIONS = {
    400: "Invalid input; `fields` says which and why.",
    401: "Not signed in: send `Authorization: Token <key>` or a session cookie.",
    403: "Signed in but not allowed (not staff, or missing CSRF token on a session write).",
    404: "No such object, or not yours.",
    413: "Request body over the size limit.",
    414: "The address (path and query) is longer than 4094 characters.",
    415: "Send JSON (`Content-Type: application/json`).",
    429: "Throttled; retry after `Retry-After` seconds.",
}


def errors(*status_codes: int) -> dict[int, OpenApiResponse]:
    """Error responses for @extend_schema; 414 and 429 apply to every endpoint."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[code]) for code in (*status_codes, 414, 429)
    }


class PublicReadsSchema(AutoSchema):
    """For views whose reads are open to anyone while writes need staff: the reads are marked as needing no token
    (drf-spectacular only knows this of DRF's own AllowAny and IsAuthenticatedOrReadOnly)."""

    def get_auth(self):
        auths = super().get_auth()
        if self.method in SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths
