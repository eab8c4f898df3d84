import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from services.models import Delivery, SiteOffer
from tests.factories import LocalityFactory, SiteOfferFactory

pytestmark = pytest.mark.django_db


def _violates(**fields):
    offer = SiteOfferFactory.build(**fields)
    offer.site.provider.save()
    offer.site.save()
    offer.option.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        offer.save()


def test_negative_waiting_time_is_refused_by_the_database():
    _violates(waiting_weeks=-1)


def test_negative_capacity_is_refused_by_the_database():
    _violates(capacity_per_week=-3)


def test_min_age_above_max_age_is_refused_by_the_database():
    _violates(min_age=25, max_age=18)


def test_min_age_equal_to_max_age_is_allowed():
    SiteOfferFactory(min_age=18, max_age=18)


def test_radius_only_for_home_visits():
    _violates(delivery=Delivery.ON_SITE, home_visit_km=10)


def test_home_visit_needs_a_positive_radius():
    _violates(delivery=Delivery.HOME_VISIT, home_visit_km=None)
    _violates(delivery=Delivery.HOME_VISIT, home_visit_km=0)


def test_unknown_delivery_is_refused_by_the_database():
    _violates(delivery="teleport")


def test_site_option_delivery_is_unique_but_other_deliveries_may_coexist():
    offer = SiteOfferFactory()
    SiteOfferFactory(site=offer.site, option=offer.option, delivery=Delivery.REMOTE)
    with pytest.raises(IntegrityError), transaction.atomic():
        SiteOfferFactory(site=offer.site, option=offer.option, delivery=Delivery.ON_SITE)


def test_model_validation_reports_constraint_messages_for_forms():
    offer = SiteOfferFactory.build(min_age=30, max_age=20)
    offer.site.provider.save()
    offer.site.save()
    offer.option.save()
    offer.site_id, offer.option_id = offer.site.pk, offer.option.pk
    with pytest.raises(ValidationError, match="Minimum age cannot be above maximum age"):
        offer.full_clean()


def _check_deferred_constraints():
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_outreach_localities_only_on_outreach_offers():
    offer = SiteOfferFactory(delivery=Delivery.ON_SITE)
    with pytest.raises(IntegrityError, match="only outreach offers list localities"), transaction.atomic():
        offer.outreach_localities.add(LocalityFactory())
        _check_deferred_constraints()


def test_outreach_offer_with_localities_cannot_change_delivery():
    offer = SiteOfferFactory(delivery=Delivery.OUTREACH)
    offer.outreach_localities.add(LocalityFactory())
    _check_deferred_constraints()
    with pytest.raises(IntegrityError, match="delivery must stay outreach"), transaction.atomic():
        SiteOffer.objects.filter(pk=offer.pk).update(delivery=Delivery.ON_SITE)
        _check_deferred_constraints()


def test_a_link_removed_before_commit_does_not_fail_the_deferred_check():
    offer = SiteOfferFactory(delivery=Delivery.OUTREACH)
    with transaction.atomic():
        offer.outreach_localities.add(LocalityFactory())
        offer.outreach_localities.clear()
        SiteOffer.objects.filter(pk=offer.pk).update(delivery=Delivery.ON_SITE)
        _check_deferred_constraints()
    assert SiteOffer.objects.get(pk=offer.pk).delivery == Delivery.ON_SITE
