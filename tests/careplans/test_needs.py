"""A person's needs and constraints: optional, validated by careplans/rules.py at every door, kept in
history, audited, and refused whole when any rule is broken."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from careplans.models import AuditEvent, ServiceUser
from careplans.rules import needs_problems
from careplans.services import Needs, create_service_user, update_needs
from tests.careplans.records import actor

pytestmark = pytest.mark.django_db

FILLED = {
    "travel_access": "no_car",
    "walking_limited": "yes",
    "longest_journey_minutes": "40",
    "can_attend": ["weekday_evening", "weekend"],
    "accepts_remote": "no",
    "accepts_home_visits": "yes",
    "accepts_groups": "",
    "worker_gender": "female",
    "needs_childcare": "yes",
    "interpreter_language": "pl",
}


@pytest.fixture
def person(world, users):
    kw = users["keyworker"]
    return create_service_user(actor=actor(kw), keyworker=kw, age_band="25_34", home_locality=world["town"])


def test_a_new_person_has_nothing_recorded_and_nothing_ruled_out(person):
    assert (person.travel_access, person.walking_limited, person.longest_journey_minutes) == ("", None, None)
    assert person.can_attend == [] and person.accepts_groups is None and person.interpreter_language == ""


@pytest.mark.parametrize(
    "entered, field, words",
    [
        ({"longest_journey_minutes": 2}, "longest_journey_minutes", "between 5 and 240"),
        ({"longest_journey_minutes": 600}, "longest_journey_minutes", "between 5 and 240"),
        ({"travel_access": "bicycle"}, "travel_access", "'bicycle'"),
        ({"can_attend": ["weekday_morning", "night"]}, "can_attend", "'night'"),
        ({"worker_gender": "any"}, "worker_gender", "'any'"),
        ({"interpreter_language": "xx"}, "interpreter_language", "'xx'"),
    ],
)
def test_rules_name_the_field_and_why(entered, field, words):
    problems = needs_problems(entered)
    assert list(problems) == [field] and words in problems[field]


def test_rules_accept_empty_and_good_needs():
    assert needs_problems({}) == {}
    assert needs_problems({"longest_journey_minutes": 5, "can_attend": ["weekend"], "interpreter_language": "ur"}) == {}


def test_the_service_refuses_broken_needs_and_writes_nothing(person, users):
    audited, versions = AuditEvent.objects.count(), person.history.count()
    with pytest.raises(ValidationError) as refused:
        update_needs(
            actor=actor(users["keyworker"]),
            service_user=person,
            needs=Needs(longest_journey_minutes=999, travel_access="car"),
        )
    assert list(refused.value.message_dict) == ["longest_journey_minutes"]
    person.refresh_from_db()
    assert person.travel_access == "" and person.longest_journey_minutes is None
    assert AuditEvent.objects.count() == audited and person.history.count() == versions


def test_the_database_refuses_what_the_rules_refuse(person):
    for field, value in [
        ("longest_journey_minutes", 1),
        ("travel_access", "bike"),
        ("worker_gender", "x"),
        ("can_attend", ["nights"]),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            ServiceUser.objects.filter(pk=person.pk).update(**{field: value})


def test_the_keyworker_records_needs_on_the_page_with_history_and_audit(client, person, users):
    client.force_login(users["keyworker"])
    url = reverse("careplans:needs_edit", args=[person.pk])
    AuditEvent.objects.all().delete()
    page = client.get(url).content.decode()
    assert "Needs and constraints of " + person.reference in page
    response = client.post(url, FILLED)
    assert response.status_code == 302 and response["Location"] == reverse("careplans:service_user", args=[person.pk])
    person.refresh_from_db()
    assert person.travel_access == "no_car" and person.walking_limited is True
    assert person.longest_journey_minutes == 40 and person.can_attend == ["weekday_evening", "weekend"]
    assert (person.accepts_remote, person.accepts_home_visits, person.accepts_groups) == (False, True, None)
    assert (person.worker_gender, person.needs_childcare, person.interpreter_language) == ("female", True, "pl")
    latest = person.history.first()
    assert latest.history_user == users["keyworker"] and latest.history_type == "~"
    events = list(AuditEvent.objects.values_list("username", "action", "kind", "object_id"))
    assert ("kw", "view", "service_user", person.pk) in events
    assert ("kw", "change", "service_user", person.pk) in events
    shown = client.get(reverse("careplans:service_user", args=[person.pk])).content.decode()
    assert "Weekday evenings, Weekends" in shown and "Polish" in shown and "at most 40 minutes" in shown
    assert "travel_access" in shown  # the record history names the changed fields
    # The form shows what is stored, so saving it again changes nothing.
    again = client.get(url)
    assert again.context["form"]["walking_limited"].value() == "yes"
    assert again.context["form"]["accepts_groups"].value() == ""
    versions = person.history.count()
    client.post(url, {name: again.context["form"][name].value() for name in FILLED})
    person.refresh_from_db()
    assert (
        person.history.count() == versions + 1
        and person.history.first().diff_against(person.history.all()[1]).changes == []
    )


def test_a_refused_form_keeps_what_was_typed_and_saves_nothing(client, person, users):
    client.force_login(users["keyworker"])
    url = reverse("careplans:needs_edit", args=[person.pk])
    response = client.post(url, {**FILLED, "longest_journey_minutes": "500"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "between 5 and 240 minutes" in page and "Nothing was saved" in page
    assert response.context["form"]["interpreter_language"].value() == "pl"
    person.refresh_from_db()
    assert person.travel_access == "" and person.longest_journey_minutes is None


def test_another_keyworkers_person_is_not_found(client, person, users):
    client.force_login(users["other_keyworker"])
    assert client.post(reverse("careplans:needs_edit", args=[person.pk]), FILLED).status_code == 404
    person.refresh_from_db()
    assert person.travel_access == ""
