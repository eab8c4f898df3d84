"""The person's own record through the API: needs (with history), reviews and the personal menu.

Who may do what (anonymous, the person's keyworker, a keyworker of their team, any other keyworker,
commissioner, admin), the audit rows every read and write leaves, and that the API refuses for the same
rules with the same messages as the pages."""

import datetime

import pytest

from accounts.roles import KEYWORKER
from accounts.services import ensure_user
from careplans.models import AuditEvent, Review, ServiceUser
from careplans.rules import needs_problems, review_problems
from careplans.services import Needs, record_review, update_needs
from tests.api.clients import token_client
from tests.careplans.records import PASSWORD, actor

pytestmark = pytest.mark.django_db

BASE = "/api/v1"
WHO = [None, "keyworker", "team_keyworker", "other_keyworker", "commissioner", "admin"]
# Expected status for each of WHO, reading and writing the keyworker's own person (in a shared team).
READ = (401, 200, 200, 404, 403, 403)
CREATE = (401, 201, 201, 404, 403, 403)


@pytest.fixture
def person(caseloads, team, users):
    """The keyworker's person, shared with the team (the other keyworker is in it), with one review."""
    mine = caseloads["mine"]
    mine.team = team
    mine.save()
    review = record_review(
        actor=actor(users["keyworker"]),
        service_user=mine,
        outcomes={"reviewed_on": datetime.date(2025, 3, 10), "goal_1": "Stay off heroin", "goal_1_score": 3},
    )
    return {"person": mine, "review": review}


@pytest.fixture
def clients(users):
    outsider = ensure_user(username="kw3", password=PASSWORD, role=KEYWORKER)
    who = {
        "keyworker": users["keyworker"],
        "team_keyworker": users["other_keyworker"],
        "other_keyworker": outsider,
        "commissioner": users["commissioner"],
        "admin": users["admin"],
    }
    return lambda name: token_client(who[name] if name else None)


def requests(person):
    pk, review = person["person"].pk, person["review"].pk
    base = f"{BASE}/service-users/{pk}"
    return {
        "needs": ("get", f"{base}/needs/", None, READ),
        "replace_needs": ("put", f"{base}/needs/", {"travel_access": "no_car"}, READ),
        "change_needs": ("patch", f"{base}/needs/", {"can_attend": ["weekend"]}, READ),
        "needs_history": ("get", f"{base}/needs/history/", None, READ),
        "personal_menu": ("get", f"{base}/personal-menu/", None, READ),
        "reviews": ("get", f"{base}/reviews/", None, READ),
        "record_review": ("post", f"{base}/reviews/", {"reviewed_on": "2025-05-01", "quality_of_life": 12}, CREATE),
        "review": ("get", f"{base}/reviews/{review}/", None, READ),
    }


