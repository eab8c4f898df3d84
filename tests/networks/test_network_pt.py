"""Public transport from GTFS via Valhalla inside runs: the transit module's matrices, through profiles and runs.

These need the transit module (reach/networks/valhalla.py, demo/network_gtfs.py); without it they skip,
and the report says so.
"""

from datetime import date, time

import numpy as np
import pytest
from django.contrib.gis.geos import Point

from reach.models import NetworkBuild, RunStatus, TravelNetwork
from reach.network_services import build_path, create_network_build, execute_network_build
from reach.networks.errors import NetworkInputError
from reach.selectors import run_results
from reach.services import create_run, ensure_default_profile, execute_run
from tests.factories import LocalityFactory, MenuOptionFactory, ProviderFactory, SiteFactory, SiteOfferFactory
from tests.networks.helsinki import HELSINKI_PBF

valhalla = pytest.importorskip("reach.networks.valhalla", reason="the transit module is not on this branch yet")
network_gtfs = pytest.importorskip("demo.network_gtfs")

pytestmark = pytest.mark.django_db

BBOX = (24.9351878, 60.1641581, 24.9534132, 60.1791074)


def at(x: float, y: float) -> Point:
    """A point at fractions of the extract's bounding box, as the demo feed places its lines."""
    return Point(BBOX[0] + x * (BBOX[2] - BBOX[0]), BBOX[1] + y * (BBOX[3] - BBOX[1]), srid=4326)


@pytest.fixture
def pt_network(network_dir, tmp_path):
    feed = network_gtfs.write_demo_gtfs(tmp_path / "demo-gtfs.zip", osm_path=HELSINKI_PBF)
    build = create_network_build(name="helsinki", osm_path=HELSINKI_PBF, gtfs_paths=[feed], modes=["walk", "pt"])
    build = execute_network_build(build_id=build.pk)
    assert build.status == "ready", build.error
    assert build.gtfs_feeds[0]["file"] == "demo-gtfs.zip" and build.gtfs_feeds[0]["trip_count"] > 10
    return build


@pytest.fixture
def two_lines_world(db):
    """A locality and a site at each end of the demo's fast line (west) and twice-daily line (east)."""
    option = MenuOptionFactory(code="OST")
    places = {"FASTSOUTH": at(0.15, 0.08), "SLOWSOUTH": at(0.85, 0.08)}
    for code, origin in places.items():
        LocalityFactory(code=code, origin=origin)
    for code, location in {"FASTNORTH": at(0.15, 0.92), "SLOWNORTH": at(0.85, 0.92)}.items():
        SiteOfferFactory(site=SiteFactory(code=code, provider=ProviderFactory(), location=location), option=option)
    ensure_default_profile()


def test_pt_minutes_in_a_run_are_valhallas_timetable_minutes(pt_network, two_lines_world):
    overrides = {"walk_source": "network", "pt_source": "network", "network": "helsinki", "pt_date": "2026-12-02"}
    run = execute_run(run_id=create_run(overrides=overrides).pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    pt = {r.locality_code: r.nearest_pt_minutes[0] for r in run_results(run=run)}
    walk = {r.locality_code: r.nearest_walk_minutes[0] for r in run_results(run=run)}
    matrix = valhalla.ValhallaMatrix(build_path(pt_network) / "valhalla")
    origins = np.array([[p.y, p.x] for p in (at(0.15, 0.08), at(0.85, 0.08))])
    sites = np.array([[p.y, p.x] for p in (at(0.15, 0.92), at(0.85, 0.92))])
    direct = matrix.pt_minutes(origins, sites, travel_date=date(2026, 12, 2), window_start=time(7), window_end=time(9),
                               step_minutes=10, percentile=50, max_minutes=45)  # fmt: skip
    best = np.min(np.where(np.isnan(direct), np.inf, direct), axis=1)
    for code, expected in zip(["FASTSOUTH", "SLOWSOUTH"], best.tolist(), strict=True):
        assert (pt[code] is None) == (expected == np.inf)
        if pt[code] is not None:
            assert pt[code] == pytest.approx(expected, abs=0.01)
    assert pt["FASTSOUTH"] < walk["FASTSOUTH"]  # the frequent fast bus beats walking
    # the twice-a-day bus fails the median: its end is reached no faster than on foot, if at all
    assert pt["SLOWSOUTH"] is None or pt["SLOWSOUTH"] >= walk["SLOWSOUTH"] * 0.9
    assert (
        "public transport: 1 GTFS feed via Valhalla, Wednesday 2026-12-02 07:00–09:00 every 10 min, median"
        in (run.provenance["text"])
    )


def test_a_broken_feed_is_refused_by_name_and_nothing_is_written(network_dir, tmp_path):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"this is not a zip")
    with pytest.raises(NetworkInputError) as caught:
        create_network_build(name="helsinki", osm_path=HELSINKI_PBF, gtfs_paths=[broken])
    assert all(problem.startswith("broken.zip") for problem in caught.value.problems)
    assert not TravelNetwork.objects.exists() and not NetworkBuild.objects.exists()
