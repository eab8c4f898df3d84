import pytest

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from accounts.services import ensure_user
from tests.reach.conftest import small_world  # noqa: F401  (shared fixture)

PASSWORD = "a-long-password-1"


@pytest.fixture
def users(db):
    return {role: ensure_user(username=role, password=PASSWORD, role=role) for role in (ADMIN, COMMISSIONER, KEYWORKER)}


@pytest.fixture
def commissioner_client(client, users):
    client.force_login(users[COMMISSIONER])
    return client
