import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.roles import ADMIN, COMMISSIONER
from accounts.services import ensure_user
from reach.models import ReachRun, RunStatus
from reach.selectors import default_profile
from tests.factories import LocalityFactory, SiteOfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(ensure_user(username="catalogue", password="a-long-password-1", role=ADMIN))
    return client


def test_site_change_page_shows_the_map_widget_and_offers(admin_client):
    offer = SiteOfferFactory()
    response = admin_client.get(reverse("admin:services_site_change", args=[offer.site.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "leaflet" in html.lower() and 'id="id_location-map"' in html
    assert offer.option.code in html  # offers are edited inline


def test_locality_change_page_shows_the_map_widget(admin_client):
    locality = LocalityFactory()
    response = admin_client.get(reverse("admin:areas_locality_change", args=[locality.pk]))
    assert response.status_code == 200
    assert 'id="id_geometry-map"' in response.content.decode()


def test_catalogue_admin_group_can_edit_sites_without_being_superuser(client):
    user = ensure_user(username="editor", password="a-long-password-1", role=ADMIN)
    assert not user.is_superuser
    client.force_login(user)
    assert client.get(reverse("admin:services_site_add")).status_code == 200


def test_commissioner_cannot_use_the_admin(client):
    client.force_login(ensure_user(username="com", password="a-long-password-1", role=COMMISSIONER))
    response = client.get(reverse("admin:services_site_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_admin_inline_refuses_localities_on_a_non_outreach_offer(admin_client):
    offer = SiteOfferFactory()
    locality = LocalityFactory()
    site = offer.site
    data = {
        "code": site.code,
        "name": site.name,
        "provider": site.provider.pk,
        "address": "",
        "postcode": "",
        "location": site.location.geojson,
        "active": "on",
        "offers-TOTAL_FORMS": "1",
        "offers-INITIAL_FORMS": "1",
        "offers-MIN_NUM_FORMS": "0",
        "offers-MAX_NUM_FORMS": "1000",
        "offers-0-id": offer.pk,
        "offers-0-site": site.pk,
        "offers-0-option": offer.option.pk,
        "offers-0-delivery": "on_site",
        "offers-0-active": "on",
        "offers-0-outreach_localities": [locality.pk],
    }
    response = admin_client.post(reverse("admin:services_site_change", args=[site.pk]), data)
    assert response.status_code == 200
    assert "only outreach offers list localities, not on_site" in response.content.decode()
    assert offer.outreach_localities.count() == 0


def test_demo_users_exist_with_their_roles():
    user = ensure_user(username="k", password="a-long-password-1", role="keyworker")
    assert list(user.groups.values_list("name", flat=True)) == ["keyworker"]
    assert get_user_model().objects.get(username="k").check_password("a-long-password-1")


def test_compute_now_refuses_a_profile_with_an_active_run_with_a_message(client, sent_runs):
    # Reach profiles are the superuser's (the demo admin is one); the admin role edits the catalogue.
    client.force_login(ensure_user(username="root", password="a-long-password-1", role=ADMIN, superuser=True))
    admin_client = client
    profile = default_profile()
    url = reverse("admin:reach_reachprofile_changelist")
    action = {"action": "compute_now", "_selected_action": [profile.pk]}
    first = admin_client.post(url, action, follow=True)
    run = ReachRun.objects.get()
    assert f"Run {run.pk} queued for Default." in first.content.decode()
    again = admin_client.post(url, action, follow=True)
    assert (
        f"Run {run.pk} of Default is already {RunStatus.QUEUED}. Wait for it or cancel it first."
        in again.content.decode()
    )
    assert ReachRun.objects.count() == 1


def test_the_offer_form_speaks_the_offer_rules(admin_client):
    offer = SiteOfferFactory()
    data = {
        "site": offer.site.pk,
        "option": offer.option.pk,
        "delivery": "home_visit",
        "active": "on",
    }
    response = admin_client.post(reverse("admin:services_siteoffer_change", args=[offer.pk]), data)
    assert response.status_code == 200
    assert "is required for a home_visit offer" in response.content.decode()
    offer.refresh_from_db()
    assert offer.delivery == "on_site"
