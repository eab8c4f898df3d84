import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from accounts.services import ensure_user

PASSWORD = "a-long-password-1"


@pytest.fixture
def users(db):
    return {role: ensure_user(username=role, password=PASSWORD, role=role) for role in (ADMIN, COMMISSIONER, KEYWORKER)}


def token_client(user) -> APIClient:
    """A client sending the user's API token; anonymous for None."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(users):
    """api(role) → a client sending that role's token; api(None) → anonymous."""
    return lambda role: token_client(users[role] if role else None)


from tests.reach.conftest import small_world  # noqa: F401  (two localities, two providers, three offers)
