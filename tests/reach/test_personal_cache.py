"""The personal menu's catalogue cache: built once per catalogue version, rebuilt after any committed
write to the catalogue or localities, and never used by a transaction that wrote them itself.

These tests commit (transactional_db), since the cache keys on what committed transactions wrote.
"""

import datetime

import numpy as np
import pytest
from django.contrib.gis.geos import Point
from django.db import transaction

from areas.models import Locality
from reach.personal_selectors import catalogue_unchanged, forget_personal_catalogues, personal_catalogue
from services.models import Delivery, SiteOffer
from tests.factories import LocalityFactory, MenuOptionFactory, SiteFactory, SiteOfferFactory

MONDAY = datetime.date(2026, 11, 30)


@pytest.fixture
def committed_world(transactional_db):
    forget_personal_catalogues()
    town = LocalityFactory(code="TOWN", origin=Point(-2.0, 50.7, srid=4326))
    LocalityFactory(code="HAMLET", origin=Point(-2.2, 50.7, srid=4326))
    offer = SiteOfferFactory(
        site=SiteFactory(location=Point(-2.0, 50.7, srid=4326)),
        option=MenuOptionFactory(code="OST"),
        opening_hours="Mo-Fr 09:00-12:00",
    )
    outreach = SiteOfferFactory(site=offer.site, option=offer.option, delivery=Delivery.OUTREACH)
    outreach.outreach_localities.add(town)
    yield offer
    forget_personal_catalogues()


def test_a_second_read_is_the_cached_catalogue(committed_world):
    first = personal_catalogue(today=MONDAY)
    assert personal_catalogue(today=MONDAY) is first
    assert personal_catalogue(today=MONDAY + datetime.timedelta(days=1)) is not first  # the four weeks move on
    assert first.facts.open_sessions[0].tolist() == [True, False, False, False]


@pytest.mark.parametrize(
    "write",
    [
        lambda offer: SiteOffer.objects.filter(pk=offer.pk).update(opening_hours="Mo-Fr 18:00-20:00"),
        lambda offer: SiteOfferFactory(site=offer.site, option=MenuOptionFactory(code="NSP")),
        lambda offer: LocalityFactory(code="VILL", origin=Point(-2.1, 50.7, srid=4326)),
        lambda offer: SiteOffer.objects.get(delivery=Delivery.OUTREACH).outreach_localities.add(
            Locality.objects.get(code="HAMLET")
        ),
        lambda offer: SiteOffer.objects.filter(pk=offer.pk).delete(),
    ],
    ids=["hours changed", "offer added", "locality added", "outreach added", "offer deleted"],
)
def test_any_committed_write_gives_a_fresh_catalogue(committed_world, write):
    before = personal_catalogue(today=MONDAY)
    write(committed_world)
    after = personal_catalogue(today=MONDAY)
    assert after is not before
    assert after.snapshot.snapshot_id != before.snapshot.snapshot_id or not np.array_equal(
        after.facts.open_sessions, before.facts.open_sessions
    )


def test_a_transaction_that_wrote_the_catalogue_reads_its_own_writes(committed_world):
    cached = personal_catalogue(today=MONDAY)
    with transaction.atomic():
        SiteOffer.objects.filter(pk=committed_world.pk).update(opening_hours="Sa 10:00-12:00")
        inside = personal_catalogue(today=MONDAY)
        assert inside.facts.open_sessions[0].tolist() == [False, False, False, True]
        transaction.set_rollback(True)
    assert personal_catalogue(today=MONDAY) is cached  # rolled back: the cached version still holds


def test_a_block_that_writes_no_catalogue_reuses_what_its_transaction_wrote(committed_world):
    with transaction.atomic():
        SiteOffer.objects.filter(pk=committed_world.pk).update(opening_hours="Sa 10:00-12:00")
        assert personal_catalogue(today=MONDAY) is not personal_catalogue(today=MONDAY)  # written here: fresh
        with catalogue_unchanged():
            inside = personal_catalogue(today=MONDAY)
            assert personal_catalogue(today=MONDAY) is inside
            assert inside.facts.open_sessions[0].tolist() == [False, False, False, True]  # the write is seen
        assert personal_catalogue(today=MONDAY) is not inside  # the promise ends with the block
        transaction.set_rollback(True)
    assert personal_catalogue(today=MONDAY).facts.open_sessions[0].tolist() == [True, False, False, False]
