"""Opening hours with "PH" on given days (services/hours.holiday_intervals), against opening-hours-py itself
reading the same texts with its own GB calendar: told the library's days, ours must give its intervals."""

import datetime

import pytest
from opening_hours import OpeningHours

from services.bank_holidays import bank_holidays_between
from services.hours import holiday_intervals
from services.models import opening_hours_validator

START, END = datetime.datetime(2025, 1, 1), datetime.datetime(2028, 1, 1)


def library_gb(text: str) -> OpeningHours:
    return OpeningHours(text, country="GB", auto_country=False, auto_timezone=False)


def library_gb_holidays() -> set[datetime.date]:
    """The days opening-hours-py's GB calendar calls "PH", read day by day at noon."""
    noons = (START + datetime.timedelta(days=n, hours=12) for n in range((END - START).days))
    return {noon.date() for noon in noons if library_gb("PH").is_open(noon)}


TEXTS = [
    "Mo-Fr 09:00-17:00; PH off",
    "PH 10:00-14:00",
    "Sa,PH 10:00-12:00",
    "PH Mo 10:00-12:00",  # the library reads "PH Mo" as PH or Monday
    "PH,Mo-Fr 22:00-02:00",  # overnight from a holiday into the next day
    "Fr 23:00-09:00; PH 22:00-03:00",
    "Mo-Fr 10:00-12:00; PH +1 day off",  # the day after a holiday
    "Tu-Th 09:00-17:00; PH -2 days off",
    "Dec PH off; Mo-Su 09:00-10:00",
    "week 01-20 Mo-Fr 09:00-12:00; PH,Sa off",
    "Mo-Fr 08:00-18:00; PH,SH 10:00-12:00",
    'Mo-Fr 09:00-17:00; PH off "ring first, PH or not"',
    "Mo-Fr 09:00-17:00 || PH unknown",
    "24/7; PH closed",
    "Mo-Fr 09:00-17:00",  # no holiday rule: read once, as it is
]


@pytest.mark.parametrize("text", TEXTS)
def test_told_the_librarys_days_we_read_what_the_library_reads(text):
    holidays = library_gb_holidays()
    assert datetime.date(2027, 12, 28) in holidays and len(holidays) == 15  # 5 shared holidays a year
    assert list(holiday_intervals(text, START, END, holidays=holidays)) == list(library_gb(text).intervals(START, END))


def test_the_librarys_gb_calendar_lacks_new_year_easter_monday_and_august():
    """Why bank holidays are ours (services/bank_holidays.py): if this fails, opening-hours-py has grown a
    fuller GB calendar, and its gaps described in README.md need another look."""
    missing = bank_holidays_between("england-and-wales", START.date(), END.date()) - library_gb_holidays()
    assert missing == {
        datetime.date(2025, 1, 1),
        datetime.date(2025, 4, 21),
        datetime.date(2025, 8, 25),
        datetime.date(2026, 1, 1),
        datetime.date(2026, 4, 6),
        datetime.date(2026, 8, 31),
        datetime.date(2027, 1, 1),
        datetime.date(2027, 3, 29),
        datetime.date(2027, 8, 30),
    }


@pytest.mark.parametrize("text", TEXTS)
def test_the_model_validator_accepts_holiday_rules(text):
    opening_hours_validator(text)  # raises ValidationError for text that is not opening hours
