"""The person's own menu on the keyworker's page and in the choice snapshot, from real catalogue rows.

The town has an opioid substitution (OST) clinic; the village is 11 km away with nothing; nobody offers
needle exchange (NSP). Crow-fly on the default profile: by bus 11 km × 1.3 ÷ 20 km/h + 10 min ≈ 53 min
(over 45); by car 11 km × 1.3 ÷ 40 km/h + 5 min ≈ 26 min (within 30).
"""

import pytest
from django.urls import reverse

from careplans.selectors import personal_menu
from careplans.services import Needs, create_service_user, record_choice, update_needs
from services.models import SiteOffer
from tests.careplans.records import actor, choice_fields
from tests.factories import MenuOptionFactory

pytestmark = pytest.mark.django_db


def someone(world, users, *, home="village", age_band="25_34", **needs):
    kw = users["keyworker"]
    person = create_service_user(actor=actor(kw), keyworker=kw, age_band=age_band, home_locality=world[home])
    if needs:
        update_needs(actor=actor(kw), service_user=person, needs=Needs(**needs))
    return person


def reasons(person):
    return {row.option.code: row.reason for row in personal_menu(service_user=person).rows}


def test_no_car_in_the_village_too_far_with_the_nearest_time_and_lifts_would_change_it(world, users):
    person = someone(world, users, travel_access="no_car")
    menu = personal_menu(service_user=person)
    ost, nsp = (next(r for r in menu.rows if r.option.code == code) for code in ("OST", "NSP"))
    assert (ost.reason, ost.nearest_mode, round(ost.nearest_minutes)) == ("too_far", "pt", 53)
    assert ost.text == "Too far by the ways they can travel: nearest 53 min by public transport"
    assert nsp.reason == "no_provider" and nsp.providers == 0
    assert menu.changes == [("with lifts", ["Opioid substitution"])]
    # Someone with a car in the household reaches it by car; nobody was asked: nothing is ruled out.
    assert reasons(someone(world, users, travel_access="car"))["OST"] == "reachable"
    assert reasons(someone(world, users))["OST"] == "reachable"


def test_own_time_limit_age_wait_and_hours_each_give_their_reason(world, users):
    assert reasons(someone(world, users, travel_access="car", longest_journey_minutes=20))["OST"] == "too_far"
    offer = SiteOffer.objects.get()
    offer.min_age = 18
    offer.save()
    assert reasons(someone(world, users, home="town", age_band="under_18"))["OST"] == "not_eligible"
    assert reasons(someone(world, users, home="town", age_band="18_24"))["OST"] == "reachable"
    offer.waiting_weeks = 8
    offer.save()
    assert reasons(someone(world, users, home="town"))["OST"] == "wait_over_limit"
    offer.waiting_weeks = 1
    offer.opening_hours = "Mo-Fr 09:00-12:00"
    offer.save()
    evenings = someone(world, users, home="town", can_attend=["weekday_evening"])
    assert reasons(evenings)["OST"] == "not_open_when_available"
    mornings = someone(world, users, home="town", can_attend=["weekday_morning", "weekend"])
    assert reasons(mornings)["OST"] == "reachable"
    offer.delivery = "remote"
    offer.save()
    assert reasons(someone(world, users, home="town", accepts_remote=False))["OST"] == "format_not_acceptable"


def test_the_choice_keeps_the_personal_menu_of_the_day(world, users):
    person = someone(world, users, travel_access="no_car")
    choice = record_choice(
        actor=actor(users["keyworker"]), service_user=person, fields=choice_fields(world["ost"], world["ost"])
    )
    saved = {row["option"]: row for row in choice.personal_menu}
    assert saved["OST"]["reason"] == "too_far" and saved["OST"]["nearest_mode"] == "pt"
    assert saved["NSP"] == {
        "option": "NSP",
        "reason": "no_provider",
        "providers": 0,
        "nearest_minutes": None,
        "nearest_mode": "",
    }
    # Later the person gets lifts: today's menu changes, the saved one does not.
    update_needs(actor=actor(users["keyworker"]), service_user=person, needs=Needs(travel_access="lifts"))
    assert reasons(person)["OST"] == "reachable"
    choice.refresh_from_db()
    assert {row["option"]: row["reason"] for row in choice.personal_menu}["OST"] == "too_far"


def test_the_keyworker_sees_the_reasons_next_to_the_form_with_names_escaped(client, world, users):
    MenuOptionFactory(code="X", name="<img src=x onerror=alert(1)>", display_order=3)
    person = someone(world, users, travel_access="no_car", walking_limited=True)
    client.force_login(users["keyworker"])
    page = client.get(reverse("careplans:choice_add", args=[person.pk])).content.decode()
    assert 'data-option="OST" data-reason="too_far"' in page
    assert "nearest 53 min by public transport" in page
    assert "With lifts: Opioid substitution would come within reach" in page
    assert "If walking were not limited: no option would come within reach" in page
    travel = page[page.index('id="personal-travel"') :][:300]
    assert "Travel times: crow-fly estimates (walking 4.8 km/h" in travel, travel  # the reference run's own source
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_personal_menu_reads_the_facts(world, users):
    kw = users["keyworker"]
    person = create_service_user(actor=actor(kw), keyworker=kw, age_band="25_34", home_locality=world["town"])
    offer = SiteOffer.objects.get()

    def ost_reason(**needs):
        update_needs(actor=actor(kw), service_user=person, needs=Needs(**needs))
        return next(r.reason for r in personal_menu(service_user=person).rows if r.option.code == "OST")

    offer.session_format, offer.worker_genders, offer.creche, offer.languages = "group", ["male"], False, ["en"]
    offer.save()
    assert ost_reason() == "reachable"
    assert ost_reason(accepts_groups=False) == "format_not_acceptable"
    assert ost_reason(worker_gender="female") == "format_not_acceptable"
    assert ost_reason(needs_childcare=True) == "format_not_acceptable"
    assert ost_reason(interpreter_language="pl") == "format_not_acceptable"
    offer.session_format, offer.worker_genders, offer.creche, offer.languages = "both", ["male", "female"], True, []
    offer.save()
    assert ost_reason(accepts_groups=False, worker_gender="female", needs_childcare=True) == "reachable"
    assert ost_reason(interpreter_language="pl") == "reachable"  # no languages recorded: not ruled out
