"""Which of a person's four sessions an offer is open in, from its OSM opening_hours text.

Parsed and evaluated by opening-hours-py (the OSM specification: overnight ranges, public holidays,
"off" rules), never by hand. No Django, like the rest of the reach engine.
"""

from __future__ import annotations

import datetime

from opening_hours import OpeningHours, State

from reach.personal import SESSIONS

# Local clock times of each session, and the weekdays it falls on (Monday = 0).
SESSION_WINDOWS: dict[str, tuple[tuple[int, ...], datetime.time, datetime.time]] = {
    "weekday_morning": ((0, 1, 2, 3, 4), datetime.time(8), datetime.time(12)),
    "weekday_afternoon": ((0, 1, 2, 3, 4), datetime.time(12), datetime.time(17)),
    "weekday_evening": ((0, 1, 2, 3, 4), datetime.time(17), datetime.time(22)),
    "weekend": ((5, 6), datetime.time(8), datetime.time(22)),
}
if tuple(SESSION_WINDOWS) != SESSIONS:
    raise ImportError("reach.hours: SESSION_WINDOWS must list reach.personal.SESSIONS in order")

# The bank-holiday calendar each region's public holidays ("PH") come from, as the library's country code.
# opening-hours-py 2.1.4 has one calendar for GB and none for its nations, and that calendar holds only
# the holidays all four share (Good Friday, the May holidays, Christmas): Scotland's 2 January and St
# Andrew's Day, Northern Ireland's St Patrick's Day and 12 July are not in it. For those regions "PH"
# rules are therefore not applied at all (None), rather than applied on England and Wales's days.
BANK_HOLIDAY_CALENDARS: dict[str, str | None] = {
    "england-and-wales": "GB",
    "scotland": None,
    "northern-ireland": None,
}


def holiday_country(region: str) -> str | None:
    """The library's country code for a BANK_HOLIDAY_REGION; ValueError naming the regions for any other."""
    if region not in BANK_HOLIDAY_CALENDARS:
        raise ValueError(f"BANK_HOLIDAY_REGION {region!r} is not one of: {', '.join(BANK_HOLIDAY_CALENDARS)}")
    return BANK_HOLIDAY_CALENDARS[region]


def open_sessions(
    opening_hours: str, *, start: datetime.date, weeks: int = 4, country: str | None = "GB"
) -> tuple[bool, ...] | None:
    """Per session (in SESSIONS order), whether the offer is open at some time in it on some day of the
    `weeks` weeks from `start`. Public holidays are those of `country` (none when None), so "PH off"
    closes a bank holiday without hiding the other weeks' sessions. None when no hours are recorded (may be open).
    Raises opening_hours.ParserError for text that is not OSM opening_hours."""
    if not opening_hours.strip():
        return None
    hours = OpeningHours(opening_hours, country=country, auto_country=False, auto_timezone=False)
    found = dict.fromkeys(SESSIONS, False)
    for offset in range(7 * weeks):
        day = start + datetime.timedelta(days=offset)
        for session, (weekdays, begins, ends) in SESSION_WINDOWS.items():
            if found[session] or day.weekday() not in weekdays:
                continue
            window_start, window_end = datetime.datetime.combine(day, begins), datetime.datetime.combine(day, ends)
            found[session] = any(state == State.OPEN for _, _, state, _ in hours.intervals(window_start, window_end))
    return tuple(found[s] for s in SESSIONS)
