"""GTFS checks: each class of fault gives a specific problem naming the feed, file, row and field."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import date

import pytest

from reach.networks.errors import NetworkInputError
from reach.networks.gtfs import inspect_gtfs
from reach.networks.valhalla import build_valhalla
from tests.reach.networks.conftest import HELSINKI_BBOX, VALID_FEED, feed_tables, write_feed

TUESDAY = date(2026, 12, 1)
SUNDAY = date(2026, 12, 6)


def problems_of(path, **kwargs) -> list[str]:
    with pytest.raises(NetworkInputError) as caught:
        inspect_gtfs(path, **kwargs)
    return caught.value.problems


def test_a_valid_feed_is_described(tmp_path):
    path = write_feed(tmp_path / "feed.zip", feed_tables())
    info = inspect_gtfs(path, travel_date=TUESDAY, bbox=HELSINKI_BBOX)
    assert info.agencies == ["Test buses"]
    assert (info.start_date, info.end_date) == (date(2020, 1, 1), date(2039, 12, 31))
    assert (info.stop_count, info.trip_count) == (2, 1)
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info.size == path.stat().st_size


def test_the_demo_feed_passes_on_the_helsinki_extract(demo_feed):
    info = inspect_gtfs(demo_feed, travel_date=TUESDAY, bbox=HELSINKI_BBOX)
    assert info.stop_count == 10
    assert info.trip_count > 100


def test_not_a_zip(tmp_path):
    path = tmp_path / "feed.zip"
    path.write_text("stop_id,stop_lat\n")
    assert problems_of(path) == ["feed.zip: not a zip archive (a GTFS feed is a .zip of .txt files)"]


def test_missing_file(tmp_path):
    assert problems_of(tmp_path / "absent.zip") == ["absent.zip: file not found"]


def test_every_missing_required_file_is_named(tmp_path):
    path = write_feed(tmp_path / "feed.zip", feed_tables(stop_times=None, agency=None, calendar=None))
    assert problems_of(path) == [
        "feed.zip: required file agency.txt is missing",
        "feed.zip: required file stop_times.txt is missing",
        "feed.zip: required file calendar.txt or calendar_dates.txt is missing",
    ]


def test_files_inside_a_folder_get_a_hint(tmp_path):
    path = write_feed(tmp_path / "feed.zip", feed_tables(), folder="gtfs/")
    problems = problems_of(path)
    assert "feed.zip: required file stops.txt is missing (the .txt files must sit at the top of the zip" in problems[1]


def test_missing_required_column(tmp_path):
    stops = [["stop_id", "stop_name", "stop_lon"], ["S1", "South", "24.94"], ["S2", "North", "24.95"]]
    path = write_feed(tmp_path / "feed.zip", feed_tables(stops=stops))
    assert "feed.zip: stops.txt row 2, stop_lat: is required" in problems_of(path)


def test_text_that_is_not_utf8(tmp_path):
    path = write_feed(tmp_path / "feed.zip", feed_tables(stops=None))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(
            "stops.txt", "stop_id,stop_name,stop_lat,stop_lon\nS1,K\xf6\xf6,60.166,24.94\n".encode("latin-1")
        )
    problems = problems_of(path)
    assert problems[0].startswith("feed.zip: stops.txt: not UTF-8 text (invalid")


def test_broken_references_are_each_named(tmp_path):
    tables = feed_tables(
        routes=[["route_id", "agency_id", "route_type"], ["R1", "A", "3"], ["R2", "NOPE", "3"]],
        trips=[["route_id", "service_id", "trip_id"], ["R1", "WK", "T1"], ["R9", "XX", "T2"]],
        stop_times=[
            ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
            ["T1", "07:00:00", "07:00:00", "S1", "1"],
            ["T1", "07:04:00", "07:04:00", "S2", "2"],
            ["T2", "08:00:00", "08:00:00", "S1", "1"],
            ["T2", "08:04:00", "08:04:00", "S7", "2"],
            ["T9", "09:00:00", "09:00:00", "S1", "1"],
        ],
    )
    tables["stops.txt"].append(["S3", "Platform", "60.17", "24.945"])
    tables["stops.txt"][0].append("parent_station")
    tables["stops.txt"][3].append("P0")
    problems = problems_of(write_feed(tmp_path / "feed.zip", tables))
    assert "feed.zip: routes.txt row 3, agency_id: unknown agency 'NOPE'" in problems
    assert "feed.zip: trips.txt row 3, route_id: unknown route 'R9'" in problems
    assert (
        "feed.zip: trips.txt row 3, service_id: service 'XX' is in neither calendar.txt nor calendar_dates.txt"
        in problems
    )
    assert "feed.zip: stop_times.txt row 5, stop_id: unknown stop 'S7'" in problems
    assert "feed.zip: stop_times.txt row 6, trip_id: unknown trip 'T9'" in problems
    assert "feed.zip: stops.txt: stop 'S3' names unknown parent station 'P0'" in problems


def test_duplicate_ids(tmp_path):
    tables = feed_tables()
    tables["stops.txt"].append(["S1", "Again", "60.17", "24.945"])
    tables["trips.txt"].append(["R1", "WK", "T1"])
    problems = problems_of(write_feed(tmp_path / "feed.zip", tables))
    assert "feed.zip: stops.txt row 4, stop_id: duplicate stop 'S1'" in problems
    assert "feed.zip: trips.txt row 3, trip_id: duplicate trip 'T1'" in problems


def test_bad_values(tmp_path):
    tables = feed_tables(
        stop_times=[
            ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
            ["T1", "7am", "07:00:00", "S1", "1"],
            ["T1", "07:04:00", "07:04:00", "S2", "two"],
        ],
        calendar_dates=[["service_id", "date", "exception_type"], ["WK", "2026-12-24", "3"]],
    )
    tables["stops.txt"][1][2] = "north"
    tables["stops.txt"][2][3] = "200"
    tables["calendar.txt"][1][8] = "2020-01-01"
    problems = problems_of(write_feed(tmp_path / "feed.zip", tables))
    assert "feed.zip: stops.txt row 2, stop_lat: 'north' is not a number" in problems
    assert "feed.zip: stops.txt row 3, stop_lon: 200 is outside -180..180" in problems
    assert "feed.zip: stop_times.txt row 2, arrival_time: '7am' is not a time as H:MM:SS" in problems
    assert "feed.zip: stop_times.txt row 3, stop_sequence: 'two' is not a whole number" in problems
    assert "feed.zip: calendar.txt row 2, start_date: '2020-01-01' is not a date as YYYYMMDD" in problems
    assert "feed.zip: calendar_dates.txt row 2, exception_type: '3' is not 1 (added) or 2 (removed)" in problems


def test_trip_ends_need_times(tmp_path):
    tables = feed_tables(
        stop_times=[
            ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
            ["T1", "07:00:00", "07:00:00", "S1", "1"],
            ["T1", "", "", "S2", "2"],
        ]
    )
    assert "feed.zip: stop_times.txt row 3, arrival_time: the last stop of a trip needs a time" in problems_of(
        write_feed(tmp_path / "feed.zip", tables)
    )


def test_service_must_run_on_the_travel_date(tmp_path):
    path = write_feed(tmp_path / "feed.zip", feed_tables())
    assert problems_of(path, travel_date=SUNDAY) == [
        "feed.zip: calendar.txt: no trip runs on the travel date Sunday 2026-12-06 "
        "(its calendar covers 2020-01-01 to 2039-12-31)"
    ]
    late = problems_of(path, travel_date=date(2040, 3, 6))
    assert "no trip runs on the travel date Tuesday 2040-03-06" in late[0]


def test_calendar_dates_can_remove_and_add_the_travel_date(tmp_path):
    removed = feed_tables(calendar_dates=[["service_id", "date", "exception_type"], ["WK", "20261201", "2"]])
    assert (
        "no trip runs on the travel date Tuesday 2026-12-01"
        in problems_of(write_feed(tmp_path / "removed.zip", removed), travel_date=TUESDAY)[0]
    )
    added = feed_tables(calendar_dates=[["service_id", "date", "exception_type"], ["WK", "20261206", "1"]])
    assert inspect_gtfs(write_feed(tmp_path / "added.zip", added), travel_date=SUNDAY).trip_count == 1


def test_stops_outside_the_extract(tmp_path):
    tables = feed_tables()
    tables["stops.txt"].append(["S3", "Espoo", "60.2055", "24.6559"])
    problems = problems_of(write_feed(tmp_path / "feed.zip", tables), bbox=HELSINKI_BBOX)
    assert problems == [
        "feed.zip: stops.txt row 4: stop 'S3' at 60.20550, 24.65590 lies outside the OSM extract "
        "(lon 24.9352..24.9534, lat 60.1642..60.1791)"
    ]


def test_every_problem_is_reported_at_once(tmp_path):
    tables = feed_tables(trips=[["route_id", "service_id", "trip_id"], ["R9", "WK", "T1"]])
    tables["stops.txt"].append(["S3", "Far", "61.0", "25.0"])
    problems = problems_of(write_feed(tmp_path / "feed.zip", tables), bbox=HELSINKI_BBOX, travel_date=SUNDAY)
    assert len(problems) == 3
    assert [p.split(":")[1].strip().split()[0] for p in problems] == ["stops.txt", "trips.txt", "calendar.txt"]


def test_hostile_text_is_quoted_not_interpreted(tmp_path):
    tables = feed_tables()
    tables["trips.txt"][1][0] = "<script>alert(1)</script>\nR1"
    problems = problems_of(write_feed(tmp_path / "feed.zip", tables))
    assert problems == ["feed.zip: trips.txt row 2, route_id: unknown route '<script>alert(1)</script>\\nR1'"]


def test_a_bad_feed_stops_the_valhalla_build_before_anything_is_written(tmp_path, helsinki_osm):
    bad = write_feed(tmp_path / "bad.zip", feed_tables(stops=None))
    out_dir = tmp_path / "build"
    with pytest.raises(NetworkInputError) as caught:
        build_valhalla(osm_path=helsinki_osm, gtfs_paths=[bad], out_dir=out_dir, log=lambda _line: None)
    assert caught.value.problems == ["bad.zip: required file stops.txt is missing"]
    assert not out_dir.exists()


def test_not_a_pbf_stops_the_valhalla_build(tmp_path):
    fake = tmp_path / "extract.osm.pbf"
    fake.write_text("<osm></osm>")
    good = write_feed(tmp_path / "feed.zip", feed_tables())
    out_dir = tmp_path / "build"
    with pytest.raises(NetworkInputError) as caught:
        build_valhalla(osm_path=fake, gtfs_paths=[good], out_dir=out_dir, log=lambda _line: None)
    assert caught.value.problems == ["extract.osm.pbf: not an OpenStreetMap PBF file (no OSMHeader block at the start)"]
    assert not out_dir.exists()


def test_valid_feed_table_is_untouched_by_helpers():
    # feed_tables copies rows, so one test's edits never leak into another's feed
    tables = feed_tables()
    tables["stops.txt"][1][0] = "changed"
    assert VALID_FEED["stops.txt"][1][0] == "S1"
