"""Opening hours as OSM opening_hours text, read by opening-hours-py (never by hand): whether a text is
valid, in the library's words, the plain weekly times it gives, for feeds that only hold weekly
schedules (Open Referral), and its times with "PH" on given bank holidays. No database.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Collection, Iterator

import opening_hours
from opening_hours import OpeningHours, State

# Raised at run time for text that is not opening hours; the package's generated stub omits it.
ParserError: type[Exception] = opening_hours.ParserError  # type: ignore[attr-defined]

DAY_MINUTES = 24 * 60
# A Monday to read weekly times from, and how many weeks must agree for times to count as weekly (a year,
# so that month, week-number and date rules show themselves).
REFERENCE_MONDAY = datetime.datetime(2024, 1, 1)
WEEKS_CHECKED = 53


def parse(text: str) -> OpeningHours:
    """The library's reading, with no country (no public holidays) and no timezone guessed from places."""
    return OpeningHours(text, auto_country=False, auto_timezone=False)


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> OpeningHours:
    return parse(text)


def opening_hours_problem(text: str) -> str | None:
    """Why `text` is not OSM opening_hours, in one line from the library's message; None when it is (or blank)."""
    if not text.strip():
        return None
    try:
        parse(text)
    except ParserError as error:
        return f"{text!r} is not OSM opening_hours ({_one_line(str(error))})"
    return None


def _one_line(message: str) -> str:
    """'Failed to parse expression: --> 1:4 | … = expected wday' → 'at character 4: expected wday'."""
    where = re.search(r"-->\s*\d+:(\d+)", message)
    expected = re.search(r"=\s*(.+)", message)
    if where and expected:
        return f"at character {where.group(1)}: {expected.group(1).strip()}"
    return " ".join(message.split())


Span = tuple[int, int, int]  # (weekday Monday = 0, opens, closes) in minutes from that day's midnight


@functools.lru_cache(maxsize=4096)
def weekly_spans(text: str) -> tuple[Span, ...] | None:
    """The times `text` is open in a week, when every week of a year is the same (public holidays, which
    need a country, aside): per day, sorted; a span past midnight closes after DAY_MINUTES (Fr 22:00-02:00
    is (4, 1320, 1560)). None when the weeks differ or a state is unknown. Raises ParserError for bad text."""
    if not text.strip():
        return ()
    hours = parse(text)
    weeks: list[list[Span]] = [[] for _ in range(WEEKS_CHECKED)]
    start = REFERENCE_MONDAY
    end = start + datetime.timedelta(weeks=WEEKS_CHECKED)
    for opens, closes, state, _comment in hours.intervals(start, end):
        if state == State.UNKNOWN:
            return None
        if state != State.OPEN:
            continue
        for week, span in _day_spans(opens, closes, end):
            weeks[week].append(span)
    first = _joined_overnight(weeks[0])
    if any(_joined_overnight(week) != first for week in weeks[1:]):
        return None
    return tuple(first)


def _day_spans(opens: datetime.datetime, closes: datetime.datetime, end: datetime.datetime):
    """An open interval cut at midnights into (week, (weekday, opens, closes)) pieces."""
    closes = min(closes, end)
    while opens < closes:
        midnight = datetime.datetime.combine(opens.date() + datetime.timedelta(days=1), datetime.time())
        piece_end = min(closes, midnight)
        offset = (opens - REFERENCE_MONDAY).days
        begin = opens.hour * 60 + opens.minute
        finish = DAY_MINUTES if piece_end == midnight else piece_end.hour * 60 + piece_end.minute
        yield offset // 7, (offset % 7, begin, finish)
        opens = piece_end


