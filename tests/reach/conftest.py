import pytest
from django.contrib.gis.geos import Point

from reach.services import ensure_default_profile
from tests.factories import LocalityFactory, MenuOptionFactory, ProviderFactory, SiteFactory, SiteOfferFactory


@pytest.fixture
def small_world(db):
    """Two localities 0.1° of longitude apart (≈7 km at 50.7°N) and two providers' sites.

    - Poole centre: one site (Provider A) in the locality offering OST on site and NSP on site.
    - Far village: no site; an outreach session of OST (Provider B) is held there.
    """
    town = LocalityFactory(
        code="TOWN",
        name="Town",
        population=3000,
        car_share=0.5,
        rurality="C1",
        imd_decile=2,
        origin=Point(-2.0, 50.7, srid=4326),
    )
    village = LocalityFactory(
        code="VILL",
        name="Village",
        population=1000,
        car_share=None,
        rurality="E1",
        imd_decile=8,
        origin=Point(-2.1, 50.7, srid=4326),
    )
    ost = MenuOptionFactory(code="OST", display_order=1)
    nsp = MenuOptionFactory(code="NSP", display_order=2)
    provider_a, provider_b = ProviderFactory(name="A"), ProviderFactory(name="B")
    town_site = SiteFactory(code="T1", provider=provider_a, location=Point(-2.0, 50.7, srid=4326))
    other_site = SiteFactory(code="B1", provider=provider_b, location=Point(-2.0005, 50.7, srid=4326))
    SiteOfferFactory(site=town_site, option=ost, capacity_per_week=40)
    SiteOfferFactory(site=town_site, option=nsp)
    outreach = SiteOfferFactory(site=other_site, option=ost, delivery="outreach", capacity_per_week=10)
    outreach.outreach_localities.add(village)
    return {"town": town, "village": village, "profile": ensure_default_profile()}
