"""Bank holidays by region from the rules, against the published lists for 2025-2027 and dateutil's Easter."""

import datetime

import pytest
from dateutil.easter import easter

from services.bank_holidays import REGIONS, bank_holidays, bank_holidays_between, checked_region, easter_sunday


def dates(year: int, *month_days: tuple[int, int]) -> set[datetime.date]:
    return {datetime.date(year, month, day) for month, day in month_days}


# The lists gov.uk/bank-holidays publishes, substitute days included (written out by hand from the Acts'
# rules and checked against published 2025 and 2026 calendars; gov.uk's own page was not to hand).
PUBLISHED = {
    ("england-and-wales", 2025): dates(2025, (1, 1), (4, 18), (4, 21), (5, 5), (5, 26), (8, 25), (12, 25), (12, 26)),
    ("england-and-wales", 2026): dates(2026, (1, 1), (4, 3), (4, 6), (5, 4), (5, 25), (8, 31), (12, 25), (12, 28)),
    ("england-and-wales", 2027): dates(2027, (1, 1), (3, 26), (3, 29), (5, 3), (5, 31), (8, 30), (12, 27), (12, 28)),
    ("scotland", 2025): dates(2025, (1, 1), (1, 2), (4, 18), (5, 5), (5, 26), (8, 4), (12, 1), (12, 25), (12, 26)),
    ("scotland", 2026): dates(2026, (1, 1), (1, 2), (4, 3), (5, 4), (5, 25), (8, 3), (11, 30), (12, 25), (12, 28)),
    ("scotland", 2027): dates(2027, (1, 1), (1, 4), (3, 26), (5, 3), (5, 31), (8, 2), (11, 30), (12, 27), (12, 28)),
    ("northern-ireland", 2025): dates(
        2025, (1, 1), (3, 17), (4, 18), (4, 21), (5, 5), (5, 26), (7, 14), (8, 25), (12, 25), (12, 26)
    ),
    ("northern-ireland", 2026): dates(
        2026, (1, 1), (3, 17), (4, 3), (4, 6), (5, 4), (5, 25), (7, 13), (8, 31), (12, 25), (12, 28)
    ),
    ("northern-ireland", 2027): dates(
        2027, (1, 1), (3, 17), (3, 26), (3, 29), (5, 3), (5, 31), (7, 12), (8, 30), (12, 27), (12, 28)
    ),
}


@pytest.mark.parametrize("region, year", PUBLISHED)
def test_the_rules_give_the_published_lists(region, year):
    assert bank_holidays(region, year) == PUBLISHED[region, year]


def test_easter_agrees_with_dateutil_over_the_gregorian_calendar():
    assert easter_sunday(2027) == datetime.date(2027, 3, 28)
    assert [easter_sunday(year) for year in range(1583, 4100)] == [easter(year) for year in range(1583, 4100)]


@pytest.mark.parametrize(
    "region, year, expected",
    [
        # Christmas on a Sunday: Boxing Day stays on Monday and Christmas moves to Tuesday 27th.
        ("england-and-wales", 2022, dates(2022, (12, 26), (12, 27))),
        # Scotland, 1 January on a Sunday: 2 January is Monday, so New Year's Day moves to Tuesday 3rd.
        ("scotland", 2023, dates(2023, (1, 2), (1, 3))),
        # Scotland, 1 and 2 January on Saturday and Sunday: Monday 3rd and Tuesday 4th.
        ("scotland", 2022, dates(2022, (1, 3), (1, 4))),
        # St Andrew's Day on a Saturday: the Monday after; 12 July on a Sunday: the Monday after.
        ("scotland", 2024, dates(2024, (12, 2))),
        ("northern-ireland", 2020, dates(2020, (7, 13))),
    ],
)
def test_a_weekend_holiday_moves_to_the_next_free_weekday(region, year, expected):
    days = bank_holidays(region, year)
    assert expected <= days
    assert all(day.weekday() < 5 for day in days)


def test_each_nation_has_its_own_days():
    england, scotland, ireland = (bank_holidays(region, 2026) for region in REGIONS)
    assert england - scotland == dates(2026, (4, 6), (8, 31))  # Easter Monday, last Monday of August
    assert scotland - england == dates(2026, (1, 2), (8, 3), (11, 30))
    assert ireland - england == dates(2026, (3, 17), (7, 13))


def test_between_spans_years_and_an_unknown_region_is_named():
    assert bank_holidays_between("scotland", datetime.date(2026, 12, 26), datetime.date(2027, 1, 4)) == dates(
        2026, (12, 28)
    ) | dates(2027, (1, 1), (1, 4))
    with pytest.raises(ValueError, match="'wales' is not one of: england-and-wales, scotland, northern-ireland"):
        bank_holidays("wales", 2026)
    assert checked_region("scotland") == "scotland"
