"""JWT tokens: POST /api/auth/token/ (username, password) and /api/auth/token/refresh/."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from aladdin import audit
from api.views.common import E400, error

E401_LOGIN = error("Wrong credentials", "No active account found with the given credentials")
TOKENS_EXAMPLE = OpenApiExample(
    "Tokens",
    response_only=True,
    value={"access": "eyJhbGciOiJIUzI1NiIs...", "refresh": "eyJhbGciOiJIUzI1NiIs..."},
)


class TokenView(TokenObtainPairView):
    @extend_schema(
        operation_id="auth_token",
        summary="A JWT access and refresh token for a username and password",
        responses={200: TokenObtainPairSerializer, 400: E400, 401: E401_LOGIN},
        examples=[
            OpenApiExample(
                "Log in", request_only=True, value={"username": "admin", "password": "admin"}
            ),
            TOKENS_EXAMPLE,
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A failed attempt is audited by the user_login_failed signal that authenticate() sends.
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.user  # type: ignore[attr-defined]
        audit.record("auth.login", "user", user.pk, user=user, changes={"method": "jwt"})
        return Response(serializer.validated_data)


class RefreshView(TokenRefreshView):
    @extend_schema(
        operation_id="auth_token_refresh",
        summary="A new access token for a refresh token",
        responses={
            200: TokenObtainPairSerializer,
            400: E400,
            401: error("Bad token", "Token is invalid"),
        },
        examples=[
            OpenApiExample("Refresh", request_only=True, value={"refresh": "eyJhbGciOi..."}),
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)
