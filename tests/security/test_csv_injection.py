"""CSV formula injection: every export neutralises cells a spreadsheet would run, in one shared writer
(choicemap.csvsafe), and every import undoes it, so the catalogue's round trip stays byte-exact."""

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from areas.models import Locality
from careplans.models import PublicationTrigger
from careplans.services import create_service_user, publish, record_choice
from choicemap.csvsafe import FORMULA_STARTS, escape_cell, unescape_cell
from reach.services import create_run, execute_run
from services.models import Provider, Site, SiteOffer
from tests.api.clients import token_client
from tests.careplans.records import actor, choice_fields
from tests.factories import LocalityFactory, MenuOptionFactory, ProviderFactory, SiteFactory, SiteOfferFactory

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://x.example","y")', "+SUM(1,2)", "-2+3", "@SUM(A1)", "'=already quoted"]


@given(st.text())
def test_escaping_is_undone_exactly_and_leaves_no_formula(value):
    escaped = escape_cell(value)
    assert unescape_cell(escaped) == value
    if escaped.startswith(FORMULA_STARTS):
        float(escaped)  # only a plain number may start with + or -


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+2", "'=1+2"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("@x", "'@x"), ("-2.5", "-2.5"), ("'=x", "''=x"), ("x", "x")],
)
def test_owasp_cells(value, cell):
    assert escape_cell(value) == cell
    assert escape_cell(3) == 3 and escape_cell(-3.5) == -3.5


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_catalogue_export_is_neutralised_and_round_trips_byte_exact(tmp_path):
    option = MenuOptionFactory(code="OST")
    for i, name in enumerate(FORMULAS):
        site = SiteFactory(code=f"S{i}", name=name, provider=ProviderFactory(name=name))
        SiteOfferFactory(site=site, option=option)
    first = tmp_path / "first.csv"
    call_command("export_catalogue", output=str(first), stdout=io.StringIO())
    exported = cells(first.read_text())
    for name in FORMULAS:
        assert "'" + name in exported and name not in exported
    assert "-2.000000" in exported  # numbers stay numbers
    SiteOffer.objects.all().delete()
    Site.objects.all().delete()
    Provider.objects.all().delete()
    call_command("import_catalogue", str(first), stdout=io.StringIO())
    assert sorted(Site.objects.values_list("name", flat=True)) == sorted(FORMULAS)
    second = tmp_path / "second.csv"
    call_command("export_catalogue", output=str(second), stdout=io.StringIO())
    assert first.read_bytes() == second.read_bytes()


@pytest.fixture
def hostile_run(world):
    Locality.objects.filter(code="VILL").update(name='=HYPERLINK("http://x.example")')
    LocalityFactory(code="PLUS", name="+cmd|' /C calc'!A0")
    return execute_run(run_id=create_run().pk)


def test_every_reach_export_is_neutralised(hostile_run, users, client, tmp_path):
    client.force_login(users["commissioner"])
    map_csv = client.get(reverse("maps:export", args=[hostile_run.pk, "csv"])).content.decode()
    api_csv = token_client(users["commissioner"]).get(f"/api/v1/runs/{hostile_run.pk}/results/?format=csv")
    call_command("export_reach", run=hostile_run.pk, format="csv", output=tmp_path / "reach.csv", stdout=io.StringIO())
    for text in (map_csv, api_csv.content.decode(), (tmp_path / "reach.csv").read_text()):
        names = cells(text)
        assert '\'=HYPERLINK("http://x.example")' in names and "'+cmd|' /C calc'!A0" in names
        assert not any(cell.startswith(("=", "+", "@")) for cell in names)


def test_both_unmet_csvs_are_neutralised(world, users, client):
    Locality.objects.filter(code="VILL").update(name="@SUM(1+1)*cmd")
    for _ in range(13):  # a locality is shown on its own from 8 to 12 people (keyed threshold)
        person = create_service_user(
            actor=actor(users["keyworker"]),
            keyworker=users["keyworker"],
            age_band="25_34",
            home_locality=world["village"],
        )
        record_choice(actor=actor(users["keyworker"]), service_user=person, fields=choice_fields(world["ost"]))
    publish(actor=actor(users["keyworker"]), trigger=PublicationTrigger.SCHEDULE)
    client.force_login(users["commissioner"])
    page_csv = client.get(reverse("careplans:unmet_csv")).content.decode()
    api_csv = token_client(users["commissioner"]).get("/api/v1/unmet-preference/?format=csv").content.decode()
    for text in (page_csv, api_csv):
        names = cells(text)
        assert "'@SUM(1+1)*cmd" in names and "@SUM(1+1)*cmd" not in names
