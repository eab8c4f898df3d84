"""Valhalla public transport on the real Helsinki extract with the demo feed (built once per session)."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time

import numpy as np
import pytest

from demo.network_gtfs import BUS_SPEED_KMH, street_nodes, write_demo_gtfs
from reach.networks.valhalla import MULTIMODAL_COSTING_OPTIONS, ValhallaMatrix, build_valhalla, departure_times
from reach.travel import haversine_km
from tests.reach.networks.conftest import feed_tables, write_feed

TUESDAY = date(2026, 12, 1)
RUSH_HOUR = {"travel_date": TUESDAY, "window_start": time(7), "window_end": time(9), "step_minutes": 10}
WALK_KMH = 5.1  # Valhalla's default pedestrian speed: no walk is faster than the crow flies at it


def crow_km(a: np.ndarray, b: np.ndarray) -> float:
    return float(haversine_km(a[0], a[1], b[0], b[1]))


def ride_minutes(feed, trip_id: str) -> float:
    """First departure to last arrival of one trip, read from the timetable."""
    with zipfile.ZipFile(feed) as archive:
        rows = [
            r for r in csv.DictReader(io.StringIO(archive.read("stop_times.txt").decode())) if r["trip_id"] == trip_id
        ]
    clock = [
        datetime.strptime(rows[0]["departure_time"], "%H:%M:%S"),
        datetime.strptime(rows[-1]["arrival_time"], "%H:%M:%S"),
    ]
    return (clock[1] - clock[0]).total_seconds() / 60.0


def test_the_build_writes_only_into_its_directory(valhalla_build):
    assert sorted(p.name for p in valhalla_build.parent.iterdir()) == ["build"]
    assert (valhalla_build / "valhalla.json").is_file()
    assert any((valhalla_build / "tiles").rglob("*.gph"))
    assert sorted(p.name for p in (valhalla_build / "gtfs" / "feed0").iterdir())[:2] == ["agency.txt", "calendar.txt"]


def test_a_frequent_fast_bus_beats_walking(valhalla_matrix, demo_stops, demo_feed):
    south, north = demo_stops["R1S1"], demo_stops["R1S5"]
    pt = valhalla_matrix.pt_minutes(south[None], north[None], **RUSH_HOUR, percentile=50, max_minutes=60)[0, 0]
    walk_at_least = crow_km(south, north) / WALK_KMH * 60.0
    assert pt < walk_at_least - 5
    # Hand-computed ceiling: at most one headway (5 min) of waiting, the ride itself, two short walks.
    assert pt <= 5 + ride_minutes(demo_feed, "R1D0T070000") + 2
    # At 03:00 no bus runs, so the same trip is a walk.
    night = {**RUSH_HOUR, "window_start": time(3), "window_end": time(3, 30)}
    assert valhalla_matrix.pt_minutes(south[None], north[None], **night, percentile=50, max_minutes=60)[0, 0] >= (
        walk_at_least
    )


def test_a_twice_a_day_bus_fails_the_median_rule(valhalla_matrix, demo_stops):
    south, north = demo_stops["R2S1"], demo_stops["R2S5"]
    assert crow_km(south, north) / WALK_KMH * 60.0 > 12  # too far to walk within the limit
    median = valhalla_matrix.pt_minutes(south[None], north[None], **RUSH_HOUR, percentile=50, max_minutes=12)
    assert np.isnan(median[0, 0])
    # The 07:05 bus itself is quick: the best departure makes it, and so does a window holding only 07:00.
    best = valhalla_matrix.pt_minutes(south[None], north[None], **RUSH_HOUR, percentile=0, max_minutes=12)
    assert best[0, 0] <= 12
    one = {**RUSH_HOUR, "window_end": time(7, 1)}
    assert valhalla_matrix.pt_minutes(south[None], north[None], **one, percentile=50, max_minutes=12)[0, 0] <= 12
    # The frequent line over the same distance passes the same rule.
    fast = valhalla_matrix.pt_minutes(
        demo_stops["R1S1"][None], demo_stops["R1S5"][None], **RUSH_HOUR, percentile=50, max_minutes=12
    )
    assert fast[0, 0] <= 12


def test_pt_minutes_are_never_below_straight_line_over_a_top_speed(valhalla_matrix, helsinki_osm, demo_stops):
    nodes = street_nodes(helsinki_osm)
    rng = np.random.default_rng(9)
    points = np.vstack([nodes[rng.choice(len(nodes), 6, replace=False)], np.array(list(demo_stops.values()))])
    every_20 = {**RUSH_HOUR, "step_minutes": 20}
    minutes = valhalla_matrix.pt_minutes(points, points, **every_20, percentile=50, max_minutes=90)
    distance_km = haversine_km(points[:, None, 0], points[:, None, 1], points[None, :, 0], points[None, :, 1])
    # The demo buses are timed at BUS_SPEED_KMH between stops and walking is slower still, so no
    # journey can beat the straight line at 4/3 of that speed (the margin covers rounding to seconds).
    floor = distance_km / (BUS_SPEED_KMH * 4 / 3) * 60.0
    found = np.isfinite(minutes)
    # Valhalla gives no multimodal journey with more than 2,415 m of walking at either end, so a
    # few long walk-only pairs are NaN; most pairs have a journey.
    assert found.mean() > 0.9
    assert (minutes[found] >= floor[found] - 1e-9).all()


def test_max_minutes_cuts_off_and_far_pairs_are_not_routed(valhalla_matrix, demo_stops):
    south, north = demo_stops["R1S1"], demo_stops["R2S5"]
    tampere = np.array([61.4978, 23.7610])
    result = valhalla_matrix.pt_minutes(
        south[None], np.vstack([north, tampere]), **RUSH_HOUR, percentile=50, max_minutes=1
    )
    assert np.isnan(result).all()


def test_auto_minutes_are_never_below_straight_line_over_a_top_speed(valhalla_matrix, helsinki_osm):
    nodes = street_nodes(helsinki_osm)
    points = nodes[np.random.default_rng(4).choice(len(nodes), 12, replace=False)]
    minutes = valhalla_matrix.auto_minutes(points, points)
    distance_km = haversine_km(points[:, None, 0], points[:, None, 1], points[None, :, 0], points[None, :, 1])
    assert minutes.shape == (12, 12)
    routed = np.isfinite(minutes)
    assert routed.mean() > 0.5
    # Valhalla's matrix reports whole seconds, so a 5 m hop can come back as 0: allow one second.
    assert (minutes[routed] >= distance_km[routed] / 130.0 * 60.0 - 1 / 60).all()
    assert np.allclose(np.diag(minutes), 0.0)


def test_snap_distances_flag_a_point_far_outside_the_extract(valhalla_matrix, demo_stops):
    stops = np.array(list(demo_stops.values()))
    espoo = np.array([60.2055, 24.6559])  # about 16 km west of the extract
    points = np.vstack([stops, espoo, [10.0, 10.0]])
    for mode in ("walk", "pt", "car", "cycle", "pedestrian", "auto"):
        metres = valhalla_matrix.snap_distances_m(points, mode)
        assert (metres[: len(stops)] < 50).all()  # stops sit on street nodes
        assert metres[len(stops)] > 10_000
        assert metres[-1] == np.inf
    with pytest.raises(ValueError, match="unknown mode 'boat'"):
        valhalla_matrix.snap_distances_m(points, "boat")


def test_a_directory_without_a_build_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="no Valhalla build here"):
        ValhallaMatrix(tmp_path)


def test_an_empty_window_or_a_bad_percentile_is_refused(valhalla_matrix, demo_stops):
    stop = demo_stops["R1S1"][None]
    backwards = {**RUSH_HOUR, "window_start": time(9), "window_end": time(7)}
    with pytest.raises(ValueError, match="the departure window 09:00–07:00 holds no departure"):
        valhalla_matrix.pt_minutes(stop, stop, **backwards, percentile=50, max_minutes=60)
    with pytest.raises(ValueError, match="percentile must be within 0–100, not 150"):
        valhalla_matrix.pt_minutes(stop, stop, **RUSH_HOUR, percentile=150, max_minutes=60)


def test_departure_times():
    times = departure_times(TUESDAY, time(7), time(9), 10)
    assert len(times) == 12
    assert (times[0], times[-1]) == (datetime(2026, 12, 1, 7, 0), datetime(2026, 12, 1, 8, 50))
    assert len(departure_times(TUESDAY, time(7), time(7, 1), 10)) == 1
    assert departure_times(TUESDAY, time(9), time(7), 10) == []
    with pytest.raises(ValueError, match="step_minutes must be positive"):
        departure_times(TUESDAY, time(7), time(9), 0)


def test_a_failing_valhalla_tool_raises_with_its_output(tmp_path, helsinki_osm):
    truncated = tmp_path / "truncated.osm.pbf"
    truncated.write_bytes(helsinki_osm.read_bytes()[:300])  # passes the header check, then breaks
    lines: list[str] = []
    with pytest.raises(RuntimeError, match="valhalla_build_tiles failed with exit code") as caught:
        build_valhalla(osm_path=truncated, gtfs_paths=[], out_dir=tmp_path / "build", log=lines.append)
    assert "truncated.osm.pbf" in str(caught.value)
    assert lines and lines[0].startswith("valhalla_build_tiles -c ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "truncated.osm.pbf"]


def test_the_demo_feed_is_deterministic_and_on_the_extract(tmp_path, helsinki_osm, demo_feed):
    again = write_demo_gtfs(tmp_path / "again.zip", osm_path=helsinki_osm)
    assert again.read_bytes() == demo_feed.read_bytes()
    with zipfile.ZipFile(demo_feed) as archive:
        assert "OpenStreetMap contributors, ODbL" in archive.read("feed_info.txt").decode()
        trips = archive.read("trips.txt").decode().splitlines()
    # the twice-a-day line runs two trips each way
    assert sum(line.startswith("R2,") for line in trips) == 4


def test_the_percentile_matches_a_nearest_rank_pick_over_direct_routes(valhalla_build, valhalla_matrix, demo_stops):
    """Oracle: route every departure with a fresh Actor, sort, pick the nearest rank by hand."""
    from valhalla import Actor  # noqa: PLC0415 (heavy C++ import)

    actor = Actor(str(valhalla_build / "valhalla.json"))
    origin, destination = demo_stops["R1S2"], demo_stops["R2S4"]
    times = []
    for departure in departure_times(**RUSH_HOUR):
        answer = actor.route(
            {
                "locations": [{"lat": origin[0], "lon": origin[1]}, {"lat": destination[0], "lon": destination[1]}],
                "costing": "multimodal",
                "costing_options": MULTIMODAL_COSTING_OPTIONS,
                "date_time": {"type": 1, "value": departure.strftime("%Y-%m-%dT%H:%M")},
            }
        )
        times.append(answer["trip"]["summary"]["time"] / 60.0)
    times.sort()
    for percentile in (0, 25, 50, 90, 100):
        rank = max(1, math.ceil(percentile / 100 * len(times)))
        ours = valhalla_matrix.pt_minutes(
            origin[None], destination[None], **RUSH_HOUR, percentile=percentile, max_minutes=120
        )
        assert ours[0, 0] == pytest.approx(times[rank - 1], abs=1e-9)
        # max_minutes cuts exactly at that value (this path stops routing early)
        at_limit = valhalla_matrix.pt_minutes(
            origin[None], destination[None], **RUSH_HOUR, percentile=percentile, max_minutes=times[rank - 1]
        )
        below = valhalla_matrix.pt_minutes(
            origin[None], destination[None], **RUSH_HOUR, percentile=percentile, max_minutes=times[rank - 1] - 0.01
        )
        assert at_limit[0, 0] == pytest.approx(times[rank - 1], abs=1e-9)
        assert np.isnan(below[0, 0])


def test_two_feeds_are_both_routed(tmp_path, helsinki_osm, demo_feed):
    # A second operator's express from the south-west corner to the north-east, weekdays 07:00 only.
    express = write_feed(tmp_path / "express.zip", feed_tables())
    out_dir = tmp_path / "build"
    build_valhalla(osm_path=helsinki_osm, gtfs_paths=[demo_feed, express], out_dir=out_dir, log=lambda _line: None)
    from valhalla import Actor  # noqa: PLC0415 (heavy C++ import)

    answer = Actor(str(out_dir / "valhalla.json")).route(
        {
            "locations": [{"lat": 60.1660, "lon": 24.9400}, {"lat": 60.1780, "lon": 24.9500}],
            "costing": "multimodal",
            "costing_options": MULTIMODAL_COSTING_OPTIONS,
            "date_time": {"type": 1, "value": "2026-12-01T06:58"},
        }
    )
    routes = {m.get("transit_info", {}).get("onestop_id") for m in answer["trip"]["legs"][0]["maneuvers"]}
    assert "feed1_R1" in routes


def test_threads_sharing_one_matrix_take_turns(valhalla_matrix, demo_stops):
    # A bare valhalla.Actor used from two threads at once kills the process (segfault).
    stops = np.array(list(demo_stops.values()))[:3]
    serial = valhalla_matrix.pt_minutes(stops, stops, **RUSH_HOUR, percentile=50, max_minutes=60)
    with ThreadPoolExecutor(2) as pool:
        both = list(
            pool.map(
                lambda _: valhalla_matrix.pt_minutes(stops, stops, **RUSH_HOUR, percentile=50, max_minutes=60),
                range(2),
            )
        )
    for result in both:
        np.testing.assert_array_equal(result, serial)
