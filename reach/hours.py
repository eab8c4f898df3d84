"""Which of a person's four sessions an offer is open in, from its OSM opening_hours text.

Parsed and evaluated by opening-hours-py (the OSM specification: overnight ranges, "off" rules), never by
hand; "PH" is the region's bank holidays (services/bank_holidays.py), which the library is told day by day
(services/hours.py). No Django, like the rest of the reach engine.
"""

from __future__ import annotations

import datetime

from opening_hours import State

from reach.personal import SESSIONS
from services.bank_holidays import bank_holidays_between
from services.hours import holiday_intervals

# Local clock times of each session, and the weekdays it falls on (Monday = 0).
SESSION_WINDOWS: dict[str, tuple[tuple[int, ...], datetime.time, datetime.time]] = {
    "weekday_morning": ((0, 1, 2, 3, 4), datetime.time(8), datetime.time(12)),
    "weekday_afternoon": ((0, 1, 2, 3, 4), datetime.time(12), datetime.time(17)),
    "weekday_evening": ((0, 1, 2, 3, 4), datetime.time(17), datetime.time(22)),
    "weekend": ((5, 6), datetime.time(8), datetime.time(22)),
}
if tuple(SESSION_WINDOWS) != SESSIONS:
    raise ImportError("reach.hours: SESSION_WINDOWS must list reach.personal.SESSIONS in order")


def open_sessions(
    opening_hours: str, *, start: datetime.date, weeks: int = 4, region: str = "england-and-wales"
) -> tuple[bool, ...] | None:
    """Per session (in SESSIONS order), whether the offer is open at some time in it on some day of the
    `weeks` weeks from `start`. Public holidays are `region`'s bank holidays, so "PH off" closes a bank
    holiday without hiding the other weeks' sessions. None when no hours are recorded (may be open).
    Raises opening_hours.ParserError for text that is not OSM opening_hours, ValueError for an unknown region."""
    if not opening_hours.strip():
        return None
    last = start + datetime.timedelta(weeks=weeks)
    # a year either side, for "PH +1 day"-style offsets
    holidays = bank_holidays_between(region, datetime.date(start.year - 1, 1, 1), datetime.date(last.year + 1, 12, 31))
    found = dict.fromkeys(SESSIONS, False)
    for offset in range(7 * weeks):
        day = start + datetime.timedelta(days=offset)
        for session, (weekdays, begins, ends) in SESSION_WINDOWS.items():
            if found[session] or day.weekday() not in weekdays:
                continue
            window_start, window_end = datetime.datetime.combine(day, begins), datetime.datetime.combine(day, ends)
            found[session] = any(
                state == State.OPEN
                for _, _, state, _ in holiday_intervals(opening_hours, window_start, window_end, holidays=holidays)
            )
    return tuple(found[s] for s in SESSIONS)
