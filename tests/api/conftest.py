import pytest

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from accounts.services import ensure_user
from tests.api.clients import PASSWORD, token_client


@pytest.fixture
def users(db):
    return {role: ensure_user(username=role, password=PASSWORD, role=role) for role in (ADMIN, COMMISSIONER, KEYWORKER)}


@pytest.fixture
def api(users):
    """api(role) → a client sending that role's token; api(None) → anonymous."""
    return lambda role: token_client(users[role] if role else None)
