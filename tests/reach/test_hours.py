"""Opening hours against a person's sessions, by opening-hours-py: ordinary weeks, overnight ranges, bank holidays."""

import datetime

import pytest
from django.contrib.gis.geos import Point
from opening_hours import ParserError

from reach.hours import holiday_country, open_sessions
from reach.personal_selectors import personal_catalogue
from tests.factories import LocalityFactory, SiteOfferFactory

MONDAY = datetime.date(2026, 11, 30)  # an ordinary week
BOXING_DAY_MONDAY = datetime.date(2026, 12, 28)  # Boxing Day (Saturday 26th) is observed on Monday 28 December 2026


@pytest.mark.parametrize(
    "hours, expected",
    [
        ("Mo-Fr 09:00-17:00", (True, True, False, False)),
        ("Tu 17:30-19:00", (False, False, True, False)),
        ("Sa 10:00-12:00", (False, False, False, True)),
        ("Mo-Fr 11:59-12:00", (True, False, False, False)),  # closing at noon is not open in the afternoon
        ("Mo-Su 00:00-24:00", (True, True, True, True)),
        ("Mo 06:00-08:00", (False, False, False, False)),  # before any session
        ("Fr 23:00-09:00", (False, False, False, True)),  # overnight into Saturday morning
        ("Su 22:00-08:30", (True, False, False, False)),  # overnight into Monday morning
        ("Sa 23:00-02:00", (False, False, False, False)),  # overnight, but wholly outside the sessions
    ],
)
def test_sessions_open_in_an_ordinary_week(hours, expected):
    assert open_sessions(hours, start=MONDAY, weeks=1) == expected


def test_a_bank_holiday_closes_only_that_day():
    hours = "Mo 18:00-20:00; PH off"
    assert open_sessions(hours, start=BOXING_DAY_MONDAY, weeks=1) == (False, False, False, False)
    assert open_sessions(hours, start=BOXING_DAY_MONDAY, weeks=2) == (False, False, True, False)
    # Without the PH rule the holiday Monday is an ordinary Monday.
    assert open_sessions("Mo 18:00-20:00", start=BOXING_DAY_MONDAY, weeks=1) == (False, False, True, False)


def test_a_clinic_open_only_on_bank_holidays():
    assert open_sessions("PH 10:00-14:00", start=BOXING_DAY_MONDAY, weeks=1) == (True, True, False, False)
    assert open_sessions("PH 10:00-14:00", start=MONDAY, weeks=1) == (False, False, False, False)


def test_no_hours_recorded_is_unknown_and_bad_hours_are_refused():
    assert open_sessions("  ", start=MONDAY) is None
    with pytest.raises(ParserError):
        open_sessions("Monday mornings", start=MONDAY)


def test_24_7_is_open_in_every_session():
    assert open_sessions("24/7", start=MONDAY, weeks=1) == (True, True, True, True)


def test_the_bank_holiday_region_is_a_setting(settings):
    """England and Wales by default; the library has no calendar for Scotland or Northern Ireland, so
    there "PH" rules are not applied at all rather than on England's days."""
    assert settings.BANK_HOLIDAY_REGION == "england-and-wales"
    assert holiday_country(settings.BANK_HOLIDAY_REGION) == "GB"
    hours = "Mo 18:00-20:00; PH off"
    assert open_sessions(hours, start=BOXING_DAY_MONDAY, weeks=1, country=holiday_country("scotland")) == (
        False,
        False,
        True,
        False,
    )
    with pytest.raises(ValueError, match="'wales' is not one of: england-and-wales, scotland, northern-ireland"):
        holiday_country("wales")


def test_the_personal_catalogue_reads_the_region_setting(settings, db):
    LocalityFactory(origin=Point(-2.0, 50.7, srid=4326))
    SiteOfferFactory(opening_hours="PH 18:00-20:00")  # evenings on bank holidays only
    settings.BANK_HOLIDAY_REGION = "england-and-wales"
    assert personal_catalogue(today=BOXING_DAY_MONDAY).facts.open_sessions[0].tolist() == [False, False, True, False]
    settings.BANK_HOLIDAY_REGION = "northern-ireland"
    assert personal_catalogue(today=BOXING_DAY_MONDAY).facts.open_sessions[0].tolist() == [False] * 4


def test_the_librarys_gb_calendar_holds_only_the_shared_holidays():
    """Why the region setting cannot yet select Scotland's days: opening-hours-py 2.1.4's GB calendar.
    If this fails, the library has grown a fuller calendar and reach/hours.py can use it."""
    august_bank_holiday = datetime.date(2026, 8, 31)  # England and Wales only
    assert open_sessions("PH 10:00-12:00", start=august_bank_holiday, weeks=1) == (False,) * 4
