"""The bank holidays of England and Wales, Scotland and Northern Ireland, from the standing rules of the
Banking and Financial Dealings Act 1971 and the St Andrew's Day Bank Holiday (Scotland) Act 2007, with the
substitute days gov.uk lists: a holiday on a Saturday or Sunday moves to the next weekday that is not
already a holiday. Days added or moved once by Royal Proclamation (a jubilee, a coronation, a state
funeral) follow no rule and are not here. No database.
"""

from __future__ import annotations

import datetime
import functools

REGIONS = ("england-and-wales", "scotland", "northern-ireland")

MONDAY, SATURDAY = 0, 5


def checked_region(region: str) -> str:
    """`region` itself when it is one of REGIONS; ValueError naming them otherwise."""
    if region not in REGIONS:
        raise ValueError(f"BANK_HOLIDAY_REGION {region!r} is not one of: {', '.join(REGIONS)}")
    return region


def easter_sunday(year: int) -> datetime.date:
    """Western Easter by the anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    golden = year % 19
    century, of_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    moon_correction = (century + 8) // 25
    epact_shift = (century - moon_correction + 1) // 3
    epact = (19 * golden + century - leap_centuries - epact_shift + 15) % 30
    leap_years, year_rest = divmod(of_century, 4)
    weekday_shift = (32 + 2 * century_rest + 2 * leap_years - epact - year_rest) % 7
    late_march = (golden + 11 * epact + 22 * weekday_shift) // 451
    month, day = divmod(epact + weekday_shift - 7 * late_march + 114, 31)
    return datetime.date(year, month, day + 1)


def _first_monday(year: int, month: int) -> datetime.date:
    first = datetime.date(year, month, 1)
    return first + datetime.timedelta(days=(MONDAY - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> datetime.date:
    last = datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)
    return last - datetime.timedelta(days=last.weekday() - MONDAY)


@functools.lru_cache(maxsize=64)
def bank_holidays(region: str, year: int) -> frozenset[datetime.date]:
    """The days `region`'s bank holidays fall on in `year`, substitute days included."""
    checked_region(region)
    easter = easter_sunday(year)
    fixed = [datetime.date(year, 1, 1), datetime.date(year, 12, 25), datetime.date(year, 12, 26)]
    moving = [easter - datetime.timedelta(days=2), _first_monday(year, 5), _last_monday(year, 5)]
    if region == "scotland":
        fixed += [datetime.date(year, 1, 2), datetime.date(year, 11, 30)]  # New Year holiday, St Andrew's Day
        moving += [_first_monday(year, 8)]  # summer holiday; no Easter Monday
    else:
        moving += [easter + datetime.timedelta(days=1), _last_monday(year, 8)]
    if region == "northern-ireland":
        fixed += [datetime.date(year, 3, 17), datetime.date(year, 7, 12)]  # St Patrick's Day, Battle of the Boyne
    days = set(moving) | {day for day in fixed if day.weekday() < SATURDAY}
    for weekend_day in sorted(day for day in fixed if day.weekday() >= SATURDAY):
        days.add(_next_free_weekday(weekend_day, days))
    return frozenset(days)


def _next_free_weekday(day: datetime.date, taken: set[datetime.date]) -> datetime.date:
    """The first weekday after `day` not already a holiday (Christmas on a Saturday and Boxing Day on a
    Sunday become Monday 27 and Tuesday 28 December)."""
    day += datetime.timedelta(days=1)
    while day.weekday() >= SATURDAY or day in taken:
        day += datetime.timedelta(days=1)
    return day


def bank_holidays_between(region: str, first: datetime.date, last: datetime.date) -> frozenset[datetime.date]:
    """`region`'s bank holidays from `first` to `last`, both included."""
    days = (day for year in range(first.year, last.year + 1) for day in bank_holidays(region, year))
    return frozenset(day for day in days if first <= day <= last)
