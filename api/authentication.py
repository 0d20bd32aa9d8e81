from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from api import services


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication; a token also stops working when its user's password changes and when it expires."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if not services.token_matches_password(token=token):
            raise exceptions.AuthenticationFailed("Invalid token.")
        if services.token_is_expired(token=token):
            raise exceptions.AuthenticationFailed(
                "This token has expired; get a new one from POST /api/v1/auth/token/.", code="token_expired"
            )
        return user, token
