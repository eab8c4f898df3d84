"""Offers' matching facts (group or one-to-one, worker genders, creche, languages): the rules at every
door, the catalogue import and its byte-exact round trip, and the API. Their use in the personal menu
is tested in tests/careplans/test_personal_menu.py."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.roles import ADMIN
from accounts.services import ensure_user
from services.models import SiteOffer
from services.rules import offer_problems
from tests.api.clients import PASSWORD, token_client
from tests.factories import MenuOptionFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "provider,site_code,site_name,lat,lon,option_code,delivery,capacity_per_week,waiting_weeks,"
    "min_age,max_age,outreach_localities,home_visit_km,active,provider_kind"
)
ROW = "Dorset Health,POO-01,Poole Hub,50.7167,-2.0,OST,on_site,20,1.5,18,,,,true,nhs"


@pytest.fixture
def options(db):
    return MenuOptionFactory(code="OST", name="Opioid substitution")


def write(tmp_path, text, name="offers.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    "entered, field, words",
    [
        ({"worker_genders": ["female", "other"]}, "worker_genders", "'other'"),
        ({"worker_genders": ["male", "male"]}, "worker_genders", "twice"),
        ({"languages": ["en", "klingon"]}, "languages", "'klingon'"),
        ({"languages": ["pl", "pl"]}, "languages", "twice"),
    ],
)
def test_rules_name_the_field_and_why(entered, field, words):
    problems = offer_problems(entered)
    assert list(problems) == [field] and words in problems[field]


def test_import_reads_the_facts_and_the_export_round_trips_byte_exact(tmp_path, options):
    text = (
        HEADER + ",session_format,worker_genders,creche,languages\n"
        f"{ROW},group,female;male,true,pl;en\n"
        "Dorset Health,POO-01,Poole Hub,50.7167,-2.0,OST,remote,,,,,,,true,nhs,,,,\n"
    )
    call_command("import_catalogue", write(tmp_path, text))
    offer = SiteOffer.objects.get(delivery="on_site")
    assert (offer.session_format, offer.worker_genders, offer.creche, offer.languages) == (
        "group",
        ["female", "male"],
        True,
        ["pl", "en"],
    )
    remote = SiteOffer.objects.get(delivery="remote")
    assert (remote.session_format, remote.worker_genders, remote.creche, remote.languages) == ("", [], None, [])
    first = tmp_path / "first.csv"
    call_command("export_catalogue", output=str(first))
    SiteOffer.objects.all().delete()
    call_command("import_catalogue", str(first))
    second = tmp_path / "second.csv"
    call_command("export_catalogue", output=str(second))
    assert first.read_bytes() == second.read_bytes()
    assert ",group,female;male,true,pl;en,\n" in first.read_text()  # then opening_hours, empty


def test_a_file_without_the_fact_columns_leaves_the_facts_alone(tmp_path, options):
    call_command("import_catalogue", write(tmp_path, HEADER + ",languages\n" + ROW + ",pl\n"))
    call_command("import_catalogue", write(tmp_path, HEADER + "\n" + ROW.replace(",20,", ",25,") + "\n", "b.csv"))
    offer = SiteOffer.objects.get()
    assert offer.capacity_per_week == 25 and offer.languages == ["pl"]


def test_bad_facts_name_row_and_field_and_nothing_is_written(tmp_path, options):
    text = HEADER + f",session_format,worker_genders,creche,languages\n{ROW},pairs,female,maybe,xx\n"
    with pytest.raises(CommandError) as refused:
        call_command("import_catalogue", write(tmp_path, text))
    message = str(refused.value)
    for fragment in ("row 2, session_format: 'pairs' is not one of", "row 2, creche", "row 2, languages: unknown"):
        assert fragment in message, message
    assert "nothing was written" in message and not SiteOffer.objects.exists()


def test_the_api_writes_and_refuses_the_facts(small_world):
    admin = token_client(ensure_user(username="adm", password=PASSWORD, role=ADMIN))
    refused = admin.post(
        "/api/v1/offers/",
        {"site": "T1", "option": "NSP", "delivery": "remote", "languages": ["pl", "zz"]},
        format="json",
    )
    assert refused.status_code == 400 and "languages" in refused.json()["fields"]
    created = admin.post(
        "/api/v1/offers/",
        {
            "site": "T1",
            "option": "NSP",
            "delivery": "remote",
            "session_format": "one_to_one",
            "worker_genders": ["female"],
            "creche": False,
            "languages": ["pl"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = admin.get(f"/api/v1/offers/{created.json()['id']}/").json()
    assert (body["session_format"], body["worker_genders"], body["creche"], body["languages"]) == (
        "one_to_one",
        ["female"],
        False,
        ["pl"],
    )
