"""Recording choices: the reach snapshot at save, form validation that keeps input, change history."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from careplans.models import AuditEvent, CarePlanChoice, ServiceUser
from careplans.services import create_service_user, record_choice, update_choice
from reach.models import ReachRun
from reach.services import create_run, execute_run
from services.models import SiteOffer
from tests.careplans.records import actor, choice_fields

pytestmark = pytest.mark.django_db


def person(users, world, locality="town"):
    return create_service_user(
        actor=actor(users["keyworker"]), keyworker=users["keyworker"], age_band="25_34", home_locality=world[locality]
    )


def test_snapshot_records_reach_without_and_with_a_car_and_the_run(world, users):
    in_town = record_choice(
        actor=actor(users["keyworker"]), service_user=person(users, world, "town"), fields=choice_fields(world["ost"])
    )
    in_village = record_choice(
        actor=actor(users["keyworker"]),
        service_user=person(users, world, "village"),
        fields=choice_fields(world["ost"]),
    )
    nowhere = record_choice(
        actor=actor(users["keyworker"]), service_user=person(users, world, "town"), fields=choice_fields(world["nsp"])
    )
    assert (in_town.preferred_reachable_without_car, in_town.preferred_reachable_with_car) == (True, True)
    assert (in_village.preferred_reachable_without_car, in_village.preferred_reachable_with_car) == (False, True)
    assert (nowhere.preferred_reachable_without_car, nowhere.preferred_reachable_with_car) == (False, False)
    assert {in_town.reach_run, in_village.reach_run, nowhere.reach_run} == {world["run"]}
    assert in_village.home_locality == world["village"]


def test_snapshot_stays_true_after_the_catalogue_and_home_change(world, users):
    service_user = person(users, world, "town")
    choice = record_choice(
        actor=actor(users["keyworker"]), service_user=service_user, fields=choice_fields(world["ost"])
    )
    SiteOffer.objects.all().delete()
    newer = execute_run(run_id=create_run().pk)
    service_user.home_locality = world["village"]
    service_user.save()
    # A correction that keeps the preferred option keeps the snapshot of the day.
    update_choice(
        actor=actor(users["keyworker"]), choice=choice, fields=choice_fields(world["ost"], joint_decision=False)
    )
    choice.refresh_from_db()
    assert choice.preferred_reachable_without_car is True and choice.reach_run == world["run"]
    assert choice.home_locality == world["town"]
    # Changing the preferred option retakes it, against the newer run, still from the home of the day.
    update_choice(actor=actor(users["keyworker"]), choice=choice, fields=choice_fields(world["nsp"]))
    choice.refresh_from_db()
    assert choice.reach_run == newer and choice.preferred_reachable_with_car is False


def test_without_any_run_reach_is_unknown(users, world):
    ReachRun.objects.all().delete()
    choice = record_choice(
        actor=actor(users["keyworker"]), service_user=person(users, world), fields=choice_fields(world["ost"])
    )
    assert choice.reach_run is None and choice.preferred_reachable_without_car is None


def test_database_refuses_a_difference_without_reason_and_a_reason_without_difference(world, users):
    su = person(users, world)
    base = dict(
        service_user=su,
        discussed_on=datetime.date(2025, 1, 1),
        review_on=datetime.date(2025, 2, 1),
        joint_decision=True,
        home_locality=world["town"],
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CarePlanChoice.objects.create(preferred_option=world["ost"], agreed_option=world["nsp"], **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        CarePlanChoice.objects.create(
            preferred_option=world["ost"], agreed_option=world["ost"], difference_reason="waiting_list", **base
        )


def test_closed_case_needs_its_date(world, users):
    su = person(users, world)
    su.status = "closed"
    with pytest.raises(IntegrityError):
        su.save()


def form_data(world, **overrides):
    data = {
        "discussed_on": "2025-03-10",
        "options_discussed": [world["nsp"].pk],
        "preferred_option": world["ost"].pk,
        "agreed_option": world["nsp"].pk,
        "joint_decision": "no",
        "difference_reason": "",
        "difference_other": "",
        "review_on": "2025-02-01",
    }
    data.update(overrides)
    return data


def test_invalid_choice_form_says_what_is_wrong_and_keeps_every_field(client, world, users):
    su = person(users, world, "village")
    client.force_login(users["keyworker"])
    url = reverse("careplans:choice_add", args=[su.pk])
    response = client.post(url, form_data(world, difference_other="kept text"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "The agreed option differs from the preferred one: say why." in html
    assert "The review date cannot be before the conversation." in html
    assert "Nothing was saved" in html
    form = response.context["form"]
    assert form["discussed_on"].value() == "2025-03-10" and form["review_on"].value() == "2025-02-01"
    assert str(form["preferred_option"].value()) == str(world["ost"].pk)
    assert form["difference_other"].value() == "kept text" and form["joint_decision"].value() == "no"
    assert [str(v) for v in form["options_discussed"].value()] == [str(world["nsp"].pk)]
    assert f'value="{world["nsp"].pk}" checked' in html.replace("\n", " ") or "checked" in html
    assert su.choices.count() == 0
    # The menu is still beside the form after the error.
    assert 'id="reachable-menu"' in html


def test_other_reason_needs_its_text_and_a_valid_choice_is_saved(client, world, users):
    su = person(users, world, "village")
    client.force_login(users["keyworker"])
    url = reverse("careplans:choice_add", args=[su.pk])
    response = client.post(url, form_data(world, difference_reason="other", review_on="2025-04-01"))
    assert "Say what the other reason is." in response.content.decode()
    response = client.post(url, form_data(world, difference_reason="not_reachable", review_on="2025-04-01"))
    assert response.status_code == 302
    choice = su.choices.get()
    assert choice.preferred_reachable_without_car is False and choice.preferred_reachable_with_car is True
    assert set(choice.options_discussed.values_list("code", flat=True)) == {"OST", "NSP"}
    assert choice.recorded_by == users["keyworker"] and choice.joint_decision is False


def test_choice_page_shows_the_reachable_menu_option_by_option(client, world, users):
    su = person(users, world, "town")
    client.force_login(users["keyworker"])
    html = client.get(reverse("careplans:choice_add", args=[su.pk])).content.decode()
    assert "What is on offer from Town" in html
    assert "Town clinic" in html and "wait 1.5 wk" in html
    assert "1 of 2 options reachable without a car, 1 with one" in html
    # what the minutes rest on: this run is crow-fly, so the page says they are estimates
    assert (
        "Travel times: crow-fly estimates (walking 4.8 km/h, public transport 20 km/h +10 min, car 40 km/h +5 min, "
        "cycling 15 km/h; detour × 1.3)" in html
    )


def test_add_service_user_form_keeps_input_and_generates_a_reference(client, world, users):
    client.force_login(users["keyworker"])
    url = reverse("careplans:service_user_add")
    response = client.post(url, {"age_band": "45_54", "home_locality": ""})
    assert "Choose the locality the person lives in" in response.content.decode()
    assert response.context["form"]["age_band"].value() == "45_54"
    assert ServiceUser.objects.count() == 0
    response = client.post(url, {"age_band": "45_54", "home_locality": world["village"].pk})
    su = ServiceUser.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("careplans:service_user", args=[su.pk])
    assert su.keyworker == users["keyworker"] and su.reference.startswith("SU-") and len(su.reference) == 12


def test_closing_a_case_needs_a_date_and_history_records_the_change(client, world, users):
    su = person(users, world)
    client.force_login(users["keyworker"])
    url = reverse("careplans:service_user_edit", args=[su.pk])
    data = {"age_band": "25_34", "home_locality": world["town"].pk, "status": "closed", "closed_on": ""}
    assert "Give the date the case closed." in client.post(url, data).content.decode()
    client.post(url, {**data, "closed_on": "2025-01-31"})
    su.refresh_from_db()
    assert su.status == "closed" and su.closed_on == datetime.date(2025, 1, 31)
    latest = su.history.first()
    assert latest.history_user == users["keyworker"] and latest.history_type == "~"
    page = client.get(reverse("careplans:service_user", args=[su.pk])).content.decode()
    assert "closed_on" in page and "status" in page


def test_the_services_refuse_a_choice_that_breaks_a_rule_and_write_nothing(world, users):
    kw = users["keyworker"]
    person = create_service_user(actor=actor(kw), keyworker=kw, age_band="25_34", home_locality=world["town"])
    audited = AuditEvent.objects.count()
    no_reason = choice_fields(world["ost"], world["nsp"], difference_reason="")
    with pytest.raises(ValidationError) as refused:
        record_choice(actor=actor(kw), service_user=person, fields=no_reason)
    assert refused.value.message_dict == {
        "difference_reason": ["The agreed option differs from the preferred one: say why."]
    }
    assert CarePlanChoice.objects.count() == 0 and AuditEvent.objects.count() == audited

    choice = record_choice(actor=actor(kw), service_user=person, fields=choice_fields(world["ost"]))
    backwards = choice_fields(world["ost"], review_on=datetime.date(2025, 1, 1))
    with pytest.raises(ValidationError, match="The review date cannot be before the conversation."):
        update_choice(actor=actor(kw), choice=choice, fields=backwards)
    choice.refresh_from_db()
    assert choice.review_on == datetime.date(2025, 4, 21)
