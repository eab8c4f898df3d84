"""Checks a GTFS feed (a zip) before Valhalla ingests it; pure Python, no Django.

Valhalla's own ingest skips what it cannot use and says little about why, so a feed is
read here first and every fault is reported by file, row and field. A feed that passes
has its required files, unique ids, resolvable references, parseable times and dates,
service on the travel date, and every stop inside the OSM extract.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from reach.networks.errors import NetworkInputError

# Required columns per required file (GTFS Schedule reference); stop_times also needs times at
# the first and last stop of each trip, checked per trip.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "agency.txt": ("agency_name", "agency_url", "agency_timezone"),
    "stops.txt": ("stop_id",),
    "routes.txt": ("route_id", "route_type"),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "stop_id", "stop_sequence", "arrival_time", "departure_time"),
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CALENDAR_COLUMNS = ("service_id", *WEEKDAYS, "start_date", "end_date")
CALENDAR_DATES_COLUMNS = ("service_id", "date", "exception_type")
# Stops, stations and entrances carry coordinates; generic nodes and boarding areas may not.
LOCATED_STOP_TYPES = {"", "0", "1", "2"}
TIME_PATTERN = re.compile(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")
MAX_PROBLEMS = 200  # a broken national feed would otherwise print a million lines


@dataclass(frozen=True)
class GtfsFeedInfo:
    path: Path
    sha256: str
    size: int
    agencies: list[str]
    start_date: date | None
    end_date: date | None
    stop_count: int
    trip_count: int


class _Problems:
    """Collects problems in the interface's wording: 'feed.zip: stops.txt row 3, stop_lat: ...'."""

    def __init__(self, feed_name: str):
        self.feed_name = feed_name
        self.items: list[str] = []

    def add(self, reason: str, *, file: str = "", row: int | None = None, field: str = "") -> None:
        where = file
        if row is not None:
            where = f"{where} row {row}"
        if field:
            where = f"{where}, {field}" if where else field
        self.items.append(f"{self.feed_name}: {where}: {reason}" if where else f"{self.feed_name}: {reason}")

    def raise_if_any(self) -> None:
        if not self.items:
            return
        items = self.items
        if len(items) > MAX_PROBLEMS:
            items = [*items[:MAX_PROBLEMS], f"{self.feed_name}: … and {len(items) - MAX_PROBLEMS} more problems"]
        raise NetworkInputError(items)


