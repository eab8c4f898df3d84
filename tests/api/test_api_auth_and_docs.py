"""Getting a token, session sign-in, and the OpenAPI schema with its locally served docs."""

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import COMMISSIONER, KEYWORKER
from tests.api.clients import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_token_for_username_and_password_then_revoked(users):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": KEYWORKER, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/me/").json() == {"username": KEYWORKER, "roles": [KEYWORKER]}
    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401


def test_a_wrong_password_is_a_400_in_the_error_format(users):
    response = APIClient().post("/api/v1/auth/token/", {"username": KEYWORKER, "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["non_field_errors"] == ["Unable to log in with provided credentials."]
    assert response.json()["message"] == "Unable to log in with provided credentials."


def test_a_signed_in_page_session_works_for_the_api(client, users):
    client.force_login(users[COMMISSIONER])
    assert client.get("/api/v1/runs/").status_code == 200


def test_home_links_to_the_api_for_signed_in_users(client, users):
    assert reverse("api:swagger") not in client.get("/").content.decode()
    client.force_login(users[KEYWORKER])
    assert reverse("api:swagger") in client.get("/").content.decode()


def test_schema_and_its_pages_need_sign_in_but_open_referral_stays_open(client, users):
    assert client.get("/api/schema/").status_code == 401
    for name in ("api:swagger", "api:redoc"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get("/openreferral/services").status_code == 200
    assert client.get("/openreferral/openapi.json").status_code == 200
    client.force_login(users[KEYWORKER])
    assert client.get("/api/schema/").status_code == 200


def test_password_reset_is_not_live_without_an_email_backend(client):
    for path in ("/accounts/password_reset/", "/accounts/reset/done/", "/accounts/reset/MQ/set-password/"):
        assert client.get(path).status_code == 404
    assert client.get(reverse("login")).status_code == 200


def test_schema_describes_every_operation_with_the_error_format(client, users):
    client.force_login(users[KEYWORKER])
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert len(operations) > 40
    assert {p for p, _, _ in operations} >= {
        "/api/v1/runs/",
        "/api/v1/runs/{id}/results/",
        "/api/v1/sites/",
        "/openreferral/services",
        "/openreferral/services/{record_id}",
    }
    for path, method, op in operations:
        assert op.get("summary"), (method, path)
        if path.startswith("/api/v1/") and path != "/api/v1/auth/token/":
            assert op["responses"]["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert "examples" in schema["paths"]["/api/v1/runs/"]["post"]["requestBody"]["content"]["application/json"]


@pytest.mark.parametrize("name", ["api:swagger", "api:redoc"])
def test_docs_pages_load_their_assets_from_this_site(client, users, name):
    client.force_login(users[KEYWORKER])
    page = client.get(reverse(name)).content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn." not in page and "https://" not in page.replace("https://github.com", "")


def test_schema_generates_without_warnings_and_validates(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/runs/{id}/summary/" in (tmp_path / "schema.yaml").read_text()
