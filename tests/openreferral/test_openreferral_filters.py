"""ORUK list filters: ages, opening hours, postcode and proximity (checked against a brute-force
haversine), modified_after (bumped by every write path), and 400s for unknown or malformed parameters."""

import datetime as dt
import io
import math
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from rest_framework.test import APIClient

from areas.models import Postcode
from openreferral import mapping as m
from openreferral.selectors import timestamp
from services.models import MenuOption, Provider, Site, SiteOffer
from services.services import save_offer, update_catalogue_object
from tests.factories import LocalityFactory, square

pytestmark = pytest.mark.django_db

ONSPD_SAMPLE = Path(__file__).parents[1] / "areas" / "fixtures" / "onspd_dorset_sample.csv"
DORCHESTER = (-2.436180, 50.714979)  # DT1 1AD in the sample


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def postcodes(db):
    call_command("import_postcodes", str(ONSPD_SAMPLE), stdout=io.StringIO())


def names(client, query: str) -> set[str]:
    response = client.get(f"/openreferral/services?per_page=500&{query}")
    assert response.status_code == 200, response.json()
    return {s["name"] for s in response.json()["contents"]}


def ids(client, query: str, path: str = "services") -> set[str]:
    response = client.get(f"/openreferral/{path}?per_page=500&{query}")
    assert response.status_code == 200, response.json()
    return {s["id"] for s in response.json()["contents"]}


ON_SITE = "Opioid substitution, Town hub"
OUTREACH = "Opioid substitution (outreach), Town hub"
HOME_VISIT = "Needle and syringe programme (home visit), Town hub"
REMOTE = "Needle and syringe programme (remote), Closed clinic"


def test_age_eligibility(client, catalogue):
    everyone = {ON_SITE, OUTREACH, HOME_VISIT, REMOTE}
    assert names(client, "minimum_age=20&maximum_age=30") == everyone
    assert names(client, "maximum_age=17") == everyone - {ON_SITE}  # it starts at 18
    assert names(client, "minimum_age=70") == everyone - {ON_SITE}  # it ends at 65
    assert names(client, "minimum_age=65&maximum_age=65") == everyone


