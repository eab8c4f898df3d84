"""Every endpoint's lists and details, and the export, against the official schemas (HSDS 3.0, the UK
profile, ORUK 3.0), with jsonschema and the schemas kept under fixtures/ (no network)."""

import io
import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from demo.services import DEMO_DIR
from tests.openreferral import schemas

pytestmark = pytest.mark.django_db

# endpoint → (HSDS object, ORUK compiled object, ORUK compiled page, compiled schemas of one list item)
ENDPOINTS = {
    "services": ("service", "service", "service_list", [("HSDS", schemas.HSDS / "compiled/service_list.json")]),
    "service_at_locations": ("service_at_location", "service_at_location", "service_at_location_list", []),
    "organizations": (
        "organization",
        "organization",
        None,
        [
            ("HSDS", schemas.HSDS / "compiled/organization_list.json"),
            ("ORUK", schemas.ORUK / "organization_list.json"),
        ],
    ),
    "locations": ("location", None, None, []),
    "taxonomies": ("taxonomy", "taxonomy", "taxonomy_list", []),
    "taxonomy_terms": ("taxonomy_term", "taxonomy_term", "taxonomy_term_list", []),
}


def problems(record: dict, hsds_name: str, oruk_name: str | None) -> list[str]:
    found = [f"HSDS {e}" for e in schemas.errors(schemas.hsds_validator(hsds_name), record)]
    found += [f"UK profile {e}" for e in schemas.errors(schemas.hsds_validator(hsds_name, profiled=True), record)]
    if oruk_name:
        found += [f"ORUK {e}" for e in schemas.errors(schemas.oruk_validator(oruk_name), record)]
    return found


@pytest.fixture
def client():
    return APIClient()


def test_the_validators_catch_what_the_issue_found(db):
    """The old shapes fail, so a pass below means something."""
    old_term = {"id": "7f9c9b7e-4c7e-4a47-8f39-5f3b2c1d0e9a", "term": "Harm reduction", "parent_id": None}
    assert any("'name' is a required property" in e for e in problems(old_term, "taxonomy_term", "taxonomy_term"))
    assert any("None is not of type 'string'" in e for e in problems(old_term, "taxonomy_term", "taxonomy_term"))
    old_service = {
        "id": "5d2c2b7e-4c7e-4a47-8f39-5f3b2c1d0e9a",
        "name": "x",
        "status": "active",
        "maximum_age": None,
        "url": "/openreferral/services/5d2c",
        "schedules": [{"id": "5d2c2b7e-4c7e-4a47-8f39-5f3b2c1d0e9b", "freq": "DAILY"}],
    }
    found = problems(old_service, "service", "service")
    assert any("None is not of type 'number'" in e for e in found)
    assert any("is not a 'uri'" in e for e in found)
    # Nested objects are checked too: HSDS through the local $ref to schedule.json.
    assert any(e.startswith("HSDS $.schedules[0].freq: 'DAILY' is not one of") for e in found)
    assert any(e.startswith("ORUK $.schedules[0].freq") for e in found)


VARIANTS = {
    "services": ["", "full=true", "minimal=true"],
    "service_at_locations": ["", "full=true"],
    "organizations": ["", "full=true", "full_service=true"],
}
CASES = [(plural, variant) for plural in ENDPOINTS for variant in VARIANTS.get(plural, [""])]


@pytest.mark.parametrize("plural, variant", CASES)
def test_every_list_and_detail_validates(client, catalogue, plural, variant):
    hsds_name, oruk_name, oruk_page, item_schemas = ENDPOINTS[plural]
    page = client.get(f"/openreferral/{plural}?per_page=500&{variant}").json()
    assert page["contents"], plural
    found = []
    for record in page["contents"]:
        if variant == "minimal=true":
            # What ORUK asks minimal for; its page schema, which requires a name, cannot hold it.
            assert set(record) == {"id", "last_modified"}
            continue
        found += problems(record, hsds_name, oruk_name)
        for standard, path in item_schemas:
            found += [f"{standard} list item {e}" for e in schemas.errors(schemas.compiled_validator(path), record)]
    if oruk_page and variant != "minimal=true":
        found += [f"ORUK page {e}" for e in schemas.errors(schemas.oruk_validator(oruk_page), page)]
    for record in page["contents"]:
        detail = client.get(f"/openreferral/{plural}/{record['id']}").json()
        found += problems(detail, hsds_name, oruk_name)
    assert found == []


def test_the_root_validates_and_points_at_the_oruk_openapi(client):
    found = []
    root = client.get("/openreferral").json()
    found += schemas.errors(schemas.oruk_validator("api_details"), root)
    assert found == []
    # The OpenAPI document it points to is the ORUK one, for this server.
    openapi = client.get(root["openapi_url"]).json()
    assert openapi["servers"] == [{"url": "http://testserver/openreferral"}]
    assert set(openapi["paths"]) >= {"/services", "/services/{id}", "/taxonomy_terms", "/service_at_locations"}


def test_the_export_validates(catalogue, tmp_path):
    path = tmp_path / "oruk.json"
    call_command("export_openreferral", output=str(path), base_url="https://choicemap.example", stdout=io.StringIO())
    document = json.loads(path.read_text())
    found = []
    for section, name in [
        ("services", "service"),
        ("organizations", "organization"),
        ("locations", "location"),
        ("taxonomies", "taxonomy"),
        ("taxonomy_terms", "taxonomy_term"),
    ]:
        assert document[section], section
        for record in document[section]:
            found += problems(record, name, None if name == "location" else name)
    assert found == []
    assert all(s["url"].startswith("https://choicemap.example/openreferral/services/") for s in document["services"])


def test_the_bare_root_answers_with_cors_not_a_redirect(client):
    response = client.get("/openreferral")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"


def test_the_whole_demo_catalogue_validates(client, tmp_path):
    """The catalogue the issue counted failures in (every service, every term): the whole export, and
    every tenth service fully nested over the endpoint (the same builder, with the nested objects)."""
    for command, name in [
        ("import_providers", "providers.csv"),
        ("import_options", "options.csv"),
        ("import_localities", "localities.geojson"),
        ("import_catalogue", "catalogue.csv"),
    ]:  # load_demo's catalogue, without its synthetic care records
        call_command(command, str(DEMO_DIR / name), stdout=io.StringIO())
    path = tmp_path / "demo.json"
    call_command("export_openreferral", output=str(path), base_url="https://choicemap.example", stdout=io.StringIO())
    document = json.loads(path.read_text())
    assert len(document["services"]) > 100 and len(document["taxonomy_terms"]) > 20
    found = []
    for record in document["taxonomy_terms"]:
        found += problems(record, "taxonomy_term", "taxonomy_term")
    for record in document["services"]:
        found += problems(record, "service", "service")
    for record in document["services"][::10]:
        found += problems(client.get(f"/openreferral/services/{record['id']}").json(), "service", "service")
    assert found == []
