"""Opening hours in Open Referral, read by opening-hours-py: weekly schedules where the text is a plain
weekly timetable, the whole text as a schedule's description where it is more (public holidays, 24/7's
own form), a round trip that keeps every text, and an invalid text named in the import error."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from openreferral import mapping as m
from services.models import SiteOffer
from tests.openreferral import schemas
from tests.openreferral.test_openreferral_filters import ON_SITE, names
from tests.openreferral.test_openreferral_io import empty_the_catalogue, export

pytestmark = pytest.mark.django_db

KEY = ("HUB", "OST", "on_site")
WEEKDAYS = "MO,TU,WE,TH,FR"


@pytest.mark.parametrize(
    "hours, weekly, full_text",
    [
        ("Fr 22:00-02:00", [("FR", "22:00", "02:00")], False),  # overnight: closes after it opens, next day
        ("Su 22:00-02:00", [("SU", "22:00", "02:00")], False),  # overnight into next week's Monday
        ("Mo-Fr 09:00-17:00; PH off", [("MO,TU,WE,TH,FR", "09:00", "17:00")], True),
        ("PH 10:00-12:00", [], True),  # only on bank holidays: no weekly time at all
        ("24/7", [(",".join(m.ICAL_DAYS), "00:00", "24:00")], True),
        ("Jan-Jun Mo 10:00-12:00", [], True),  # not the same every week of the year
        (
            "Mo-Fr 09:00-12:30,13:30-17:00",
            [("MO,TU,WE,TH,FR", "09:00", "12:30"), ("MO,TU,WE,TH,FR", "13:30", "17:00")],
            False,
        ),
    ],
)
def test_weekly_rules_come_from_the_library_and_the_rest_travels_as_text(hours, weekly, full_text):
    rules = m.opening_hours_to_rules(hours)
    assert [(r["byday"], r["opens_at"], r["closes_at"]) for r in rules] == weekly
    assert m.full_text_schedule(hours) is full_text


@pytest.mark.parametrize(
    "hours", ["Fr 22:00-02:00", "Mo-Fr 09:00-17:00; PH off", "PH 10:00-12:00", "24/7", "Mo-Sa 08:00-20:00; PH off"]
)
def test_every_text_survives_the_round_trip_and_the_schedules_conform(catalogue, tmp_path, hours):
    SiteOffer.objects.filter(site__code="HUB", option__code="OST", delivery="on_site").update(opening_hours=hours)
    document = export(tmp_path / "oruk.json")
    service = next(s for s in document["services"] if s["id"] == m.service_id(KEY))
    for schedule in service["schedules"]:
        assert schemas.errors(schemas.hsds_validator("schedule"), schedule) == []
    described = [s["description"] for s in service["schedules"] if "freq" not in s]
    assert described == ([hours] if m.full_text_schedule(hours) else [])
    empty_the_catalogue()
    call_command("import_openreferral", str(tmp_path / "oruk.json"), stdout=io.StringIO())
    assert SiteOffer.objects.get(site__code="HUB", option__code="OST", delivery="on_site").opening_hours == hours


def test_an_invalid_text_is_named_in_the_import_error(catalogue, tmp_path):
    document = export(tmp_path / "oruk.json")
    index = next(i for i, s in enumerate(document["services"]) if s["id"] == m.service_id(KEY))
    document["services"][index]["schedules"] = [{"id": "s1", "description": "Mo-Fx 09:00-17:00"}]
    (tmp_path / "bad.json").write_text(json.dumps(document))
    empty_the_catalogue()
    with pytest.raises(CommandError) as failure:
        call_command("import_openreferral", str(tmp_path / "bad.json"))
    where = f"bad.json, services[{index}] (id {m.service_id(KEY)}), schedules[0].description"
    assert f"{where}: 'Mo-Fx 09:00-17:00' is not OSM opening_hours (at character 4: expected wday)" in str(
        failure.value
    )
    assert not SiteOffer.objects.exists()


def test_the_open_filter_reads_an_overnight_rule(catalogue):
    SiteOffer.objects.filter(site__code="HUB", option__code="OST", delivery="on_site").update(
        opening_hours="Fr 22:00-02:00"
    )
    assert names(APIClient(), "day=FR&start_time=23:00") == {ON_SITE}
    assert names(APIClient(), "day=FR&start_time=21:00") == set()