def test_opening_hours(client, catalogue):
    # ON_SITE: Mo-Fr 09:00-12:30,13:30-17:00; Sa 10:00-12:00. OUTREACH: Tu 10:00-13:00. The others: none.
    assert names(client, "day=TU") == {ON_SITE, OUTREACH}
    assert names(client, "day=SA&start_time=11:00") == {ON_SITE}
    assert names(client, "day=TU&start_time=12:00&end_time=13:00") == {OUTREACH}  # ON_SITE closes 12:30-13:30
    assert names(client, "start_time=16:00") == {ON_SITE}
    assert names(client, "day=SU") == set()
    assert names(client, "end_time=24:00") == set()


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lon1, lat1), (lon2, lat2) = (map(math.radians, p) for p in (a, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


@pytest.mark.parametrize("proximity", [1_000, 10_000, 18_000, 30_000, 200_000])
def test_proximity_agrees_with_a_brute_force_haversine(client, catalogue, postcodes, proximity):
    expected = {
        m.service_id((o.site.code, o.option.code, o.delivery))
        for o in SiteOffer.objects.select_related("site", "option")
        if haversine_m(o.site.location.coords, DORCHESTER) <= proximity
    }
    assert ids(client, f"postcode=DT1%201AD&proximity={proximity}") == expected
    assert ids(client, f"postcode=dt11ad&proximity={proximity}", "service_at_locations") == {
        m.service_at_location_id(key)
        for o in SiteOffer.objects.select_related("site", "option")
        if haversine_m(o.site.location.coords, DORCHESTER) <= proximity
        for key in [(o.site.code, o.option.code, o.delivery)]
    }
    if proximity == 18_000:
        assert expected and len(expected) < 4  # the distances chosen split the catalogue


def test_a_postcode_alone_gives_the_services_whose_area_covers_it(client, catalogue, postcodes):
    hub = catalogue["hub"]
    assert names(client, "postcode=DT1 1AD") == {ON_SITE, REMOTE}  # no service area; outreach is elsewhere
    # Outreach held in the locality around the postcode; home visits reaching it.
    around = LocalityFactory(
        code="DORCH", name="Dorchester", geometry=square(DORCHESTER[0] - 0.005, DORCHESTER[1] - 0.005)
    )
    SiteOffer.objects.get(site=hub, delivery="outreach").outreach_localities.add(around)
    assert names(client, "postcode=DT1 1AD") == {ON_SITE, REMOTE, OUTREACH}
    distance_km = haversine_m(hub.location.coords, DORCHESTER) / 1000
    SiteOffer.objects.filter(site=hub, delivery="home_visit").update(home_visit_km=distance_km + 1)
    assert HOME_VISIT in names(client, "postcode=DT1 1AD")
    SiteOffer.objects.filter(site=hub, delivery="home_visit").update(home_visit_km=distance_km - 1)
    assert HOME_VISIT not in names(client, "postcode=DT1 1AD")


def test_postcode_errors_are_clear(client, catalogue):
    response = client.get("/openreferral/services?postcode=DT1 1AD")
    assert response.status_code == 400
    assert "no postcode table has been imported (import_postcodes)" in response.json()["fields"]["postcode"][0]
    Postcode.objects.create(compact="DT11AD", postcode="DT1 1AD", location=Point(*DORCHESTER, srid=4326))
    response = client.get("/openreferral/service_at_locations?postcode=ZZ9 9ZZ&proximity=100")
    assert response.status_code == 400 and response.json()["fields"]["postcode"] == ["Unknown postcode."]


@pytest.mark.parametrize(
    "query, fields",
    [
        ("colour=red", {"colour"}),
        ("minimum_age=abc", {"minimum_age"}),
        ("minimum_age=30&maximum_age=20", {"maximum_age"}),
        ("day=Monday", {"day"}),
        ("start_time=25:00", {"start_time"}),
        ("start_time=12:00&end_time=11:00", {"end_time"}),
        ("modified_after=last-week", {"modified_after"}),
        ("proximity=500", {"proximity"}),
        ("proximity=-1&postcode=DT1 1AD", {"proximity"}),
        ("minimal=true&full=true", {"minimal"}),
        ("format=ndjson", {"format"}),
        ("per_page=0&page=x", {"per_page", "page"}),
    ],
)
def test_unknown_or_malformed_parameters_are_400s_never_a_silent_full_list(client, catalogue, query, fields):
    response = client.get(f"/openreferral/services?{query}")
    assert response.status_code == 400 and response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert body["status"] == 400 and body["code"] == "invalid" and set(body["fields"]) == fields


@pytest.mark.parametrize(
    "path, query",
    [
        ("service_at_locations", "minimal=true"),
        ("organizations", "taxonomy_id=x"),
        ("locations", "search=hub"),
        ("taxonomies", "full=true"),
        ("taxonomy_terms", "top_only=maybe"),
        ("taxonomy_terms/x", "page=2"),
        ("", "colour=red"),
    ],
)
def test_every_endpoint_refuses_what_it_does_not_take(client, catalogue, path, query):
    assert client.get(f"/openreferral/{path}?{query}").status_code == 400


def test_service_at_locations_take_the_service_filters(client, catalogue):
    assert len(ids(client, "search=syringe", "service_at_locations")) == 2
    assert ids(client, "day=SA", "service_at_locations") == {m.service_at_location_id(("HUB", "OST", "on_site"))}
    nested = client.get("/openreferral/service_at_locations?full=true&search=syringe").json()["contents"]
    assert {r["location"]["external_identifier"] for r in nested} == {"HUB", "SHUT/1"}


def test_taxonomy_term_and_organization_list_parameters(client, catalogue):
    top = client.get("/openreferral/taxonomy_terms?top_only=true&per_page=500").json()["contents"]
    assert top and all("parent_id" not in t for t in top)
    children = client.get(f"/openreferral/taxonomy_terms?parent_id={m.category_term_id('harm_reduction')}").json()
    assert [t["name"] for t in children["contents"]] == ["Needle and syringe programme"]
    delivery = client.get(f"/openreferral/taxonomy_terms?taxonomy_id={m.DELIVERY_TAXONOMY['id']}").json()
    assert delivery["total_items"] == 4
    organizations = client.get("/openreferral/organizations?search=dorset&full=true").json()["contents"]
    assert [o["name"] for o in organizations] == ["Dorset NHS"] and len(organizations[0]["services"]) == 3


T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def stamp_everything(moment: dt.datetime) -> None:
    for model in (MenuOption, Provider, Site, SiteOffer):
        model.objects.update(modified_at=moment)


def changed_since(client, moment: dt.datetime) -> set[str]:
    query = f"modified_after={timestamp(moment).replace('+', '%2B')}"
    return ids(client, query)


def test_modified_after_is_on_or_after_and_follows_every_part_of_a_service(client, catalogue):
    stamp_everything(T0)
    assert len(changed_since(client, T0)) == 4  # "on or after"
    assert changed_since(client, T0 + dt.timedelta(microseconds=1)) == set()
    listed = client.get("/openreferral/services?minimal=true&per_page=500").json()["contents"]
    assert {s["last_modified"] for s in listed} == {"2026-01-01T00:00:00Z"}

    after = T0 + dt.timedelta(seconds=1)
    hub = catalogue["hub"]
    update_catalogue_object(instance=hub, changes={"name": "Town hub (new wing)"})  # a site: its 3 offers
    assert len(changed_since(client, after)) == 3
    stamp_everything(T0)
    update_catalogue_object(instance=Provider.objects.get(name="Recovery Together"), changes={"contact": "x@y.org"})
    assert changed_since(client, after) == {m.service_id(("SHUT/1", "NSP", "remote"))}
    stamp_everything(T0)
    offer = SiteOffer.objects.get(site=hub, delivery="outreach")
    save_offer(offer=offer, changes={"outreach_localities": [LocalityFactory(code="NEWV")]})
    assert changed_since(client, after) == {m.service_id(("HUB", "OST", "outreach"))}


def test_imports_bump_what_they_change_and_nothing_else(client, catalogue, tmp_path):
    stamp_everything(T0)
    after = T0 + dt.timedelta(seconds=1)
    out = tmp_path / "catalogue.csv"
    call_command("export_catalogue", output=str(out), stdout=io.StringIO())
    call_command("import_catalogue", str(out), stdout=io.StringIO())
    assert changed_since(client, after) == set()  # nothing changed, nothing bumped
    text = out.read_text().replace(
        "HUB,Town hub,50.654321,-2.123456,OST,on_site,40,1.5", "HUB,Town hub,50.654321,-2.123456,OST,on_site,41,1.5"
    )
    out.write_text(text)
    call_command("import_catalogue", str(out), stdout=io.StringIO())
    assert changed_since(client, after) == {m.service_id(("HUB", "OST", "on_site"))}

    stamp_everything(T0)
    options = tmp_path / "options.csv"
    options.write_text("code,name,category\nNSP,Needle exchange,harm_reduction\n")
    call_command("import_options", str(options), stdout=io.StringIO())
    assert changed_since(client, after) == {
        m.service_id(("HUB", "NSP", "home_visit")),
        m.service_id(("SHUT/1", "NSP", "remote")),
    }

    stamp_everything(T0)
    document = tmp_path / "oruk.json"
    call_command("export_openreferral", output=str(document), stdout=io.StringIO())
    call_command("import_openreferral", str(document), stdout=io.StringIO())
    assert changed_since(client, after) == set()
