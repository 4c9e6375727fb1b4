"""Who is calling: JWT bearer tokens, API keys of service accounts, or the session.

`user_from_token` is the same check for other edges (WebSocket consumers): give
it an Authorization header value or a bare token and it returns the user or None.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication as _JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from api import keys

API_KEY_SCHEME = "Api-Key"
API_KEY_HEADER = "X-API-Key"


class JWTAuthentication(_JWTAuthentication):
    """simplejwt's, with a one-line message instead of a list of tried token classes."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        try:
            return super().authenticate(request)
        except InvalidToken:
            raise exceptions.AuthenticationFailed(
                "The bearer token is invalid or expired; get a new one from "
                "POST /api/auth/token/ or /api/auth/token/refresh/."
            ) from None


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>` or `X-API-Key: <key>`."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        raw = _api_key_from(request)
        if raw is None:
            return None
        user = keys.user_for_key(raw)
        if user is None:
            raise exceptions.AuthenticationFailed("The API key is unknown or revoked.")
        return user, None

    def authenticate_header(self, request: Request) -> str:
        return API_KEY_SCHEME


def _api_key_from(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == API_KEY_SCHEME.lower() and value.strip():
        return value.strip()
    direct = request.headers.get(API_KEY_HEADER, "").strip()
    return direct or None


def user_from_token(raw: str | None) -> AbstractBaseUser | None:
    """The active user for "Bearer <jwt>", "Api-Key <key>", or a bare JWT or API key."""
    if not raw:
        return None
    scheme, _, value = raw.strip().partition(" ")
    token = value.strip() if value else scheme
    if scheme.lower() == API_KEY_SCHEME.lower() or token.startswith(keys.KEY_PREFIX):
        user = keys.user_for_key(token)
        return user if user is not None else None
    authenticator = _JWTAuthentication()
    try:
        user = authenticator.get_user(authenticator.get_validated_token(token.encode()))
    except (InvalidToken, TokenError, exceptions.AuthenticationFailed):
        return None
    return user if getattr(user, "is_active", False) else None
