import pytest
from django.contrib.gis.geos import Point

from tests.factories import LocalityFactory, MenuOptionFactory, ProviderFactory, SiteFactory, SiteOfferFactory


@pytest.fixture
def catalogue(db):
    """A catalogue using every feature the ORUK mapping has to carry."""
    village = LocalityFactory(code="VILL", name="Village")
    LocalityFactory(code="HAMLET", name="Hamlet")
    ost = MenuOptionFactory(
        code="OST",
        name="Opioid substitution",
        category="pharmacological",
        display_order=5,
        description="Methadone or buprenorphine.",
    )
    nsp = MenuOptionFactory(code="NSP", name="Needle and syringe programme", category="harm_reduction", display_order=7)
    MenuOptionFactory(code="OLD", name="Retired option", category="other", display_order=9, active=False)
    nhs = ProviderFactory(name="Dorset NHS", kind="nhs", contact="team@nhs.example.org")
    charity = ProviderFactory(name="Recovery Together", kind="", contact="")
    hub = SiteFactory(
        code="HUB",
        name="Town hub",
        provider=nhs,
        location=Point(-2.123456, 50.654321, srid=4326),
        address="1 High Street, Town",
        postcode="DT1 1AA",
    )
    closed = SiteFactory(
        code="SHUT/1", name="Closed clinic", provider=charity, active=False, location=Point(-2.2, 50.7, srid=4326)
    )
    SiteFactory(code="EMPTY", name="Site with no offers", provider=charity, location=Point(-2.3, 50.8, srid=4326))
    SiteOfferFactory(
        site=hub,
        option=ost,
        capacity_per_week=40,
        waiting_weeks=1.5,
        min_age=18,
        max_age=65,
        opening_hours="Mo-Fr 09:00-12:30,13:30-17:00; Sa 10:00-12:00",
    )
    outreach = SiteOfferFactory(
        site=hub,
        option=ost,
        delivery="outreach",
        capacity_per_week=10,
        opening_hours="Tu 10:00-13:00",
        session_format="group",
        worker_genders=["female", "male"],
        creche=True,
        languages=["pl", "en"],
    )
    outreach.outreach_localities.add(village)
    SiteOfferFactory(site=hub, option=nsp, delivery="home_visit", home_visit_km=8.5, active=False)
    SiteOfferFactory(site=closed, option=nsp, delivery="remote", waiting_weeks=0)
    return {"hub": hub}