def _joined_overnight(spans: list[Span]) -> list[Span]:
    """A span to midnight followed by one from the next midnight that closes before the first opened is one
    overnight span (Fr 22:00-24:00 and Sa 00:00-02:00 are Fr 22:00-02:00); whole days stay whole."""
    by_day = sorted(spans)
    starts = {(day, begin): (day, begin, finish) for day, begin, finish in by_day}
    joined, absorbed = [], set()
    for day, begin, finish in by_day:
        if (day, begin) in absorbed:
            continue
        after = starts.get(((day + 1) % 7, 0))
        if finish == DAY_MINUTES and begin > 0 and after is not None and after[2] < begin:
            joined.append((day, begin, DAY_MINUTES + after[2]))
            absorbed.add(((day + 1) % 7, 0))
        else:
            joined.append((day, begin, finish))
    return sorted(span for span in joined if (span[0], span[1]) not in absorbed)


# opening-hours-py 2.1.4 takes public holidays only from its own country calendars (its GB one holds just
# the days all four nations share) and cannot be given dates. So which days are "PH" is decided here and
# everything else is left to the library: for each day it reads the text, in the library's own canonical
# form, with each run of holiday entries ("PH", "PH +1 day", "SH") replaced by the names of the weekdays
# that those entries select among that day and the one before (whose overnight times reach into it), or
# by "SH" when they select neither. The library has no school holidays, so "SH" never matches anyway.
_HOLIDAY = r"(?:PH|SH)(?: [+-]?\d+ days?)?"
_HOLIDAY_RUN = re.compile(rf"\b{_HOLIDAY}(?:,{_HOLIDAY})*\b")
_HOLIDAY_ENTRY = re.compile(r"(PH|SH)(?: ([+-]?\d+) days?)?")
WEEKDAY_NAMES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
Interval = tuple[datetime.datetime, datetime.datetime, State, str]


@functools.lru_cache(maxsize=4096)
def _holiday_template(text: str) -> tuple[tuple[str, ...], tuple[tuple[int, ...], ...]]:
    """The canonical text cut around its runs of holiday entries (comments, in quotes, left whole), and per
    run the day offsets of its "PH" entries: "Mo-Fr 10:00-12:00; PH,PH +1 day off" gives
    (("Mo-Fr 10:00-12:00; ", " closed"), ((0, 1),))."""
    pieces, runs, literal = [], [], ""
    for index, segment in enumerate(str(_parsed(text)).split('"')):
        if index % 2:  # a comment
            literal += f'"{segment}"'
            continue
        position = 0
        for run in _HOLIDAY_RUN.finditer(segment):
            pieces.append(literal + segment[position : run.start()])
            entries = _HOLIDAY_ENTRY.findall(run.group())
            runs.append(tuple(int(offset or 0) for kind, offset in entries if kind == "PH"))
            literal, position = "", run.end()
        literal += segment[position:]
    return (*pieces, literal), tuple(runs)


def _text_on(text: str, day: datetime.date, holidays: Collection[datetime.date]) -> str:
    """`text` as it reads on `day`, with `holidays` the public holidays (see _HOLIDAY_RUN)."""
    pieces, runs = _holiday_template(text)
    out = [pieces[0]]
    for offsets, after in zip(runs, pieces[1:], strict=True):
        selected = [
            WEEKDAY_NAMES[seen.weekday()]
            for seen in (day - datetime.timedelta(days=1), day)
            if any(seen - datetime.timedelta(days=offset) in holidays for offset in offsets)
        ]
        out += [",".join(selected) or "SH", after]
    return "".join(out)


def holiday_intervals(
    text: str, start: datetime.datetime, end: datetime.datetime, *, holidays: Collection[datetime.date]
) -> Iterator[Interval]:
    """opening-hours-py's intervals of `text` from `start` to `end` (naive local times), with "PH" meaning
    the days in `holidays`. Raises ParserError for text that is not opening hours."""
    if not _holiday_template(text)[1]:
        yield from _parsed(text).intervals(start, end)
        return
    held: Interval | None = None
    while start < end:
        midnight = datetime.datetime.combine(start.date() + datetime.timedelta(days=1), datetime.time())
        for interval in _parsed(_text_on(text, start.date(), holidays)).intervals(start, min(end, midnight)):
            if held and held[1] == interval[0] and held[2:] == interval[2:]:
                held = (held[0], interval[1], *interval[2:])
                continue
            if held:
                yield held
            held = interval
        start = midnight
    if held:
        yield held
