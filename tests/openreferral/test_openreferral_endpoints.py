"""The open ORUK endpoints: no sign-in, CORS, HSDS pagination, look-ups by id, filters."""

import pytest
from rest_framework.test import APIClient

from openreferral import mapping as m

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return APIClient()


def test_services_are_open_paginated_the_hsds_way(client, catalogue):
    response = client.get("/openreferral/services?per_page=3&page=2")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert {
        k: body[k] for k in ("total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty")
    } == {
        "total_items": 4,
        "total_pages": 2,
        "page_number": 2,
        "size": 1,
        "first_page": False,
        "last_page": True,
        "empty": False,
    }
    # One-to-one fields only; the ages are unknown for this one, so they are left out rather than null.
    one_to_one = {"id", "organization_id", "name", "description", "url", "status", "last_modified"}
    assert set(body["contents"][0]) == one_to_one


def test_a_fully_nested_service_by_its_stable_id(client, catalogue):
    service_id = m.service_id(("HUB", "OST", "outreach"))
    body = client.get(f"/openreferral/services/{service_id}").json()
    assert body["id"] == service_id and body["url"] == f"http://testserver/openreferral/services/{service_id}"
    assert body["organization"]["name"] == "Dorset NHS"
    assert body["service_at_locations"][0]["location"]["external_identifier"] == "HUB"
    assert {a["taxonomy_term"]["term_uri"] for a in body["attributes"]} == {
        "urn:choicemap:menu-option:OST",
        "urn:choicemap:delivery:outreach",
    }
    assert body["schedules"][0]["description"] == "Tu 10:00-13:00"


def test_every_detail_endpoint_finds_what_its_list_shows(client, catalogue):
    for plural in ["services", "organizations", "locations", "service_at_locations", "taxonomies", "taxonomy_terms"]:
        listed = client.get(f"/openreferral/{plural}?per_page=500").json()["contents"]
        assert listed, plural
        for record in listed:
            assert client.get(f"/openreferral/{plural}/{record['id']}").json()["id"] == record["id"]
        response = client.get(f"/openreferral/{plural}/not-an-id")
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_filters_by_term_taxonomy_organization_and_search(client, catalogue):
    def ids(query):
        return {s["name"] for s in client.get(f"/openreferral/services?{query}").json()["contents"]}

    assert len(ids(f"taxonomy_term_id={m.option_term_id('NSP')}")) == 2
    assert len(ids(f"taxonomy_term_id={m.category_term_id('pharmacological')}")) == 2
    assert ids(f"taxonomy_term_id={m.delivery_term_id('remote')}") == {
        "Needle and syringe programme (remote), Closed clinic"
    }
    assert len(ids(f"organization_id={m.organization_id('Dorset NHS')}")) == 3
    assert ids("taxonomy_id=unknown") == set()
    assert len(ids(f"taxonomy_id={m.MENU_TAXONOMY['id']}")) == 4
    assert len(ids("search=syringe")) == 2


def test_bad_paging_is_a_field_error(client, catalogue):
    response = client.get("/openreferral/services?per_page=0&page=x")
    assert response.status_code == 400 and set(response.json()["fields"]) == {"per_page", "page"}


def test_api_details(client):
    body = client.get("/openreferral/").json()
    assert body["version"] == "HSDS-UK-3.0" and body["openapi_url"] == "http://testserver/openreferral/openapi.json"
