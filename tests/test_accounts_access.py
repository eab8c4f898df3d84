import pytest
from django.urls import reverse

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from accounts.selectors import user_roles
from accounts.services import ensure_user

pytestmark = pytest.mark.django_db


def test_login_page_signs_in_a_keyworker(client):
    ensure_user(username="kw", password="a-long-password-1", role=KEYWORKER)
    response = client.post(reverse("login"), {"username": "kw", "password": "a-long-password-1"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert "Signed in as kw" in client.get(reverse("home")).content.decode()


def test_wrong_password_is_refused_with_a_message(client):
    ensure_user(username="kw", password="a-long-password-1", role=KEYWORKER)
    response = client.post(reverse("login"), {"username": "kw", "password": "wrong"})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()


def test_roles_come_from_groups_and_superusers_are_admins(django_user_model):
    assert user_roles(ensure_user(username="c", password="a-long-password-1", role=COMMISSIONER)) == {COMMISSIONER}
    root = django_user_model.objects.create_superuser("root", password="x")
    assert user_roles(root) == {ADMIN}


def test_home_shows_admin_links_only_to_admins(client):
    client.force_login(ensure_user(username="c", password="a-long-password-1", role=COMMISSIONER))
    assert "Sites and what they offer" not in client.get(reverse("home")).content.decode()
    client.force_login(ensure_user(username="a", password="a-long-password-1", role=ADMIN))
    assert "Sites and what they offer" in client.get(reverse("home")).content.decode()
