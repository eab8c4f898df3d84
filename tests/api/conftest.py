import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from accounts.services import ensure_user

PASSWORD = "a-long-password-1"


@pytest.fixture
def users(db):
    return {role: ensure_user(username=role, password=PASSWORD, role=role)
            for role in (ADMIN, COMMISSIONER, KEYWORKER)}


@pytest.fixture
def api(users):
    """api(role) → a client sending that role's token; api(None) → anonymous."""

    def client(role: str | None) -> APIClient:
        c = APIClient()
        if role:
            token, _ = Token.objects.get_or_create(user=users[role])
            c.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return c

    return client


from tests.reach.conftest import small_world  # noqa: F401  (two localities, two providers, three offers)