class _FeedReader:
    """Reads the feed's CSV files from the zip, reporting header and encoding faults once per file."""

    def __init__(self, archive: zipfile.ZipFile, problems: _Problems):
        self.archive = archive
        self.problems = problems
        self.names = set(archive.namelist())

    def has(self, name: str) -> bool:
        return name in self.names

    def rows(self, name: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
        """Yield (row number as a spreadsheet shows it, stripped values); nothing if the header is bad.

        Streams from the zip: a national stop_times.txt runs to gigabytes.
        """
        with self.archive.open(name) as raw_file:
            text = io.TextIOWrapper(raw_file, encoding="utf-8-sig", newline="")
            try:
                yield from self._parse(name, csv.DictReader(text), required)
            except UnicodeDecodeError as exc:
                self.problems.add(f"not UTF-8 text ({exc.reason})", file=name)
            except csv.Error as exc:
                self.problems.add(f"not readable as CSV ({exc})", file=name)

    def _parse(
        self, name: str, reader: csv.DictReader, required: tuple[str, ...]
    ) -> Iterator[tuple[int, dict[str, str]]]:
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [column for column in required if column not in header]
        for column in missing:
            self.problems.add("required column is missing", file=name, field=column)
        if missing:
            return
        reader.fieldnames = header
        for index, raw in enumerate(reader, start=2):
            if None in raw:
                self.problems.add(f"more values than the {len(header)} columns", file=name, row=index)
                continue
            values = {key: (value or "").strip() for key, value in raw.items()}
            if any(values.values()):
                yield index, values


def inspect_gtfs(
    path: Path,
    *,
    travel_date: date | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> GtfsFeedInfo:
    """Check a GTFS zip and describe it; raise NetworkInputError listing every problem found.

    ``bbox`` is (min_lon, min_lat, max_lon, max_lat) of the OSM extract the feed will be
    routed on; ``travel_date`` is the date public transport times will be computed for.
    """
    path = Path(path)
    problems = _Problems(path.name)
    if not path.is_file():
        problems.add("file not found")
        problems.raise_if_any()
    if not zipfile.is_zipfile(path):
        problems.add("not a zip archive (a GTFS feed is a .zip of .txt files)")
        problems.raise_if_any()
    with zipfile.ZipFile(path) as archive:
        reader = _FeedReader(archive, problems)
        if not _check_required_files(reader, problems):
            problems.raise_if_any()
        agencies, agency_ids = _read_agencies(reader, problems)
        stops = _read_stops(reader, problems, bbox=bbox)
        route_ids = _read_routes(reader, problems, agency_ids=agency_ids)
        services = _read_services(reader, problems)
        trips = _read_trips(reader, problems, route_ids=route_ids, service_ids=set(services.ids))
        _check_stop_times(reader, problems, trips=set(trips), stop_ids=set(stops))
    if travel_date is not None and services.ids:
        _check_travel_date(problems, services=services, trip_services=set(trips.values()), travel_date=travel_date)
    problems.raise_if_any()
    return GtfsFeedInfo(
        path=path,
        sha256=_sha256(path),
        size=path.stat().st_size,
        agencies=agencies,
        start_date=services.start_date,
        end_date=services.end_date,
        stop_count=len(stops),
        trip_count=len(trips),
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_required_files(reader: _FeedReader, problems: _Problems) -> bool:
    missing = [name for name in REQUIRED_COLUMNS if not reader.has(name)]
    if not reader.has("calendar.txt") and not reader.has("calendar_dates.txt"):
        missing.append("calendar.txt or calendar_dates.txt")
    nested = sorted(name for name in reader.names if "/" in name.rstrip("/") and name.endswith(".txt"))
    for name in missing:
        hint = " (the .txt files must sit at the top of the zip, not in a folder)" if nested else ""
        problems.add(f"required file {name} is missing{hint}")
    return not missing


def _read_agencies(reader: _FeedReader, problems: _Problems) -> tuple[list[str], set[str]]:
    names: list[str] = []
    ids: set[str] = set()
    for row, values in reader.rows("agency.txt", REQUIRED_COLUMNS["agency.txt"]):
        for column in REQUIRED_COLUMNS["agency.txt"]:
            if not values[column]:
                problems.add("is required", file="agency.txt", row=row, field=column)
        agency_id = values.get("agency_id", "")
        if agency_id in ids:
            problems.add(f"duplicate agency {agency_id!r}", file="agency.txt", row=row, field="agency_id")
        ids.add(agency_id)
        if values["agency_name"]:
            names.append(values["agency_name"])
    if not names and not any("agency.txt" in item for item in problems.items):
        problems.add("no agency rows", file="agency.txt")
    return names, ids


def _read_stops(
    reader: _FeedReader, problems: _Problems, *, bbox: tuple[float, float, float, float] | None
) -> dict[str, str]:
    """Stop id → parent station id ('' for none); coordinates checked against the extract."""
    stops: dict[str, str] = {}
    for row, values in reader.rows("stops.txt", REQUIRED_COLUMNS["stops.txt"]):
        stop_id = values["stop_id"]
        if not stop_id:
            problems.add("is required", file="stops.txt", row=row, field="stop_id")
            continue
        if stop_id in stops:
            problems.add(f"duplicate stop {stop_id!r}", file="stops.txt", row=row, field="stop_id")
        stops[stop_id] = values.get("parent_station", "")
        if values.get("location_type", "") in LOCATED_STOP_TYPES:
            _check_stop_position(problems, row=row, stop_id=stop_id, values=values, bbox=bbox)
    for stop_id, parent in stops.items():
        if parent and parent not in stops:
            problems.add(f"stop {stop_id!r} names unknown parent station {parent!r}", file="stops.txt")
    return stops


def _check_stop_position(
    problems: _Problems,
    *,
    row: int,
    stop_id: str,
    values: dict[str, str],
    bbox: tuple[float, float, float, float] | None,
) -> None:
    lat = _coordinate(problems, row=row, field="stop_lat", text=values.get("stop_lat", ""), limit=90.0)
    lon = _coordinate(problems, row=row, field="stop_lon", text=values.get("stop_lon", ""), limit=180.0)
    if lat is None or lon is None or bbox is None:
        return
    min_lon, min_lat, max_lon, max_lat = bbox
    if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
        problems.add(
            f"stop {stop_id!r} at {lat:.5f}, {lon:.5f} lies outside the OSM extract "
            f"(lon {min_lon:.4f}..{max_lon:.4f}, lat {min_lat:.4f}..{max_lat:.4f})",
            file="stops.txt",
            row=row,
        )


def _coordinate(problems: _Problems, *, row: int, field: str, text: str, limit: float) -> float | None:
    if not text:
        problems.add("is required", file="stops.txt", row=row, field=field)
        return None
    try:
        value = float(text)
    except ValueError:
        problems.add(f"{text!r} is not a number", file="stops.txt", row=row, field=field)
        return None
    if not -limit <= value <= limit:
        problems.add(f"{text} is outside -{limit:g}..{limit:g}", file="stops.txt", row=row, field=field)
        return None
    return value


def _read_routes(reader: _FeedReader, problems: _Problems, *, agency_ids: set[str]) -> set[str]:
    route_ids: set[str] = set()
    for row, values in reader.rows("routes.txt", REQUIRED_COLUMNS["routes.txt"]):
        route_id = values["route_id"]
        if not route_id:
            problems.add("is required", file="routes.txt", row=row, field="route_id")
            continue
        if route_id in route_ids:
            problems.add(f"duplicate route {route_id!r}", file="routes.txt", row=row, field="route_id")
        route_ids.add(route_id)
        agency_id = values.get("agency_id", "")
        if agency_id and agency_id not in agency_ids:
            problems.add(f"unknown agency {agency_id!r}", file="routes.txt", row=row, field="agency_id")
        elif not agency_id and len(agency_ids) > 1:
            problems.add(
                "is required when the feed has several agencies", file="routes.txt", row=row, field="agency_id"
            )
        if not values["route_type"].isdigit():
            problems.add(
                f"{values['route_type']!r} is not a GTFS route type", file="routes.txt", row=row, field="route_type"
            )
    return route_ids


@dataclass
class _Services:
    """Weekly calendars and exceptions, enough to say which services run on a date."""

    weekly: dict[str, tuple[tuple[bool, ...], date, date]]
    added: dict[str, set[date]]
    removed: dict[str, set[date]]

    @property
    def ids(self) -> set[str]:
        return set(self.weekly) | set(self.added) | set(self.removed)

    @property
    def start_date(self) -> date | None:
        starts = [start for _, start, _ in self.weekly.values()] + [d for days in self.added.values() for d in days]
        return min(starts, default=None)

    @property
    def end_date(self) -> date | None:
        ends = [end for _, _, end in self.weekly.values()] + [d for days in self.added.values() for d in days]
        return max(ends, default=None)

    def runs_on(self, service_id: str, day: date) -> bool:
        if day in self.removed.get(service_id, set()):
            return False
        if day in self.added.get(service_id, set()):
            return True
        weekly = self.weekly.get(service_id)
        return bool(weekly and weekly[1] <= day <= weekly[2] and weekly[0][day.weekday()])


def _read_services(reader: _FeedReader, problems: _Problems) -> _Services:
    services = _Services(weekly={}, added={}, removed={})
    if reader.has("calendar.txt"):
        for row, values in reader.rows("calendar.txt", CALENDAR_COLUMNS):
            _read_calendar_row(problems, row=row, values=values, services=services)
    if reader.has("calendar_dates.txt"):
        for row, values in reader.rows("calendar_dates.txt", CALENDAR_DATES_COLUMNS):
            day = _date(problems, file="calendar_dates.txt", row=row, field="date", text=values["date"])
            kind = values["exception_type"]
            if kind not in {"1", "2"}:
                problems.add(
                    f"{kind!r} is not 1 (added) or 2 (removed)",
                    file="calendar_dates.txt",
                    row=row,
                    field="exception_type",
                )
            elif not values["service_id"]:
                problems.add("is required", file="calendar_dates.txt", row=row, field="service_id")
            elif day is not None:
                target = services.added if kind == "1" else services.removed
                target.setdefault(values["service_id"], set()).add(day)
    return services


def _read_calendar_row(problems: _Problems, *, row: int, values: dict[str, str], services: _Services) -> None:
    service_id = values["service_id"]
    if not service_id:
        problems.add("is required", file="calendar.txt", row=row, field="service_id")
        return
    if service_id in services.weekly:
        problems.add(f"duplicate service {service_id!r}", file="calendar.txt", row=row, field="service_id")
    days = []
    for weekday in WEEKDAYS:
        if values[weekday] not in {"0", "1"}:
            problems.add(f"{values[weekday]!r} is not 0 or 1", file="calendar.txt", row=row, field=weekday)
        days.append(values[weekday] == "1")
    start = _date(problems, file="calendar.txt", row=row, field="start_date", text=values["start_date"])
    end = _date(problems, file="calendar.txt", row=row, field="end_date", text=values["end_date"])
    if start and end and end < start:
        problems.add(f"ends {end.isoformat()} before it starts {start.isoformat()}", file="calendar.txt", row=row)
    elif start and end:
        services.weekly[service_id] = (tuple(days), start, end)


def _date(problems: _Problems, *, file: str, row: int, field: str, text: str) -> date | None:
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        problems.add(f"{text!r} is not a date as YYYYMMDD", file=file, row=row, field=field)
        return None


def _read_trips(
    reader: _FeedReader, problems: _Problems, *, route_ids: set[str], service_ids: set[str]
) -> dict[str, str]:
    """Trip id → service id."""
    trips: dict[str, str] = {}
    for row, values in reader.rows("trips.txt", REQUIRED_COLUMNS["trips.txt"]):
        trip_id = values["trip_id"]
        if not trip_id:
            problems.add("is required", file="trips.txt", row=row, field="trip_id")
            continue
        if trip_id in trips:
            problems.add(f"duplicate trip {trip_id!r}", file="trips.txt", row=row, field="trip_id")
        if values["route_id"] not in route_ids:
            problems.add(f"unknown route {values['route_id']!r}", file="trips.txt", row=row, field="route_id")
        if values["service_id"] not in service_ids:
            problems.add(
                f"service {values['service_id']!r} is in neither calendar.txt nor calendar_dates.txt",
                file="trips.txt",
                row=row,
                field="service_id",
            )
        trips[trip_id] = values["service_id"]
    return trips


@dataclass
class _TripEnds:
    """A trip's first and last call seen so far: (stop_sequence, row, has a time)."""

    first: tuple[int, int, bool]
    last: tuple[int, int, bool]
    calls: int = 1


def _check_stop_times(reader: _FeedReader, problems: _Problems, *, trips: set[str], stop_ids: set[str]) -> None:
    ends: dict[str, _TripEnds] = {}  # only each trip's ends are kept, not every call
    for row, values in reader.rows("stop_times.txt", REQUIRED_COLUMNS["stop_times.txt"]):
        trip_id, stop_id = values["trip_id"], values["stop_id"]
        if trip_id not in trips:
            problems.add(f"unknown trip {trip_id!r}", file="stop_times.txt", row=row, field="trip_id")
        if stop_id not in stop_ids:
            problems.add(f"unknown stop {stop_id!r}", file="stop_times.txt", row=row, field="stop_id")
        for column in ("arrival_time", "departure_time"):
            text = values[column]
            if text and not TIME_PATTERN.match(text):
                problems.add(f"{text!r} is not a time as H:MM:SS", file="stop_times.txt", row=row, field=column)
        sequence = values["stop_sequence"]
        if not sequence.isdigit():
            problems.add(f"{sequence!r} is not a whole number", file="stop_times.txt", row=row, field="stop_sequence")
            continue
        first = (int(sequence), row, bool(values["departure_time"]))
        last = (int(sequence), row, bool(values["arrival_time"]))
        seen = ends.get(trip_id)
        if seen is None:
            ends[trip_id] = _TripEnds(first=first, last=last)
            continue
        seen.calls += 1
        seen.first = min(seen.first, first)
        seen.last = max(seen.last, last)
    _check_trip_ends(problems, ends=ends, trips=trips)


def _check_trip_ends(problems: _Problems, *, ends: dict[str, _TripEnds], trips: set[str]) -> None:
    for trip_id, trip in ends.items():
        if trip.calls < 2:
            problems.add(f"trip {trip_id!r} calls at fewer than two stops", file="stop_times.txt")
            continue
        if not trip.first[2]:
            problems.add(
                "the first stop of a trip needs a time",
                file="stop_times.txt",
                row=trip.first[1],
                field="departure_time",
            )
        if not trip.last[2]:
            problems.add(
                "the last stop of a trip needs a time", file="stop_times.txt", row=trip.last[1], field="arrival_time"
            )
    for trip_id in sorted(trips - set(ends)):
        problems.add(f"trip {trip_id!r} has no stop times", file="trips.txt")


def _check_travel_date(problems: _Problems, *, services: _Services, trip_services: set[str], travel_date: date) -> None:
    if any(services.runs_on(service_id, travel_date) for service_id in trip_services):
        return
    start, end = services.start_date, services.end_date
    span = f"its calendar covers {start.isoformat()} to {end.isoformat()}" if start and end else "it has no dates"
    problems.add(
        f"no trip runs on the travel date {travel_date.strftime('%A')} {travel_date.isoformat()} ({span})",
        file="calendar.txt" if services.weekly else "calendar_dates.txt",
    )
