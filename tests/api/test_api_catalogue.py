"""Catalogue endpoints: who may read and write, validation through the services, GeoJSON and filters."""

import pytest
from django.contrib.gis.geos import Point
from rest_framework.authtoken.models import Token

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from areas.services import refresh_drawing_geometries
from services.models import MenuOption, Site, SiteOffer
from tests.factories import LocalityFactory, MenuOptionFactory, ProviderFactory, SiteFactory, SiteOfferFactory, square

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [ADMIN, COMMISSIONER, KEYWORKER])
def test_every_role_reads_the_catalogue(api, small_world, role):
    client = api(role)
    assert [o["code"] for o in client.get("/api/v1/options/").json()["results"]] == ["OST", "NSP"]
    sites = client.get("/api/v1/sites/").json()
    assert sites["type"] == "FeatureCollection" and sites["count"] == 2
    assert {f["id"] for f in sites["features"]} == {"T1", "B1"}
    assert client.get("/api/v1/offers/?delivery=outreach").json()["results"][0]["outreach_localities"] == ["VILL"]
    assert client.get("/api/v1/providers/").json()["count"] == 2


def test_anonymous_callers_get_401_in_the_error_format(api, small_world):
    response = api(None).get("/api/v1/options/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "status": 401,
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
        "fields": {},
    }


def test_a_user_without_a_role_is_refused(api, users, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x")
    client = api(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=nobody).key}")
    assert client.get("/api/v1/options/").status_code == 403


