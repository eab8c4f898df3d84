"""/map/api/sites/ is rendered once per catalogue version and cached: after every kind of catalogue change
the cached answer equals a fresh rendering (the serializer on the database as it is now)."""

import json

import pytest
from django.contrib.gis.geos import Point
from django.urls import reverse
from rest_framework.renderers import JSONRenderer

from maps.selectors import catalogue_version, sites_for_map
from maps.serializers import SiteMapSerializer
from services.models import MenuOption, Provider, Site, SiteOffer
from tests.factories import SiteFactory, SiteOfferFactory

# Each change commits on its own, as in the admin or an import (xmin is per transaction).
pytestmark = pytest.mark.django_db(transaction=True)


def fresh() -> dict:
    return json.loads(JSONRenderer().render(SiteMapSerializer(sites_for_map(), many=True).data))


def served(client) -> dict:
    response = client.get(reverse("maps:api-sites"), HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    return json.loads(client.get(reverse("maps:api-sites")).content)


def change_offer_wait():
    SiteOffer.objects.filter(site__code="T1", option__code="OST").update(waiting_weeks=9)


def add_site():
    site = SiteFactory(
        code="N1", provider=Provider.objects.order_by("pk").first(), location=Point(-2.05, 50.7, srid=4326)
    )
    SiteOfferFactory(site=site, option=MenuOption.objects.get(code="NSP"))


CHANGES = {
    "offer wait": change_offer_wait,
    "provider renamed": lambda: Provider.objects.filter(name="A").update(name="A renamed"),
    "option renamed": lambda: MenuOption.objects.filter(code="OST").update(name="Opioid substitution, renamed"),
    "site closed": lambda: Site.objects.filter(code="B1").update(active=False),
    "offer deleted": lambda: SiteOffer.objects.filter(site__code="T1", option__code="NSP").delete(),
    "site added": add_site,
}


def test_every_catalogue_change_shows_at_once(commissioner_client, small_world):
    assert served(commissioner_client) == fresh()
    versions = {catalogue_version()}
    for name, change in CHANGES.items():
        change()
        versions.add(catalogue_version())
        assert served(commissioner_client) == fresh(), name
    assert len(versions) == len(CHANGES) + 1


def test_the_version_stays_put_without_changes(small_world):
    assert catalogue_version() == catalogue_version()
