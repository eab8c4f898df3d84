import shutil
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point

from reach import network_services
from reach.network_services import create_network_build, execute_network_build
from reach.networks.osrm import build_osrm
from reach.services import ensure_default_profile
from tests.factories import LocalityFactory, MenuOptionFactory, ProviderFactory, SiteFactory, SiteOfferFactory
from tests.networks.helsinki import HELSINKI_PBF, HELSINKI_POINTS, OFF_MAP


@pytest.fixture
def network_dir(tmp_path, settings):
    settings.NETWORK_DIR = tmp_path / "networks"
    return settings.NETWORK_DIR


@pytest.fixture
def helsinki_world(db):
    """Five localities on the extract, one off it; two providers' sites on the extract."""
    localities = {
        code: LocalityFactory(code=code, name=code.title(), origin=Point(lon, lat, srid=4326), population=1000)
        for code, (lat, lon) in HELSINKI_POINTS.items()
    }
    localities["OFFMAP"] = LocalityFactory(
        code="OFFMAP", name="Off the map", origin=Point(OFF_MAP[1], OFF_MAP[0], srid=4326), population=500
    )
    option = MenuOptionFactory(code="OST", display_order=1)
    sites = {
        "STATION": SiteFactory(
            code="STATION", provider=ProviderFactory(name="A"), location=Point(24.9414, 60.1710, srid=4326)
        ),
        "MARKET": SiteFactory(
            code="MARKET", provider=ProviderFactory(name="B"), location=Point(24.9525, 60.1675, srid=4326)
        ),
    }
    for site in sites.values():
        SiteOfferFactory(site=site, option=option, capacity_per_week=20)
    return {"localities": localities, "sites": sites, "option": option, "profile": ensure_default_profile()}


def _build_helsinki(modes=("car", "walk")):
    build = create_network_build(name="helsinki", osm_path=HELSINKI_PBF, modes=list(modes))
    build = execute_network_build(build_id=build.pk)
    assert build.status == "ready", build.error
    return build


@pytest.fixture
def built_helsinki_network(network_dir, db):
    """A ready network built for real, start to end, from the Helsinki extract (car and walk)."""
    return _build_helsinki()


@pytest.fixture(scope="session")
def helsinki_osrm_graphs(tmp_path_factory):
    """OSRM's real car, walk and cycle graphs of the extract, built once per test session."""
    out = tmp_path_factory.mktemp("helsinki-osrm")
    build_osrm(osm_path=HELSINKI_PBF, out_dir=out, modes=["car", "walk", "cycle"], log=lambda line: None)
    return out


@pytest.fixture
def helsinki_network(network_dir, db, helsinki_osrm_graphs, monkeypatch):
    """A ready Helsinki network (car, walk, cycle) whose build step reuses the session's OSRM graphs.

    Building the graphs takes seconds per mode on a busy machine; the build itself is tested from
    start to end with ``built_helsinki_network``. Everything after the OSRM tools runs as usual.
    """

    def copy_graphs(*, osm_path, out_dir, modes, log, progress=None):
        for mode in modes:
            shutil.copytree(helsinki_osrm_graphs / mode, Path(out_dir) / mode)

    with monkeypatch.context() as patch:
        patch.setattr(network_services, "build_osrm", copy_graphs)
        return _build_helsinki(("car", "walk", "cycle"))
