"""services/rules.py is the one home of the offer rules: every door refuses an offer in the same words."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.roles import ADMIN
from services.models import SiteOffer
from services.rules import offer_problems
from services.services import save_offer
from tests.factories import LocalityFactory, SiteFactory, SiteOfferFactory, UserFactory

HOME_VISIT_NEEDS_RADIUS = "is required for a home_visit offer"


@pytest.mark.parametrize(
    "entered, expected",
    [
        ({"delivery": "on_site"}, {}),
        ({"delivery": "home_visit", "home_visit_km": 5.0}, {}),
        ({"delivery": "home_visit"}, {"home_visit_km": HOME_VISIT_NEEDS_RADIUS}),
        (
            {"delivery": "home_visit", "home_visit_km": 0},
            {"home_visit_km": "a home visit radius must be more than 0 km"},
        ),
        (
            {"delivery": "remote", "home_visit_km": 3},
            {"home_visit_km": "only home_visit offers have a radius, not remote"},
        ),
        ({"delivery": "outreach"}, {"outreach_localities": "an outreach offer needs at least one locality code"}),
        ({"delivery": "outreach", "outreach_localities": ["E1"]}, {}),
        (
            {"delivery": "on_site", "outreach_localities": ["E1"]},
            {"outreach_localities": "only outreach offers list localities, not on_site"},
        ),
        ({"delivery": "on_site", "capacity_per_week": -1}, {"capacity_per_week": "cannot be negative"}),
        ({"delivery": "on_site", "waiting_weeks": -0.5}, {"waiting_weeks": "cannot be negative"}),
        ({"delivery": "on_site", "min_age": 30, "max_age": 20}, {"min_age": "min_age 30 is above max_age 20"}),
        ({"delivery": "on_site", "min_age": 18, "max_age": 18}, {}),
        ({"delivery": "on_site", "max_age": 200}, {"max_age": "must be from 0 to 130"}),
        # a radius that did not parse is present for the rules; the parser has reported it
        ({"delivery": "home_visit", "home_visit_km": "far"}, {}),
    ],
)
def test_offer_problems(entered, expected):
    assert offer_problems(entered) == expected


@pytest.fixture
def site(db):
    return SiteFactory(code="S1")


def test_import_service_and_api_refuse_a_radius_less_home_visit_in_the_same_words(site, tmp_csv):
    option = SiteOfferFactory(site=site).option
    header = (
        "provider,site_code,site_name,lat,lon,option_code,delivery,capacity_per_week,waiting_weeks,"
        "min_age,max_age,outreach_localities,home_visit_km,active\n"
    )
    row = f"{site.provider.name},S1,{site.name},{site.location.y},{site.location.x},{option.code},home_visit,,,,,,,\n"
    with pytest.raises(CommandError, match=f"row 2, home_visit_km: {HOME_VISIT_NEEDS_RADIUS}"):
        call_command("import_catalogue", str(tmp_csv(header + row)))

    with pytest.raises(ValidationError) as refused:
        save_offer(changes={"site": site, "option": option, "delivery": "home_visit"})
    assert refused.value.message_dict == {"home_visit_km": [HOME_VISIT_NEEDS_RADIUS]}

    client = APIClient()
    client.force_authenticate(UserFactory(role=ADMIN))
    response = client.post(
        "/api/v1/offers/", {"site": "S1", "option": option.code, "delivery": "home_visit"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"home_visit_km": [HOME_VISIT_NEEDS_RADIUS]}
    assert SiteOffer.objects.count() == 1


def test_the_api_checks_a_partial_change_against_the_offer_as_it_stands(site):
    offer = SiteOfferFactory(site=site, delivery="outreach")
    offer.outreach_localities.add(LocalityFactory())
    client = APIClient()
    client.force_authenticate(UserFactory(role=ADMIN))
    response = client.patch(f"/api/v1/offers/{offer.pk}/", {"min_age": 40, "max_age": 30}, format="json")
    assert response.json()["fields"] == {"min_age": ["min_age 40 is above max_age 30"]}
    response = client.patch(f"/api/v1/offers/{offer.pk}/", {"waiting_weeks": 3}, format="json")
    assert response.status_code == 200, response.json()  # the stored outreach list keeps it valid
