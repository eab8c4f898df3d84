"""API clients for tests (not fixtures: those live in conftest.py)."""

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

PASSWORD = "a-long-password-1"


def token_client(user) -> APIClient:
    """A client sending the user's API token; anonymous for None."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
