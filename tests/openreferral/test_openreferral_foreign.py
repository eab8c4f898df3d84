"""import_openreferral on other directories' feeds: the official examples, every accepted shape,
--map and --skip-unmapped, nested objects, service areas, and the problems they must raise."""

import copy
import io
import json

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from openreferral import feeds
from openreferral.services import import_openreferral_document
from services.models import Provider, Site, SiteOffer
from tests.factories import LocalityFactory, MenuOptionFactory, square
from tests.openreferral.schemas import FIXTURES

pytestmark = pytest.mark.django_db

EXAMPLES = {
    "hsds": FIXTURES / "hsds/examples/service_full.json",
    "uk-profile": FIXTURES / "uk-profile/examples/service_full.json",
    "validator-mock": FIXTURES / "oruk/mocks/service_full.json",
}
LOCATION_ID = "3a19ff88-4620-4d17-9830-ac1d859eb5d5"  # MyCity Civic Center in all three
TERM_ID = "3f7b145d-84af-42d7-8fae-eaca714b02b2"  # their one taxonomy term, named "name"
TOWN = (-2.44, 50.71)  # where the tests move the civic center (the examples put it at latitude 100)


@pytest.fixture
def counselling(db):
    return MenuOptionFactory(code="PSY", name="Counselling", category="psychosocial")


@pytest.fixture
def term_map(tmp_csv):
    return tmp_csv(f"taxonomy,term,option_code,delivery\n,{TERM_ID},PSY,\n", name="map.csv")


def example(name: str, *, located: bool = True) -> dict:
    service = json.loads(EXAMPLES[name].read_text())
    if located:
        location = service["service_at_locations"][0]["location"]
        location["longitude"], location["latitude"] = TOWN
    return service


def run(path, *args) -> str:
    out = io.StringIO()
    call_command("import_openreferral", str(path), *args, stdout=out)
    return out.getvalue()


def test_the_hsds_example_has_latitude_100_which_is_a_problem_with_that_record(counselling, term_map):
    with pytest.raises(CommandError) as failure:
        run(EXAMPLES["hsds"], "--map", str(term_map))
    message = str(failure.value)
    assert (
        f"service_full.json, services[0].service_at_locations[0].location (id {LOCATION_ID}), "
        "latitude: '100' is out of range (must be at most 90)" in message
    ) or (
        f"service_full.json, services[0].service_at_locations[0].location (id {LOCATION_ID}), "
        "latitude: 100 is out of range (must be at most 90)" in message
    )
    assert not (Provider.objects.exists() or Site.objects.exists() or SiteOffer.objects.exists())


@pytest.mark.parametrize("name", list(EXAMPLES))
@pytest.mark.parametrize("shape", ["service", "array", "page"])
def test_official_examples_import_in_every_shape(counselling, term_map, tmp_path, name, shape):
    service = example(name)
    document = {"service": service, "array": [service], "page": {"total_items": 1, "contents": [service]}}[shape]
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(document))
    assert "3 objects created" in run(path, "--map", str(term_map))  # provider, site, offer

    offer = SiteOffer.objects.select_related("site__provider", "option").get()
    assert offer.site.code == LOCATION_ID  # no choicemap code: the location's id is the stable site code
    assert (offer.site.name, offer.site.provider.name) == ("MyCity Civic Center", "Example Organization Inc.")
    assert offer.site.address.startswith("1-30 Main Street") and offer.site.postcode == "ABC 1234"
    assert offer.site.location.coords == pytest.approx(TOWN)
    assert (offer.option.code, offer.delivery, offer.min_age, offer.max_age) == ("PSY", "on_site", 12, 100)
    assert offer.opening_hours == "Th-Fr 10:00-18:00" and offer.active
    # The same feed again changes nothing.
    assert "0 objects created, 0 updated" in run(path, "--map", str(term_map))


def test_unmapped_services_fail_the_import_or_are_skipped_and_listed(counselling, tmp_path):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps([example("uk-profile")]))
    with pytest.raises(CommandError) as failure:
        run(path)
    assert "services[0] (id " in str(failure.value)
    assert "no menu option for its taxonomy terms ('name') (give --map FILE.csv, or --skip-unmapped)" in str(
        failure.value
    )
    assert not Provider.objects.exists()

    out = run(path, "--skip-unmapped")
    assert "Skipped 1 service(s) with no menu option:" in out and "'Community Counselling'" in out
    # Its organization and location came only inside it: they are skipped with it.
    assert "0 objects created" in out
    assert not (SiteOffer.objects.exists() or Site.objects.exists() or Provider.objects.exists())


def test_skip_unmapped_imports_the_rest(counselling, term_map, tmp_path):
    mapped = example("hsds")
    unmapped = example("uk-profile")
    unmapped["id"] = "0b6f5a4e-0000-4000-8000-000000000001"
    unmapped["attributes"][0]["taxonomy_term"] = {"id": "0b6f5a4e-0000-4000-8000-000000000002", "name": "Other"}
    unmapped["service_at_locations"][0]["location"]["id"] = "0b6f5a4e-0000-4000-8000-000000000003"
    path = tmp_path / "feed.json"
    path.write_text(json.dumps({"contents": [mapped, unmapped]}))
    with pytest.raises(
        CommandError, match=r"services\[1\] \(id 0b6f5a4e.*no menu option for its taxonomy terms \('Other'\)"
    ):
        run(path, "--map", str(term_map))
    out = run(path, "--map", str(term_map), "--skip-unmapped")
    assert "services[1] (id 0b6f5a4e-0000-4000-8000-000000000001) 'Community Counselling'" in out
    assert list(Site.objects.values_list("code", flat=True)) == [LOCATION_ID]
    assert SiteOffer.objects.get().option.code == "PSY"


