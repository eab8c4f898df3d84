"""Opening hours against a person's sessions, by opening-hours-py: ordinary weeks, overnight ranges, bank holidays."""

import datetime

import pytest
from django.contrib.gis.geos import Point
from opening_hours import ParserError, State

from reach.hours import open_sessions
from reach.personal_selectors import personal_catalogue
from services.bank_holidays import bank_holidays_between
from services.hours import holiday_intervals
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


EASTER_MONDAY_2027 = datetime.date(2027, 3, 29)  # a bank holiday in England and Wales and Northern Ireland only
SCOTTISH_2_JANUARY = datetime.date(2026, 1, 2)  # a Friday (in 2027 it is a Saturday, moved to Monday 4 January)
OFFICE = "Mo-Fr 09:00-17:00; PH off"


def state_at(hours: str, moment: datetime.datetime, region: str) -> State:
    """The state at `moment` as open_sessions reads it: the library's intervals with the region's holidays."""
    holidays = bank_holidays_between(region, moment.date(), moment.date())
    ((_, _, state, _),) = holiday_intervals(hours, moment, moment + datetime.timedelta(minutes=1), holidays=holidays)
    return state


@pytest.mark.parametrize(
    "day, region, expected",
    [
        (EASTER_MONDAY_2027, "england-and-wales", State.CLOSED),
        (EASTER_MONDAY_2027, "northern-ireland", State.CLOSED),
        (EASTER_MONDAY_2027, "scotland", State.OPEN),
        (SCOTTISH_2_JANUARY, "scotland", State.CLOSED),
        (SCOTTISH_2_JANUARY, "england-and-wales", State.OPEN),
        (datetime.date(2027, 1, 4), "scotland", State.CLOSED),
        (datetime.date(2027, 1, 4), "england-and-wales", State.OPEN),
        (datetime.date(2026, 8, 31), "england-and-wales", State.CLOSED),  # not in the library's GB calendar
        (datetime.date(2026, 8, 31), "scotland", State.OPEN),
        (datetime.date(2026, 8, 3), "scotland", State.CLOSED),
        (datetime.date(2026, 11, 30), "scotland", State.CLOSED),  # St Andrew's Day
        (datetime.date(2026, 3, 17), "northern-ireland", State.CLOSED),  # St Patrick's Day
        (datetime.date(2026, 7, 13), "northern-ireland", State.CLOSED),  # 12 July, a Sunday, moved to Monday
        (datetime.date(2026, 7, 13), "england-and-wales", State.OPEN),
    ],
)
def test_an_office_closes_on_its_regions_bank_holidays(day, region, expected):
    assert state_at(OFFICE, datetime.datetime.combine(day, datetime.time(11)), region) == expected


def test_the_sessions_follow_the_region():
    hours = "Mo 09:00-17:00; PH off"
    assert open_sessions(hours, start=EASTER_MONDAY_2027, weeks=1, region="england-and-wales") == (False,) * 4
    assert open_sessions(hours, start=EASTER_MONDAY_2027, weeks=1, region="scotland") == (True, True, False, False)
    assert open_sessions("PH 10:00-12:00", start=SCOTTISH_2_JANUARY, weeks=1, region="scotland") == (
        True,
        False,
        False,
        False,
    )
    assert open_sessions("PH 10:00-12:00", start=SCOTTISH_2_JANUARY, weeks=1) == (False,) * 4
    with pytest.raises(ValueError, match="'wales' is not one of: england-and-wales, scotland, northern-ireland"):
        open_sessions(hours, start=MONDAY, region="wales")


def test_the_personal_catalogue_reads_the_region_setting(settings, db):
    """England and Wales by default; each region's own days, and the catalogue cached per region."""
    assert settings.BANK_HOLIDAY_REGION == "england-and-wales"
    LocalityFactory(origin=Point(-2.0, 50.7, srid=4326))
    SiteOfferFactory(opening_hours="PH 18:00-20:00")  # evenings on bank holidays only
    august_bank_holiday = datetime.date(2026, 8, 31)  # England and Wales, and Northern Ireland, not Scotland
    for region, evening in [("england-and-wales", True), ("scotland", False), ("northern-ireland", True)]:
        settings.BANK_HOLIDAY_REGION = region
        facts = personal_catalogue(today=august_bank_holiday).facts
        assert facts.open_sessions[0].tolist() == [False, False, evening, False]
    settings.BANK_HOLIDAY_REGION = "wales"
    with pytest.raises(ValueError, match="'wales' is not one of"):
        personal_catalogue(today=august_bank_holiday)
