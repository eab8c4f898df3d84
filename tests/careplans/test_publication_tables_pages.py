"""The reasons, segments and outcomes pages and API: who may open them, what they show, hostile names."""

import csv
import io

import pytest
from django.urls import reverse

from careplans.models import AuditAction, AuditEvent, Publication
from careplans.publication_tables import OUTCOMES_TABLE, REASONS_TABLE, SEGMENTS_TABLE
from tests.api.clients import token_client
from tests.careplans.records import people
from tests.careplans.test_unmet import published

pytestmark = pytest.mark.django_db

LOGIN = "login"
PAGES = [
    "unmet_reasons",
    "unmet_reasons_csv",
    "unmet_reasons_json",
    "segments",
    "segments_csv",
    "segments_json",
    "outcomes",
    "outcomes_csv",
    "outcomes_json",
]
API = ["/api/v1/unmet-reasons/", "/api/v1/segments/", "/api/v1/outcomes/"]
WHO = [None, "keyworker", "commissioner", "admin"]
EXPECTED_PAGE = (LOGIN, 403, 200, 200)
EXPECTED_API = (401, 403, 200, 200)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", range(len(WHO)), ids=[w or "anonymous" for w in WHO])
def test_role_url_matrix(client, caseloads, published_unmet, users, page, who):
    if WHO[who]:
        client.force_login(users[WHO[who]])
    response = client.get(reverse(f"careplans:{page}"))
    if EXPECTED_PAGE[who] == LOGIN:
        assert response.status_code == 302 and "login" in response["Location"]
    else:
        assert response.status_code == EXPECTED_PAGE[who]


@pytest.mark.parametrize("url", API)
@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize("who", range(len(WHO)), ids=[w or "anonymous" for w in WHO])
def test_role_endpoint_matrix(caseloads, published_unmet, users, url, fmt, who):
    response = token_client(users[WHO[who]] if WHO[who] else None).get(url, {"format": fmt})
    assert response.status_code == EXPECTED_API[who]
    if response.status_code == 200 and fmt == "csv":
        assert response["Content-Type"].startswith("text/csv")


def test_before_any_publication_pages_say_so_and_downloads_are_404(client, users):
    client.force_login(users["commissioner"])
    for page in ("unmet_reasons", "segments", "outcomes"):
        assert "Nothing has been published yet" in client.get(reverse(f"careplans:{page}")).content.decode()
        assert client.get(reverse(f"careplans:{page}_csv")).status_code == 404
        assert client.get(reverse(f"careplans:{page}_json")).status_code == 404
    assert token_client(users["commissioner"]).get("/api/v1/outcomes/").status_code == 404


def test_a_publication_built_before_the_tables_existed_is_named_not_broken(client, caseloads, published_unmet, users):
    old = Publication.objects.get()
    old.tables = {"unmet": old.tables["unmet"]}
    old.save()
    client.force_login(users["commissioner"])
    page = client.get(reverse("careplans:segments"), {"publication": old.pk}).content.decode()
    assert "was built before this table existed" in page
    assert client.get(reverse("careplans:segments_json"), {"publication": old.pk}).status_code == 404
    api = token_client(users["commissioner"])
    assert api.get("/api/v1/segments/", {"publication": old.pk}).status_code == 404
    assert api.get("/api/v1/segments/", {"publication": old.pk + 1}).status_code == 400
    assert api.get("/api/v1/segments/", {"travel": "bicycle"}).json()["fields"]["travel"]