@pytest.mark.parametrize("role", [COMMISSIONER, KEYWORKER])
def test_only_admins_write(api, small_world, role):
    response = api(role).post("/api/v1/options/", {"code": "NEW", "name": "New", "category": "recovery"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert api(role).delete("/api/v1/options/NSP/").status_code == 403
    assert not MenuOption.objects.filter(code="NEW").exists()
    assert MenuOption.objects.filter(code="NSP").exists()


def test_admin_creates_an_option_at_the_end_of_the_menu_and_changes_it(api, small_world):
    admin = api(ADMIN)
    response = admin.post(
        "/api/v1/options/", {"code": "PEER", "name": "Peer support", "category": "recovery"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["display_order"] > MenuOption.objects.get(code="NSP").display_order
    response = admin.patch("/api/v1/options/PEER/", {"name": "Mutual aid"}, format="json")
    assert response.status_code == 200 and MenuOption.objects.get(code="PEER").name == "Mutual aid"


def test_field_errors_name_the_field_and_nothing_is_written(api, small_world):
    response = api(ADMIN).post("/api/v1/options/", {"code": "OST", "name": "", "category": "magic"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["message"] == "3 fields are invalid."
    assert set(body["fields"]) == {"code", "name", "category"}
    assert "not a valid choice" in body["fields"]["category"][0]
    assert MenuOption.objects.count() == 2


def test_deleting_an_option_in_use_is_a_conflict(api, small_world):
    response = api(ADMIN).delete("/api/v1/options/OST/")
    assert response.status_code == 409
    assert response.json()["code"] == "protected" and "deactivate" in response.json()["message"]
    assert MenuOption.objects.filter(code="OST").exists()


def test_sites_are_written_as_geojson_features(api, small_world):
    provider_id = Site.objects.get(code="T1").provider_id
    feature = {
        "type": "Feature",
        "id": "NEW-1",
        "geometry": {"type": "Point", "coordinates": [-2.2, 50.71]},
        "properties": {"name": "New hub", "provider": provider_id, "postcode": "DT1 1AA"},
    }
    response = api(ADMIN).post("/api/v1/sites/", feature, format="json")
    assert response.status_code == 201, response.json()
    site = Site.objects.get(code="NEW-1")
    assert (site.location.x, site.location.y, site.postcode) == (-2.2, 50.71, "DT1 1AA")
    assert response.json()["properties"]["provider_name"] == site.provider.name


@pytest.mark.parametrize(
    "geometry, message",
    [
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}, "GeoJSON Point"),
        ({"type": "Point", "coordinates": [200, 50]}, "Longitude must lie"),
        ("not a geometry", "Unable to convert"),
    ],
)
def test_a_site_needs_a_wgs84_point(api, small_world, geometry, message):
    feature = {
        "type": "Feature",
        "id": "BAD",
        "geometry": geometry,
        "properties": {"name": "Bad", "provider": Site.objects.get(code="T1").provider_id},
    }
    response = api(ADMIN).post("/api/v1/sites/", feature, format="json")
    assert response.status_code == 400
    assert message in response.json()["fields"]["location"][0]
    assert not Site.objects.filter(code="BAD").exists()


def test_malformed_features_are_a_400_not_a_crash(api, small_world):
    admin = api(ADMIN)
    assert admin.post("/api/v1/sites/", [1, 2], format="json").status_code == 400
    assert admin.post("/api/v1/sites/", {"type": "Feature", "properties": 5}, format="json").status_code == 400


def test_bbox_filters_sites_and_bad_boxes_are_field_errors(api):
    inside = SiteFactory(code="IN", location=Point(-2.0, 50.7, srid=4326))
    SiteFactory(code="OUT", location=Point(-1.0, 50.7, srid=4326))
    client = api(KEYWORKER)
    response = client.get("/api/v1/sites/?in_bbox=-2.1,50.6,-1.9,50.8")
    assert [f["id"] for f in response.json()["features"]] == [inside.code]
    for box in ["1,2,3", "a,b,c,d", "-1.9,50.6,-2.1,50.8", "nan,1,2,3", "-200,0,0,1"]:
        response = client.get(f"/api/v1/sites/?in_bbox={box}")
        assert response.status_code == 400 and "in_bbox" in response.json()["fields"], box


def test_offer_rules_across_fields_are_reported_per_field(api, small_world):
    admin = api(ADMIN)
    base = {"site": "T1", "option": "NSP"}
    cases = [
        ({"delivery": "outreach"}, "outreach_localities"),
        ({"delivery": "home_visit"}, "home_visit_km"),
        ({"delivery": "remote", "home_visit_km": 5}, "home_visit_km"),
        ({"delivery": "remote", "min_age": 30, "max_age": 18}, "min_age"),
        ({"delivery": "remote", "opening_hours": "weekdays 9 to 5"}, "opening_hours"),
        ({"delivery": "on_site"}, "non_field_errors"),  # T1 already offers NSP on site
    ]
    for extra, field in cases:
        response = admin.post("/api/v1/offers/", {**base, **extra}, format="json")
        assert response.status_code == 400, (extra, response.json())
        assert field in response.json()["fields"], (extra, response.json())
    assert SiteOffer.objects.count() == 3


@pytest.mark.django_db(transaction=True)  # each request commits, as in production: the outreach triggers are deferred
def test_admin_adds_an_outreach_offer_and_moves_it_to_home_visits(api, small_world):
    admin = api(ADMIN)
    response = admin.post(
        "/api/v1/offers/",
        {
            "site": "T1",
            "option": "NSP",
            "delivery": "outreach",
            "outreach_localities": ["VILL"],
            "opening_hours": "Tu 10:00-13:00",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    offer_id = response.json()["id"]
    # Changing the delivery mode alone leaves the outreach list behind: refused, naming both fields to fix.
    response = admin.patch(f"/api/v1/offers/{offer_id}/", {"delivery": "home_visit"}, format="json")
    assert set(response.json()["fields"]) == {"home_visit_km", "outreach_localities"}
    response = admin.patch(
        f"/api/v1/offers/{offer_id}/",
        {"delivery": "home_visit", "home_visit_km": 8, "outreach_localities": []},
        format="json",
    )
    assert response.status_code == 200, response.json()
    offer = SiteOffer.objects.get(pk=offer_id)
    assert (offer.delivery, offer.home_visit_km, list(offer.outreach_localities.all())) == ("home_visit", 8, [])


def test_filters_and_pagination(api):
    provider = ProviderFactory()
    for _ in range(5):
        SiteOfferFactory(site=SiteFactory(provider=provider), option=MenuOptionFactory(category="recovery"))
    MenuOptionFactory(code="LONE", category="psychosocial")
    client = api(COMMISSIONER)
    page = client.get("/api/v1/options/?category=recovery&page_size=2").json()
    assert page["count"] == 5 and len(page["results"]) == 2 and page["next"]
    assert client.get("/api/v1/options/?search=lone").json()["results"][0]["code"] == "LONE"
    assert client.get(f"/api/v1/offers/?provider={provider.pk}").json()["count"] == 5
    response = client.get("/api/v1/options/?category=magic")
    assert response.status_code == 400 and "category" in response.json()["fields"]


def test_localities_are_geojson_with_simplified_boundaries(api):
    LocalityFactory(code="A1", geometry=square(-2.5, 50.7)), LocalityFactory(code="A2", geometry=square(-2.49, 50.7))
    refresh_drawing_geometries()
    body = api(KEYWORKER).get("/api/v1/localities/").json()
    assert body["type"] == "FeatureCollection" and [f["id"] for f in body["features"]] == ["A1", "A2"]
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon"
    assert body["features"][0]["properties"]["origin"]["type"] == "Point"
    west = api(KEYWORKER).get("/api/v1/localities/?in_bbox=-2.6,50.6,-2.495,50.8").json()
    assert [f["id"] for f in west["features"]] == ["A1"]
