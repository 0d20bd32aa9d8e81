from axes.helpers import get_cool_off
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api import services
from api.schema import errors
from api.serializers.auth import TokenRequestSerializer, TokenSerializer
from api.throttles import AuthTokenThrottle


class AuthTokenApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthTokenThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Exchange a username and password for an API token",
        description=(
            "Send the token as `Authorization: Token <key>`. Asking again returns the same token while it is good. "
            "A token stops working after `API_TOKEN_TTL_HOURS` (720), when it is revoked, and when the password "
            "changes. Repeated failures lock the account out for a while."
        ),
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **errors(400, 413, 415)},
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The DRF request, not the Django one: axes flags a lockout on it, and the answer stays this JSON
        # instead of the lockout page its middleware would put in place for a flagged Django request.
        user = authenticate(request=request, **serializer.validated_data)
        if getattr(request, "axes_locked_out", False):
            cool_off = get_cool_off(request)
            raise exceptions.Throttled(
                wait=cool_off.total_seconds() if cool_off else None,
                detail="Too many failed sign-ins for this account; try again later.",
                code="locked_out",
            )
        if user is None:
            raise exceptions.ValidationError({"non_field_errors": ["Unable to sign in with these credentials."]})
        token = services.token_issue(user=user)
        return Response(TokenSerializer({"token": token.key}).data, status=status.HTTP_200_OK)


class AuthTokenRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        summary="Revoke your API token (log out)",
        description="The token stops working at once; `POST /api/v1/auth/token/` gives a new one.",
        request=None,
        responses={204: None, **errors(401, 403)},
    )
    def post(self, request):
        services.token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
