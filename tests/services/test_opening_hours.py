"""Opening hours read by opening-hours-py at every door: the model (admin, API), the catalogue CSV's
optional opening_hours column with its byte-exact round trip, and the error that names file, row and why."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.roles import ADMIN
from accounts.services import ensure_user
from services.hours import opening_hours_problem
from services.models import SiteOffer, opening_hours_validator
from tests.api.clients import PASSWORD, token_client
from tests.services.test_offer_facts import HEADER, ROW, options, write  # noqa: F401 (options is a fixture)

pytestmark = pytest.mark.django_db

VALID = [
    "Fr 22:00-02:00",  # overnight
    "Mo-Fr 09:00-17:00; PH off",
    "PH 10:00-12:00",
    "24/7",
    "Mo-Fr 08:30-12:30,13:30-17:00; Sa 10:00-12:00; PH off",
    'Tu,Th 18:00-20:00 open "drop-in"',
]


@pytest.mark.parametrize("hours", VALID)
def test_the_library_accepts_what_the_old_pattern_refused(hours):
    assert opening_hours_problem(hours) is None
    opening_hours_validator(hours)


@pytest.mark.parametrize(
    "hours, why",
    [
        ("Mo-Fx 09:00-17:00", "at character 4: expected wday"),
        ("Monday mornings", "at character 3: expected"),
        ("Mo 09:00-", "at character"),
    ],
)
def test_an_invalid_text_gets_the_librarys_reason(hours, why):
    with pytest.raises(ValidationError) as refused:
        opening_hours_validator(hours)
    assert refused.value.messages == [opening_hours_problem(hours)]
    assert (
        refused.value.messages[0].startswith(f"{hours!r} is not OSM opening_hours (")
        and why in refused.value.messages[0]
    )


def test_the_csv_column_imports_and_round_trips_byte_exact(tmp_path, options):  # noqa: F811
    rows = [
        f"{ROW},{VALID[0]}",
        ROW.replace("on_site", "remote").replace(",20,1.5,18,", ",,,,") + ',"Mo-Fr 09:00-17:00; PH off"',
        ROW.replace("POO-01,Poole Hub", "WEY-01,Weymouth").replace(",-2.0,", ",-2.46,") + ",24/7",
        ROW.replace("POO-01,Poole Hub", "BRI-01,Bridport").replace(",-2.0,", ",-2.75,") + ",",
    ]
    call_command("import_catalogue", write(tmp_path, HEADER + ",opening_hours\n" + "\n".join(rows) + "\n"))
    assert sorted(SiteOffer.objects.values_list("opening_hours", flat=True)) == sorted(
        ["Fr 22:00-02:00", "Mo-Fr 09:00-17:00; PH off", "24/7", ""]
    )
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    call_command("export_catalogue", output=str(first))
    SiteOffer.objects.all().delete()
    call_command("import_catalogue", str(first))
    call_command("export_catalogue", output=str(second))
    assert first.read_bytes() == second.read_bytes()
    assert first.read_text().splitlines()[0].endswith(",opening_hours")
    assert ",Mo-Fr 09:00-17:00; PH off\n" in first.read_text()


def test_a_file_without_the_column_leaves_the_hours_alone(tmp_path, options):  # noqa: F811
    call_command("import_catalogue", write(tmp_path, HEADER + ",opening_hours\n" + ROW + ",PH 10:00-12:00\n"))
    call_command("import_catalogue", write(tmp_path, HEADER + "\n" + ROW.replace(",20,", ",25,") + "\n", "b.csv"))
    assert SiteOffer.objects.get().opening_hours == "PH 10:00-12:00"


def test_an_invalid_value_names_file_row_and_why_and_changes_nothing(tmp_path, options):  # noqa: F811
    call_command("import_catalogue", write(tmp_path, HEADER + ",opening_hours\n" + ROW + ",Mo 09:00-12:00\n"))
    bad = HEADER + ",opening_hours\n" + ROW.replace(",20,", ",30,") + ",Mo-Fx 09:00-17:00\n"
    with pytest.raises(CommandError) as refused:
        call_command("import_catalogue", write(tmp_path, bad, "bad.csv"))
    message = str(refused.value)
    assert (
        "bad.csv, row 2, opening_hours: 'Mo-Fx 09:00-17:00' is not OSM opening_hours "
        "(at character 4: expected wday)" in message
    ), message
    offer = SiteOffer.objects.get()
    assert (offer.opening_hours, offer.capacity_per_week) == ("Mo 09:00-12:00", 20)


def test_the_api_takes_overnight_hours_and_refuses_bad_ones_with_the_reason(small_world):
    admin = token_client(ensure_user(username="adm", password=PASSWORD, role=ADMIN))
    offer = {"site": "T1", "option": "NSP", "delivery": "remote"}
    refused = admin.post("/api/v1/offers/", offer | {"opening_hours": "Mo-Fx 09:00-17:00"}, format="json")
    assert refused.status_code == 400
    assert "at character 4: expected wday" in str(refused.json()["fields"]["opening_hours"])
    created = admin.post("/api/v1/offers/", offer | {"opening_hours": "Fr 22:00-02:00; PH off"}, format="json")
    assert created.status_code == 201, created.json()
    assert admin.get(f"/api/v1/offers/{created.json()['id']}/").json()["opening_hours"] == "Fr 22:00-02:00; PH off"