def test_pages_show_the_dates_the_method_and_the_segment_asked_for(client, world, users):
    people(world, users, "town", 12, "ost")
    stored = published(users)
    client.force_login(users["commissioner"])
    page = client.get(reverse("careplans:segments"), {"travel": "no_car", "sessions": "ANY"}).content.decode()
    assert f"Publication {stored.pk}: built" in page and "data to" in page
    assert '<option value="no_car" selected>' in page
    assert "need no disclosure control" in page
    # From the catalogue: a person with no car reaches OST from the town (clinic there), not from the village.
    body = client.get(reverse("careplans:segments_json")).json()
    assert body["published"]["id"] == stored.pk and len(body["segments"]) == 5 * 4 * 4
    assert "Student's t" in client.get(reverse("careplans:outcomes")).content.decode()
    unmet = client.get(reverse("careplans:unmet")).content.decode()
    for page in ("unmet_reasons", "segments", "outcomes"):
        assert f"{reverse(f'careplans:{page}')}?publication={stored.pk}" in unmet
    before = AuditEvent.objects.filter(action=AuditAction.AGGREGATE).count()
    client.get(reverse("careplans:outcomes_csv"))
    token_client(users["admin"]).get("/api/v1/unmet-reasons/")
    assert AuditEvent.objects.filter(action=AuditAction.AGGREGATE).count() == before + 2


def test_the_catalogue_figure_follows_the_segment(client, world, users):
    people(world, users, "town", 12, "ost")
    published(users)
    client.force_login(users["commissioner"])

    def catalogue(**query):
        page = client.get(reverse("careplans:segments"), query)
        return {figure.code: (figure.least, figure.most) for figure in page.context["catalogue"]}

    # OST is at the town clinic: any person reaches it from the town; from the village only by car.
    assert catalogue()["TOWN"] == (1, 1)
    assert catalogue(travel="no_car").get("OTHER", (0, 0)) == (0, 0)
    assert catalogue(travel="car").get("OTHER", (1, 1)) == (1, 1)


def test_api_segment_filter_picks_one_segment_from_the_publication(world, users):
    people(world, users, "town", 12, "ost")
    stored = published(users)
    body = token_client(users["commissioner"]).get("/api/v1/segments/", {"travel": "not_asked"}).json()
    (segment,) = body["segments"]
    assert segment["travel"] == "not_asked" and segment["sessions"] == "ANY"
    town = next(row for row in segment["localities"] if row["code"] == "TOWN")
    values = {tuple(row[:-1]): row[-1] for row in stored.tables[SEGMENTS_TABLE]["values"]}
    assert town["people"] == values[("TOWN", "not_asked", "ANY", "ANY", "people")] in (10, 15)


def test_hostile_names_are_escaped_in_pages_and_defused_in_csv(client, world, users):
    world["town"].name = '<script>alert("x")</script>=HYPERLINK("http://evil")'
    world["town"].save()
    world["ost"].name = "=cmd|' /C calc'!A0<img src=x onerror=alert(1)>"
    world["ost"].save()
    people(world, users, "town", 12, "ost")
    published(users)
    client.force_login(users["commissioner"])
    for page in ("unmet_reasons", "segments", "outcomes"):
        html = client.get(reverse(f"careplans:{page}")).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html
        rows = list(csv.reader(io.StringIO(client.get(reverse(f"careplans:{page}_csv")).content.decode())))
        for row in rows:
            for cell in row:
                assert not cell.startswith(("=", "+", "@")), (page, cell)
    reasons = client.get(reverse("careplans:unmet_reasons")).content.decode()
    assert "&lt;script&gt;alert" in reasons and "&lt;img src=x" in reasons


def test_commissioner_tables_never_show_a_reference(client, caseloads, published_unmet, users):
    client.force_login(users["commissioner"])
    for page in PAGES:
        body = client.get(reverse(f"careplans:{page}")).content.decode()
        assert caseloads["mine"].reference not in body and caseloads["theirs"].reference not in body
    assert {REASONS_TABLE, SEGMENTS_TABLE, OUTCOMES_TABLE} <= set(published_unmet.tables)


def test_the_endpoints_are_in_the_openapi_schema_with_their_parameters(client, users):
    import yaml  # noqa: PLC0415

    client.force_login(users["commissioner"])
    schema = yaml.safe_load(client.get("/api/schema/").content)
    for path in API:
        operation = schema["paths"][path]["get"]
        assert operation["summary"] and "protected" in operation["summary"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"publication", "format"} <= names
        assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    travel = next(p for p in schema["paths"]["/api/v1/segments/"]["get"]["parameters"] if p["name"] == "travel")
    assert set(travel["schema"]["enum"]) == {"car", "lifts", "no_car", "not_asked", "ANY"}