def state():
    return (
        list(ServiceUser.objects.order_by("pk").values()),
        list(Review.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize(
    "name",
    ["needs", "replace_needs", "change_needs", "needs_history", "personal_menu", "reviews", "record_review", "review"],
)
@pytest.mark.parametrize("who", range(len(WHO)), ids=[w or "anonymous" for w in WHO])
def test_role_endpoint_matrix(clients, person, name, who):
    method, url, body, expected = requests(person)[name]
    before = state()
    response = getattr(clients(WHO[who]), method)(url, body, format="json")
    assert response.status_code == expected[who], response.content
    if expected[who] >= 400:
        assert response.json()["status"] == expected[who] and response.json()["fields"] == {}
        assert state() == before


def test_reviews_cannot_be_changed_or_deleted_through_the_api(clients, person):
    url = f"{BASE}/service-users/{person['person'].pk}/reviews/{person['review'].pk}/"
    for method in ("put", "patch", "delete"):
        assert getattr(clients("keyworker"), method)(url, {"quality_of_life": 1}, format="json").status_code == 405
    assert Review.objects.get().quality_of_life is None


def test_a_review_is_found_only_under_its_own_person(clients, person, caseloads, users):
    theirs = caseloads["theirs"]
    other_review = record_review(
        actor=actor(users["other_keyworker"]), service_user=theirs, outcomes={"reviewed_on": datetime.date(2025, 1, 2)}
    )
    mine = person["person"].pk
    assert clients("keyworker").get(f"{BASE}/service-users/{mine}/reviews/{other_review.pk}/").status_code == 404
    assert clients("keyworker").get(f"{BASE}/service-users/{theirs.pk}/reviews/").status_code == 404
    listed = clients("keyworker").get(f"{BASE}/service-users/{mine}/reviews/").json()["results"]
    assert [row["id"] for row in listed] == [person["review"].pk]


def audit_rows(since: int) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(pk__gt=since)
        .order_by("pk")
        .values_list("username", "action", "kind", "object_id", "reference", "path")
    )


def last_audit() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.mark.parametrize(
    ("name", "action", "kind"),
    [
        ("needs", "view", "service_user"),
        ("replace_needs", "change", "service_user"),
        ("change_needs", "change", "service_user"),
        ("needs_history", "view", "service_user"),
        ("personal_menu", "view", "service_user"),
        ("reviews", "list", "review"),
        ("record_review", "create", "review"),
        ("review", "view", "review"),
    ],
)
@pytest.mark.parametrize("who", ["keyworker", "team_keyworker"])
def test_every_read_and_write_leaves_one_audit_row(clients, person, name, action, kind, who):
    method, url, body, _ = requests(person)[name]
    since = last_audit()
    response = getattr(clients(who), method)(url, body, format="json")
    assert response.status_code < 300
    username = {"keyworker": "kw", "team_keyworker": "kw2"}[who]
    person_ref = person["person"].reference
    object_id = (
        person["person"].pk
        if kind == "service_user"
        else response.json()["id"]
        if name != "reviews"
        else person["review"].pk
    )
    assert audit_rows(since) == [(username, action, kind, object_id, person_ref, url)]


def put_needs(clients, person, body):
    return clients("keyworker").put(f"{BASE}/service-users/{person['person'].pk}/needs/", body, format="json")


@pytest.mark.parametrize(
    "body",
    [
        {"travel_access": "bike"},
        {"longest_journey_minutes": 500},
        {"longest_journey_minutes": 2},
        {"can_attend": ["weekday_evening", "night"]},
        {"worker_gender": "any"},
        {"interpreter_language": "klingon"},
    ],
)
def test_needs_are_refused_for_the_pages_rules_with_their_messages(clients, person, body):
    before = state()
    response = put_needs(clients, person, body)
    assert response.status_code == 400
    expected = needs_problems(body)
    assert expected, "the case must break a rule"
    assert response.json()["fields"] == {field: [message] for field, message in expected.items()}
    assert state() == before


def test_needs_round_trip_and_patch_keeps_what_is_not_sent(clients, person):
    body = {
        "travel_access": "no_car",
        "walking_limited": True,
        "longest_journey_minutes": 45,
        "can_attend": ["weekend", "weekday_evening"],
        "accepts_remote": False,
        "accepts_home_visits": None,
        "accepts_groups": True,
        "worker_gender": "female",
        "needs_childcare": True,
        "interpreter_language": "pl",
    }
    response = put_needs(clients, person, body)
    assert response.status_code == 200, response.content
    # Sessions come back in the order the sessions are listed, once each (as update_needs keeps them).
    assert response.json() == {**body, "can_attend": ["weekday_evening", "weekend"]}
    url = f"{BASE}/service-users/{person['person'].pk}/needs/"
    patched = clients("keyworker").patch(url, {"travel_access": "lifts"}, format="json").json()
    assert patched == {**body, "can_attend": ["weekday_evening", "weekend"], "travel_access": "lifts"}
    # A PATCH judges the needs as they would be saved: a bad value sent alone is still refused.
    refused = clients("keyworker").patch(url, {"longest_journey_minutes": 241}, format="json")
    assert refused.status_code == 400 and set(refused.json()["fields"]) == {"longest_journey_minutes"}
    # A PUT sets every need: what is left out becomes "not asked".
    assert put_needs(clients, person, {"travel_access": "car"}).json() == {
        **{name: None for name in body},
        "travel_access": "car",
        "can_attend": [],
        "worker_gender": "",
        "interpreter_language": "",
    }
    stored = ServiceUser.objects.get(pk=person["person"].pk)
    assert (stored.travel_access, stored.longest_journey_minutes, stored.can_attend) == ("car", None, [])


def test_needs_history_lists_each_version_newest_first(clients, person, users):
    mine = person["person"]
    update_needs(actor=actor(users["keyworker"]), service_user=mine, needs=Needs(travel_access="no_car"))
    mine.refresh_from_db()
    update_needs(
        actor=actor(users["other_keyworker"]),
        service_user=mine,
        needs=Needs(travel_access="lifts", can_attend=["weekend"]),
    )
    history = clients("keyworker").get(f"{BASE}/service-users/{mine.pk}/needs/history/").json()
    assert [(v["by"], v["changed"]) for v in history] == [
        ("kw2", ["travel_access", "can_attend"]),
        ("kw", ["travel_access"]),
        ("kw", []),  # the record's creation, with nothing asked yet
    ]
    assert history[0]["needs"]["travel_access"] == "lifts" and history[0]["needs"]["can_attend"] == ["weekend"]
    assert history[1]["needs"]["travel_access"] == "no_car" and history[2]["needs"]["travel_access"] == ""
    assert history[0]["at"] > history[1]["at"] > history[2]["at"]


@pytest.mark.parametrize(
    "body",
    [
        {"reviewed_on": "2999-01-01"},
        {"reviewed_on": "2025-01-01", "goal_1_score": 11},
        {"reviewed_on": "2025-01-01", "goal_2_score": 4},
        {"reviewed_on": "2025-01-01", "psychological_health": 21},
        {"reviewed_on": "2025-01-01", "quality_of_life": -1},
        {"reviewed_on": "2025-01-01", "days_of_use": 29},
    ],
)
def test_reviews_are_refused_for_the_pages_rules_with_their_messages(clients, person, body):
    before = state()
    response = clients("keyworker").post(f"{BASE}/service-users/{person['person'].pk}/reviews/", body, format="json")
    assert response.status_code == 400
    entered = {**body, "reviewed_on": datetime.date.fromisoformat(body["reviewed_on"])}
    expected = review_problems(entered)
    assert expected and response.json()["fields"] == {field: [message] for field, message in expected.items()}
    assert state() == before


def test_a_review_recorded_through_the_api_is_the_one_the_page_shows(clients, person):
    body = {
        "reviewed_on": "2025-05-01",
        "goal_1": "  Have the kids at weekends  ",
        "goal_1_score": 6,
        "psychological_health": 12,
        "physical_health": 9,
        "quality_of_life": 14,
        "days_of_use": 3,
    }
    mine = person["person"]
    response = clients("keyworker").post(f"{BASE}/service-users/{mine.pk}/reviews/", body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert response["Location"].endswith(f"/api/v1/service-users/{mine.pk}/reviews/{created['id']}/")
    assert created["goal_1"] == "Have the kids at weekends" and created["recorded_by"] == "kw"
    review = Review.objects.get(pk=created["id"])
    assert (review.service_user_id, review.quality_of_life, review.days_of_use) == (mine.pk, 14, 3)
    listed = clients("keyworker").get(f"{BASE}/service-users/{mine.pk}/reviews/").json()["results"]
    assert [row["reviewed_on"] for row in listed] == ["2025-03-10", "2025-05-01"]  # oldest first, as the chart


def test_personal_menu_gives_each_option_its_reason_and_what_would_change(clients, person, village_day_clinic):
    mine = person["person"]  # in the village, 11 km from the only methadone clinic
    needs = {"travel_access": "no_car", "can_attend": ["weekday_evening"], "longest_journey_minutes": 40}
    assert put_needs(clients, person, needs).status_code == 200
    menu = clients("keyworker").get(f"{BASE}/service-users/{mine.pk}/personal-menu/").json()
    assert (menu["service_user"], menu["home_locality"], menu["home_locality_name"]) == (mine.pk, "VILL", "Village")
    rows = {row["option"]: row for row in menu["options"]}
    assert set(rows) == {"OST", "NSP", "PSY"}
    assert rows["OST"]["reason"] == "too_far" and rows["OST"]["nearest_mode"] == "pt"
    assert rows["OST"]["text"] == "Too far by the ways they can travel: nearest 53 min by public transport"
    assert rows["OST"]["providers"] == 0 and round(rows["OST"]["nearest_minutes"]) == 53
    assert rows["NSP"]["reason"] == "no_provider" and rows["NSP"]["nearest_minutes"] is None
    # Open only by day in the village hall: near enough, but not when they can come.
    assert rows["PSY"]["reason"] == "not_open_when_available" and rows["PSY"]["text"] == "Not open when they can attend"
    assert menu["count_reachable"] == 0
    assert menu["what_would_change"] == [
        {"change": "with lifts", "options": [{"code": "OST", "name": "Opioid substitution"}]}
    ]
    # The same person free on weekday mornings can go to the hall, on foot.
    clients("keyworker").patch(
        f"{BASE}/service-users/{mine.pk}/needs/", {"can_attend": ["weekday_morning"]}, format="json"
    )
    menu = clients("keyworker").get(f"{BASE}/service-users/{mine.pk}/personal-menu/").json()
    psy = next(row for row in menu["options"] if row["option"] == "PSY")
    assert (psy["reason"], psy["providers"], menu["count_reachable"]) == ("reachable", 1, 1)
    assert {change["change"] for change in menu["what_would_change"]} == {"with lifts", "with evenings"}