def test_the_map_takes_names_and_sets_delivery_outreach_areas_by_name_code_or_point(counselling, tmp_csv, tmp_path):
    LocalityFactory(code="E01000001", name="MyCity")
    LocalityFactory(code="E01000002", name="Other town")
    around_the_center = LocalityFactory(code="E01000003", name="Civic quarter", geometry=square(-2.445, 50.705))
    service = example("hsds")
    service["service_areas"] = [
        {"id": "a1", "name": "mycity"},  # by name, whatever the case
        {"id": "a2", "name": "Somewhere", "uri": "E01000002"},  # by code
        {"id": "a3", "name": "The area we cover"},  # neither: the locality the location lies in
    ]
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(service))
    # taxonomy and term by name; a second row gives the delivery mode for the same term.
    mapping = tmp_csv("taxonomy,term,option_code,delivery\ntaxonomy,NAME,PSY,\n,name,,outreach\n", name="m.csv")
    run(path, "--map", str(mapping))
    offer = SiteOffer.objects.get()
    assert offer.delivery == "outreach"
    assert sorted(offer.outreach_localities.values_list("code", flat=True)) == [
        "E01000001",
        "E01000002",
        around_the_center.code,
    ]


def test_an_area_that_matches_nothing_is_a_problem(counselling, tmp_csv, tmp_path):
    service = example("hsds")
    service["service_areas"] = [{"id": "a1", "name": "Atlantis"}]
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(service))
    mapping = tmp_csv(f"taxonomy,term,option_code,delivery\n,{TERM_ID},PSY,outreach\n", name="m.csv")
    with pytest.raises(CommandError, match=r"service_areas\[0\]: no locality matches 'Atlantis'"):
        run(path, "--map", str(mapping))


def test_a_bad_map_file_is_refused_with_its_rows(counselling, tmp_csv, tmp_path):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(example("hsds")))
    mapping = tmp_csv("taxonomy,term,option_code,delivery\n,name,NOPE,\n,name,PSY,by_post\n,,,\n,x,,\n", name="m.csv")
    with pytest.raises(CommandError) as failure:
        run(path, "--map", str(mapping))
    message = str(failure.value)
    assert "m.csv, row 2, option_code: unknown option code 'NOPE'" in message
    assert "m.csv, row 3, delivery: 'by_post' is not one of" in message
    assert "m.csv, row 5, option_code: give an option_code, a delivery, or both" in message


def test_a_list_page_of_summaries_names_what_is_missing(counselling, term_map):
    """The official list examples carry no locations: choicemap cannot place the offer, and says so."""
    with pytest.raises(CommandError, match=r"services\[0\] \(id .*\), service_at_locations: needs at least one"):
        run(FIXTURES / "uk-profile/examples/service_list.json", "--map", str(term_map))


def test_own_service_details_as_an_array_import_into_an_empty_catalogue(catalogue, tmp_path):
    client = APIClient()
    listed = client.get("/openreferral/services?per_page=500").json()["contents"]
    details = [client.get(f"/openreferral/services/{s['id']}").json() for s in listed]
    before = sorted(
        (o.site.code, o.option.code, o.delivery, o.opening_hours, o.min_age, o.max_age, o.capacity_per_week)
        for o in SiteOffer.objects.select_related("site", "option")
    )
    SiteOffer.objects.all().delete()
    Site.objects.all().delete()
    path = tmp_path / "details.json"
    path.write_text(json.dumps(copy.deepcopy(details)))
    run(path)
    after = sorted(
        (o.site.code, o.option.code, o.delivery, o.opening_hours, o.min_age, o.max_age, o.capacity_per_week)
        for o in SiteOffer.objects.select_related("site", "option")
    )
    assert after == before
    assert Site.objects.get(code="HUB").location.equals_exact(Point(-2.123456, 50.654321, srid=4326), tolerance=1e-9)


def offer_facts() -> list:
    return sorted(
        (o.site.code, o.site.name, o.site.provider.name, o.option.code, o.delivery, o.opening_hours, o.active)
        + (o.min_age, o.max_age, o.capacity_per_week, o.waiting_weeks, o.home_visit_km)
        + (tuple(sorted(loc.code for loc in o.outreach_localities.all())),)
        for o in SiteOffer.objects.select_related("site__provider", "option")
    )


def test_url_reads_the_projects_own_live_feed(transactional_db, live_server, catalogue):
    out = io.StringIO()
    call_command("import_openreferral", "--url", f"{live_server.url}/openreferral/", stdout=out)
    # Every service (and its organization, location and terms) came back the same: nothing to change.
    assert "0 objects created, 0 updated" in out.getvalue()


def test_url_pages_through_the_live_feed_into_an_emptied_catalogue(transactional_db, live_server, catalogue):
    before = offer_facts()
    base = f"{live_server.url}/openreferral"
    document = feeds.read_url(base, per_page=3)  # 4 services: two pages
    assert len(document["services"]) == 4
    SiteOffer.objects.all().delete()
    Site.objects.all().delete()
    Provider.objects.all().delete()
    report = import_openreferral_document(document=document, source=base)
    assert report.created == 2 + 2 + 4  # providers, the sites with offers, offers
    assert offer_facts() == before


def test_url_problems_name_the_address(transactional_db, live_server):
    with pytest.raises(CommandError, match=r"/nowhere/services\?page=1&per_page=100: the server answered 404"):
        call_command("import_openreferral", "--url", f"{live_server.url}/nowhere")
    with pytest.raises(CommandError, match=r"'ftp://example.org' is not an http\(s\) address"):
        call_command("import_openreferral", "--url", "ftp://example.org")
    with pytest.raises(CommandError, match="Give a file or --url"):
        call_command("import_openreferral")
