import pytest
from django.contrib.gis.geos import Point

from reach.network_services import create_network_build, execute_network_build
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


@pytest.fixture
def helsinki_network(network_dir, db):
    """A ready network built for real from the Helsinki extract (car and walk)."""
    build = create_network_build(name="helsinki", osm_path=HELSINKI_PBF, modes=["car", "walk"])
    build = execute_network_build(build_id=build.pk)
    assert build.status == "ready", build.error
    return build
