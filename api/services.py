"""API tokens: DRF authtoken rows whose key is bound to the user's password hash, and that expire.

A key is a random nonce followed by an HMAC of that nonce and the user's password hash. Any change of the stored hash
(a password change or reset on the site, in the admin, `changepassword`, `set_password` anywhere, even a direct UPDATE)
makes every earlier key fail the check, the way Django's session auth hash ends sessions; a signal on the user model
would miss writes that bypass save() and need a hook per way of changing a password.
"""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from rest_framework.authtoken.models import Token

KEY_SALT = "api.services.token"
KEY_LENGTH = 40  # authtoken's key column
NONCE_LENGTH = 20


def _proof(*, user: AbstractBaseUser, nonce: str, secret: str) -> str:
    digest = salted_hmac(KEY_SALT, f"{nonce}:{user.password}", secret=secret, algorithm="sha256").hexdigest()
    return digest[: KEY_LENGTH - NONCE_LENGTH]


def token_matches_password(*, token: Token) -> bool:
    """False once the user's password (hash) changed after the token was issued."""
    nonce, proof = token.key[:NONCE_LENGTH], token.key[NONCE_LENGTH:]
    # Keys issued under a secret being rotated out keep working, as sessions do.
    secrets_in_use = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return any(
        constant_time_compare(proof, _proof(user=token.user, nonce=nonce, secret=secret)) for secret in secrets_in_use
    )


def token_expires_at(*, token: Token) -> datetime:
    return token.created + timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def token_is_expired(*, token: Token) -> bool:
    return timezone.now() >= token_expires_at(token=token)


def token_issue(*, user: AbstractBaseUser) -> Token:
    """The user's token: the current one while it is good, else a new one in its place."""
    token = Token.objects.filter(user=user).select_related("user").first()
    if token is not None and token_matches_password(token=token) and not token_is_expired(token=token):
        return token
    nonce = secrets.token_hex(NONCE_LENGTH // 2)
    key = nonce + _proof(user=user, nonce=nonce, secret=settings.SECRET_KEY)
    try:
        with transaction.atomic():
            Token.objects.filter(user=user).delete()
            return Token.objects.create(user=user, key=key)
    except IntegrityError:
        # Another request issued one at the same moment; both callers get that one.
        return Token.objects.get(user=user)


def token_revoke(*, user: AbstractBaseUser) -> None:
    Token.objects.filter(user=user).delete()
