import json
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from areas.models import Locality
from careplans.models import CarePlanChoice, Review, ServiceUser, Team, TravelAccess
from careplans.selectors import latest_publication
from careplans.unmet import ALL, OTHER, unmet_of
from demo.careplans import DEMO_PEOPLE, DEMO_PLACES
from demo.services import DEMO_DIR
from services.models import Delivery, MenuOption, Provider, Site, SiteOffer

pytestmark = pytest.mark.django_db


def counts():
    return {model.__name__: model.objects.count() for model in (Locality, MenuOption, Provider, Site, SiteOffer)}


def test_load_demo_twice_gives_the_same_data_and_prints_logins(capsys):
    call_command("load_demo")
    first = counts()
    call_command("load_demo")
    assert counts() == first
    out = capsys.readouterr().out
    assert "commissioner / choicemap-demo / commissioner" in out


def test_demo_matches_the_brief():
    call_command("load_demo")
    c = counts()
    assert 60 <= c["Locality"] <= 150
    assert c["MenuOption"] >= 10
    assert 4 <= c["Provider"] <= 6
    assert 20 <= c["Site"] <= 40
    deliveries = set(SiteOffer.objects.values_list("delivery", flat=True))
    assert deliveries == set(Delivery.values)
    # Dense on the coast: Bournemouth, Poole and Weymouth hold more sites than the whole north and west.
    points = [site.location for site in Site.objects.all()]
    coastal = sum(1 for p in points if p.y < 50.75 and p.x > -2.5)
    north_and_west = sum(1 for p in points if p.y > 50.85 or p.x < -2.6)
    assert coastal > 2 * north_and_west
    for locality in Locality.objects.all():
        assert locality.geometry.valid and locality.geometry_simplified is not None
        assert locality.rurality and locality.imd_decile and locality.car_share is not None
    # Localities tile the county: no two overlap by more than rounding.
    assert not Locality.objects.extra(
        where=[
            "EXISTS (SELECT 1 FROM areas_locality o WHERE o.id <> areas_locality.id "
            "AND ST_Area(ST_Intersection(o.geometry, areas_locality.geometry)) > 1e-8)"
        ]
    ).exists()


def test_demo_users_can_sign_in_with_their_roles(rf):
    call_command("load_demo", password="another-demo-pass")
    request = rf.post("/accounts/login/")  # django-axes checks every sign-in against its request
    for username, role in (
        ("admin", "admin"),
        ("commissioner", "commissioner"),
        ("keyworker", "keyworker"),
        ("keyworker2", "keyworker"),
    ):
        user = authenticate(request, username=username, password="another-demo-pass")
        assert user is not None and user.groups.filter(name=role).exists()
    assert authenticate(request, username="admin", password="another-demo-pass").is_staff


def test_demo_care_plans_are_synthetic_idempotent_and_snapshotted():
    call_command("load_demo")
    first = (ServiceUser.objects.count(), CarePlanChoice.objects.count())
    call_command("load_demo")
    assert (ServiceUser.objects.count(), CarePlanChoice.objects.count()) == first
    assert first[0] >= 10 and first[1] >= first[0]
    assert all(ref.startswith("DEMO-") for ref in ServiceUser.objects.values_list("reference", flat=True))
    assert set(ServiceUser.objects.values_list("keyworker__username", flat=True)) == {"keyworker", "keyworker2"}
    assert Team.objects.get().members.count() == 2
    assert not CarePlanChoice.objects.filter(reach_run__isnull=True).exists()
    assert CarePlanChoice.objects.filter(preferred_reachable_without_car=False).exists()
    # Every choice keeps the person's own menu with reasons.
    assert not CarePlanChoice.objects.filter(personal_menu__isnull=True).exists()
    reasons = {row["reason"] for choice in CarePlanChoice.objects.all() for row in choice.personal_menu}
    assert {"reachable", "too_far"} <= reasons


def test_demo_people_live_in_a_few_places_with_needs_reviews_and_published_figures():
    call_command("load_demo")
    people = ServiceUser.objects.count()
    assert people == DEMO_PEOPLE
    # Concentrated: the named towns and villages hold most people, and the unmet publication shows each of
    # them on its own (8 to 12 people or more), with figures, while the rest stay pooled as OTHER.
    homes = Counter(ServiceUser.objects.values_list("home_locality__name", flat=True))
    assert all(homes[name] == count for name, count in DEMO_PLACES.items())
    publication = unmet_of(latest_publication())
    shown = {name for code, name in publication.localities if code != OTHER}
    assert set(DEMO_PLACES) <= shown
    # Disclosure control may hide some totals of a place (secondary suppression), never all of them.
    with_figures = [
        name
        for code, name in publication.localities
        if name in DEMO_PLACES and any(value for value in publication.cell(code, ALL).values())
    ]
    assert len(with_figures) >= len(DEMO_PLACES) - 1, with_figures
    # Everyone has needs, in a realistic mix.
    assert not ServiceUser.objects.filter(travel_access="").exists()
    travel = Counter(ServiceUser.objects.values_list("travel_access", flat=True))
    assert set(travel) == set(TravelAccess.values) and travel["no_car"] > travel["car"]
    assert ServiceUser.objects.filter(can_attend=["weekday_evening"]).count() >= 5
    assert ServiceUser.objects.exclude(interpreter_language="").exists()
    # Everyone has two or three reviews, and outcomes move both ways over time.
    per_person = Counter(Review.objects.values_list("service_user_id", flat=True))
    assert len(per_person) == people and set(per_person.values()) <= {2, 3}
    change = {}
    for review in Review.objects.order_by("reviewed_on", "id"):
        first = change.setdefault(review.service_user_id, [review.quality_of_life, review.quality_of_life])
        first[1] = review.quality_of_life
    assert any(last > first for first, last in change.values()) and any(last < first for first, last in change.values())
    assert not Review.objects.filter(reviewed_on__gt=timezone.localdate()).exists()
    assert not Review.objects.filter(goal_1="").exists()
    # The conversations follow each person's own menu: an option out of their reach is mostly not agreed.
    assert CarePlanChoice.objects.filter(difference_reason="not_reachable").exists()
    for choice in CarePlanChoice.objects.filter(difference_reason="not_reachable").select_related("preferred_option"):
        reason = {row["option"]: row["reason"] for row in choice.personal_menu}[choice.preferred_option.code]
        assert reason != "reachable", choice


def test_demo_files_are_valid_geojson_with_the_contract_properties():
    collection = json.loads((DEMO_DIR / "localities.geojson").read_text())
    keys = set(collection["features"][0]["properties"])
    assert {
        "code",
        "name",
        "population",
        "rurality",
        "imd_decile",
        "car_share",
        "origin_lat",
        "origin_lon",
        "la_code",
        "la_name",
    } <= keys
