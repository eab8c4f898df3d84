import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.gis.geos import Point

from choicemap.celery import app
from reach.services import COMPUTE_RUN_TASK, ensure_default_profile
from tests.factories import LocalityFactory, MenuOptionFactory, ProviderFactory, SiteFactory, SiteOfferFactory


@pytest.fixture
def tmp_csv(tmp_path):
    """Write text to a CSV file and return its path."""

    def write(text: str, name: str = "data.csv"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def sent_runs(monkeypatch):
    """Run ids sent to the worker by the task's name, recorded instead of reaching the broker
    (the send itself is tested with a real worker in the *_worker tests)."""

    sent = []
    send_task = app.send_task

    def record(name, args=None, **options):
        if name != COMPUTE_RUN_TASK:
            return send_task(name, args=args, **options)
        sent.append(args[0])
        return None

    monkeypatch.setattr(app, "send_task", record)
    return sent


@pytest.fixture
def reach_worker():
    """A real Celery worker (solo pool) on the test Redis, with an empty queue before and after."""
    app.control.purge()
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30):
        yield
    app.control.purge()


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
