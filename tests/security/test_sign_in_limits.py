"""Lock-outs: the API token endpoint shares the sign-in page's, and password spraying across usernames
from one address is limited too (accounts.lockout)."""

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from tests.careplans.records import PASSWORD

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"


def get_token(username: str, password: str, address: str = "192.0.2.10"):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_the_token_endpoint_locks_out_like_the_sign_in_page(users, client):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert get_token("kw", "wrong").status_code == 400
    response = get_token("kw", "wrong")
    assert response.status_code == 429
    assert response.json() == {
        "status": 429,
        "code": "locked_out",
        "message": "Too many failed sign-ins from here: signing in is paused for a while. Try again later.",
        "fields": {},
    }
    # The right password is refused while locked, on the API and the sign-in page alike.
    assert get_token("kw", PASSWORD).status_code == 429
    response = client.post(reverse("login"), {"username": "kw", "password": PASSWORD}, REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 429 and "Signing in is paused" in response.content.decode()
    # Another address, and another username from this one, are not locked.
    assert get_token("kw", PASSWORD, address="192.0.2.11").status_code == 200
    assert get_token("kw2", PASSWORD).status_code == 200


def test_password_spraying_from_one_address_is_locked_out(users, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6
    usernames = ["kw", "kw2", "com", "adm", "nobody", "someone"]  # one wrong password each: no username lock
    statuses = [get_token(name, "Spring2025!").status_code for name in usernames]
    assert statuses == [400] * 5 + [429]
    # Now every username is refused from that address, even with the right password...
    assert get_token("com", PASSWORD).status_code == 429
    # ...but not from another address.
    assert get_token("com", PASSWORD, address="192.0.2.99").status_code == 200
