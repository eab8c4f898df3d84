"""Tokens for scripts, and who the caller is."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_roles


class TokenView(ObtainAuthToken):
    """POST username and password for a token; DELETE (signed in) revokes your token."""

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "DELETE" else []

    def get_serializer_context(self):
        # django-axes marks a lock-out on the Django request, where its middleware looks: the token
        # endpoint then shares the sign-in page's lock-outs and answers 429 (accounts.lockout).
        return {**super().get_serializer_context(), "request": self.request._request}

    @extend_schema(
        summary="Get an API token",
        tags=["auth"],
        examples=[
            OpenApiExample(
                "Sign in", request_only=True, value={"username": "commissioner", "password": "choicemap-demo"}
            )
        ],
        description="Send it on every request as `Authorization: Token <key>`. The same token comes back "
        "until it is revoked. Repeated wrong passwords lock the username out from your address, as on the "
        "sign-in page: 429 until the lock-out ends.",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    @extend_schema(summary="Revoke your API token", tags=["auth"], responses={204: None})
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField(), help_text="admin, commissioner, keyworker")


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Who am I",
        tags=["auth"],
        responses=MeSerializer,
        description="Your username and choicemap roles; the roles decide what the API lets you do.",
    )
    def get(self, request):
        return Response({"username": request.user.username, "roles": sorted(user_roles(request.user))})
