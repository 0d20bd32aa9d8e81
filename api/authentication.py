from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header

from api import services


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication; a token also stops working when its user's password changes and when it expires."""

    def authenticate(self, request):
        # DRF passes over a scheme it does not know, and the answer would be "credentials were not provided".
        scheme = get_authorization_header(request).split(maxsplit=1)[:1]
        if scheme and scheme[0].lower() == b"bearer":
            raise exceptions.AuthenticationFailed(
                "Bearer tokens are not accepted here; send `Authorization: Token <key>` with the key from "
                "POST /api/v1/auth/token/.",
                code="wrong_auth_scheme",
            )
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if not services.token_matches_password(token=token):
            raise exceptions.AuthenticationFailed("Invalid token.")
        if services.token_is_expired(token=token):
            raise exceptions.AuthenticationFailed(
                "This token has expired; get a new one from POST /api/v1/auth/token/.", code="token_expired"
            )
        return user, token
