"""Care plans and unmet preference through the REST API: who may do what, audit, snapshot, validation, disclosure."""

import csv
import io

import pytest
import yaml

from careplans.models import AuditEvent, CarePlanChoice, ServiceUser
from careplans.unmet import ALL, MEASURES, publication_json, publication_meta, unmet_of, write_unmet_csv
from tests.api.clients import token_client
from tests.careplans.records import people
from tests.careplans.test_unmet import published
from tests.factories import MenuOptionFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1"
WHO = [None, "keyworker", "other_keyworker", "commissioner", "admin"]


@pytest.fixture
def api(users):
    """api(who) → a client sending that user's token; api(None) → anonymous."""
    return lambda who: token_client(users[who] if who else None)


def choice_body(**changes):
    body = {
        "discussed_on": "2025-03-10",
        "options_discussed": ["NSP"],
        "preferred_option": "OST",
        "agreed_option": "OST",
        "joint_decision": True,
        "review_on": "2025-04-21",
    }
    return {**body, **changes}


def requests(caseloads):
    """name → (method, url, body): every new endpoint, aimed at the keyworker's own records."""
    mine, choice = caseloads["mine"], caseloads["my_choice"]
    person, choices = f"{BASE}/service-users/{mine.pk}/", f"{BASE}/service-users/{mine.pk}/choices/"
    return {
        "caseload": ("get", f"{BASE}/service-users/", None),
        "add": ("post", f"{BASE}/service-users/", {"age_band": "18_24", "home_locality": "TOWN"}),
        "person": ("get", person, None),
        "change": ("patch", person, {"age_band": "45_54"}),
        "replace": ("put", person, {"age_band": "45_54", "home_locality": "TOWN", "status": "active"}),
        "choices": ("get", choices, None),
        "record": ("post", choices, choice_body()),
        "choice": ("get", f"{choices}{choice.pk}/", None),
        "correct": ("patch", f"{choices}{choice.pk}/", {"review_on": "2025-05-05"}),
        "replace_choice": ("put", f"{choices}{choice.pk}/", choice_body(review_on="2025-05-06")),
        "unmet": ("get", f"{BASE}/unmet-preference/", None),
        "unmet_csv": ("get", f"{BASE}/unmet-preference/?format=csv", None),
    }


# Expected status for: anonymous, keyworker (owner), other keyworker, commissioner, admin.
MATRIX = {
    "caseload": (401, 200, 200, 403, 403),
    "add": (401, 201, 201, 403, 403),
    "person": (401, 200, 404, 403, 403),
    "change": (401, 200, 404, 403, 403),
    "replace": (401, 200, 404, 403, 403),
    "choices": (401, 200, 404, 403, 403),
    "record": (401, 201, 404, 403, 403),
    "choice": (401, 200, 404, 403, 403),
    "correct": (401, 200, 404, 403, 403),
    "replace_choice": (401, 200, 404, 403, 403),
    "unmet": (401, 403, 403, 200, 200),
    "unmet_csv": (401, 403, 403, 200, 200),
}


def state():
    """Everything a refused request must leave as it was."""
    return (
        list(ServiceUser.objects.order_by("pk").values()),
        list(CarePlanChoice.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("who", range(len(WHO)), ids=[w or "anonymous" for w in WHO])
def test_role_endpoint_matrix(api, caseloads, published_unmet, name, who):
    method, url, body = requests(caseloads)[name]
    before = state()
    response = getattr(api(WHO[who]), method)(url, body, format="json")
    expected = MATRIX[name][who]
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response.json()["status"] == expected and response.json()["fields"] == {}
        assert state() == before


def test_care_records_cannot_be_deleted_through_the_api(api, caseloads):
    mine = caseloads["mine"]
    for url in (
        f"{BASE}/service-users/{mine.pk}/",
        f"{BASE}/service-users/{mine.pk}/choices/{caseloads['my_choice'].pk}/",
    ):
        assert api("keyworker").delete(url).status_code == 405
    assert ServiceUser.objects.filter(pk=mine.pk).exists() and mine.choices.count() == 1


def test_guessing_ids_finds_nothing_outside_the_caseload(api, caseloads):
    client = api("keyworker")
    mine = caseloads["mine"].pk
    top = max(ServiceUser.objects.values_list("pk", flat=True)) + 3
    for pk in range(1, top):
        assert client.get(f"{BASE}/service-users/{pk}/").status_code == (200 if pk == mine else 404), pk
        assert client.get(f"{BASE}/service-users/{pk}/choices/").status_code == (200 if pk == mine else 404), pk
    my_choice, their_choice = caseloads["my_choice"].pk, caseloads["their_choice"].pk
    assert client.get(f"{BASE}/service-users/{mine}/choices/{their_choice}/").status_code == 404
    theirs = caseloads["theirs"].pk
    assert client.get(f"{BASE}/service-users/{theirs}/choices/{their_choice}/").status_code == 404
    assert client.get(f"{BASE}/service-users/{mine}/choices/{my_choice}/").status_code == 200
    # The list is the caseload and nothing else.
    listed = [row["id"] for row in client.get(f"{BASE}/service-users/").json()["results"]]
    assert listed == [mine]


def test_a_choice_is_found_only_under_its_own_service_user(api, caseloads, users, world):
    second = (
        api("keyworker")
        .post(f"{BASE}/service-users/", {"age_band": "18_24", "home_locality": "TOWN"}, format="json")
        .json()["id"]
    )
    url = f"{BASE}/service-users/{second}/choices/{caseloads['my_choice'].pk}/"
    assert api("keyworker").get(url).status_code == 404
    assert api("keyworker").patch(url, {"review_on": "2025-06-01"}, format="json").status_code == 404
    assert CarePlanChoice.objects.get(pk=caseloads["my_choice"].pk).review_on.isoformat() != "2025-06-01"


def test_team_members_share_records_and_teams_are_your_own(api, caseloads, team, users):
    mine = caseloads["mine"]
    assert api("other_keyworker").get(f"{BASE}/service-users/{mine.pk}/").status_code == 404
    assert (
        api("keyworker").patch(f"{BASE}/service-users/{mine.pk}/", {"team": team.pk}, format="json").status_code == 200
    )
    shared = api("other_keyworker").get(f"{BASE}/service-users/{mine.pk}/")
    assert shared.status_code == 200 and shared.json()["team_name"] == "North"
    team.members.remove(users["other_keyworker"])
    response = api("other_keyworker").post(
        f"{BASE}/service-users/", {"age_band": "18_24", "home_locality": "TOWN", "team": team.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"team": [f"You are not a member of a team with id {team.pk}."]}


def test_caseload_search_and_filters_as_on_the_page(api, caseloads, users, world):
    client = api("keyworker")
    closed = client.post(
        f"{BASE}/service-users/", {"age_band": "65_plus", "home_locality": "TOWN"}, format="json"
    ).json()
    client.patch(
        f"{BASE}/service-users/{closed['id']}/", {"status": "closed", "closed_on": "2025-01-31"}, format="json"
    )

    def listed(**query):
        return [row["reference"] for row in client.get(f"{BASE}/service-users/", query).json()["results"]]

    mine = caseloads["mine"].reference
    # The page's order: newest review first, and people with no review date yet before everyone.
    assert listed() == [closed["reference"], mine]
    assert listed(status="closed") == [closed["reference"]]
    assert listed(age_band="25_34") == [mine]
    assert listed(locality="vill") == [mine]
    assert listed(q=mine[-4:].lower()) == [mine]
    assert listed(review_before="2025-04-30") == [mine] and listed(review_before="2025-04-01") == []
    bad = client.get(f"{BASE}/service-users/", {"status": "asleep", "review_before": "soon"})
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"status", "review_before"}


# --- audit -----------------------------------------------------------------------------------


def rows():
    return sorted(AuditEvent.objects.values_list("username", "action", "kind", "object_id"))


def test_api_reads_are_audited_per_record_returned(api, caseloads, users):
    client = api("keyworker")
    mine, choice = caseloads["mine"], caseloads["my_choice"]
    second = client.post(
        f"{BASE}/service-users/", {"age_band": "18_24", "home_locality": "TOWN"}, format="json"
    ).json()["id"]
    AuditEvent.objects.all().delete()
    client.get(f"{BASE}/service-users/", REMOTE_ADDR="198.51.100.7")
    assert rows() == sorted([("kw", "list", "service_user", mine.pk), ("kw", "list", "service_user", second)])
    event = AuditEvent.objects.first()
    assert event.ip_address == "198.51.100.7" and event.path == f"{BASE}/service-users/"
    assert event.user == users["keyworker"] and event.reference in {
        mine.reference,
        ServiceUser.objects.get(pk=second).reference,
    }
    AuditEvent.objects.all().delete()
    client.get(f"{BASE}/service-users/", {"page_size": 1})
    assert len(rows()) == 1  # only what was returned
    AuditEvent.objects.all().delete()
    client.get(f"{BASE}/service-users/{mine.pk}/")
    assert rows() == [("kw", "view", "service_user", mine.pk)]
    AuditEvent.objects.all().delete()
    client.get(f"{BASE}/service-users/{mine.pk}/choices/")
    assert rows() == [("kw", "list", "care_plan_choice", choice.pk)]
    assert AuditEvent.objects.get().reference == mine.reference
    AuditEvent.objects.all().delete()
    client.get(f"{BASE}/service-users/{mine.pk}/choices/{choice.pk}/")
    assert rows() == [("kw", "view", "care_plan_choice", choice.pk)]


def test_refused_reads_are_not_reads(api, caseloads):
    AuditEvent.objects.all().delete()
    mine, choice = caseloads["mine"], caseloads["my_choice"]
    for url in (
        f"{BASE}/service-users/{mine.pk}/",
        f"{BASE}/service-users/{mine.pk}/choices/",
        f"{BASE}/service-users/{mine.pk}/choices/{choice.pk}/",
    ):
        assert api("other_keyworker").get(url).status_code == 404
        assert api("commissioner").get(url).status_code == 403
    assert not AuditEvent.objects.exists()


def test_api_writes_are_audited_with_who_and_where(api, caseloads, users):
    client = api("keyworker")
    AuditEvent.objects.all().delete()
    created = client.post(
        f"{BASE}/service-users/",
        {"age_band": "18_24", "home_locality": "TOWN"},
        format="json",
        REMOTE_ADDR="203.0.113.9",
    )
    person = created.json()["id"]
    client.patch(f"{BASE}/service-users/{person}/", {"age_band": "25_34"}, format="json")
    recorded = client.post(f"{BASE}/service-users/{person}/choices/", choice_body(), format="json").json()["id"]
    client.patch(f"{BASE}/service-users/{person}/choices/{recorded}/", {"joint_decision": False}, format="json")
    assert rows() == sorted(
        [
            ("kw", "create", "service_user", person),
            ("kw", "change", "service_user", person),
            ("kw", "create", "care_plan_choice", recorded),
            ("kw", "change", "care_plan_choice", recorded),
        ]
    )
    first = AuditEvent.objects.get(action="create", kind="service_user")
    assert first.ip_address == "203.0.113.9" and first.path == f"{BASE}/service-users/"
    assert first.reference == created.json()["reference"]
    assert created["Location"].endswith(f"{BASE}/service-users/{person}/")
    # The change history names the API caller, as it does for the pages.
    assert ServiceUser.objects.get(pk=person).history.first().history_user == users["keyworker"]


def test_unmet_reads_are_audited_as_aggregate(api, caseloads, published_unmet):
    AuditEvent.objects.all().delete()
    api("commissioner").get(f"{BASE}/unmet-preference/")
    api("admin").get(f"{BASE}/unmet-preference/", {"format": "csv"})
    assert rows() == [("adm", "aggregate", "care_plan_choice", None), ("com", "aggregate", "care_plan_choice", None)]


# --- writes: the snapshot and validation ---------------------------------------------------------


def test_recording_a_choice_takes_the_reach_snapshot(api, caseloads, world):
    client = api("keyworker")
    mine = caseloads["mine"]  # lives in the village: OST is reachable there with a car only
    response = client.post(
        f"{BASE}/service-users/{mine.pk}/choices/",
        choice_body(
            preferred_option="OST",
            agreed_option="NSP",
            difference_reason="other",
            difference_other="  wants a pharmacy  ",
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reach_run"] == world["run"].pk and body["home_locality"] == "VILL"
    assert (body["preferred_reachable_without_car"], body["preferred_reachable_with_car"]) == (False, True)
    assert sorted(body["options_discussed"]) == ["NSP", "OST"] and body["recorded_by"] == "kw"
    assert body["difference_other"] == "wants a pharmacy"
    stored = CarePlanChoice.objects.get(pk=body["id"])
    assert stored.reach_run == world["run"] and stored.preferred_reachable_without_car is False
    # Snapshot fields are not the caller's to set.
    forged = client.post(
        f"{BASE}/service-users/{mine.pk}/choices/",
        choice_body(preferred_reachable_without_car=True, reach_run=None),
        format="json",
    ).json()
    assert forged["preferred_reachable_without_car"] is False and forged["reach_run"] == world["run"].pk
    # A correction that changes the preferred option retakes the snapshot: NSP is offered nowhere.
    changed = client.patch(
        f"{BASE}/service-users/{mine.pk}/choices/{body['id']}/",
        {"preferred_option": "NSP", "difference_reason": "", "difference_other": ""},
        format="json",
    ).json()
    assert (changed["preferred_reachable_without_car"], changed["preferred_reachable_with_car"]) == (False, False)


def test_closing_and_reopening_a_case(api, caseloads):
    client = api("keyworker")
    url = f"{BASE}/service-users/{caseloads['mine'].pk}/"
    closed = client.patch(url, {"status": "closed", "closed_on": "2025-03-31"}, format="json")
    assert closed.status_code == 200 and (closed.json()["status"], closed.json()["closed_on"]) == (
        "closed",
        "2025-03-31",
    )
    assert closed.json()["choice_count"] == 1 and closed.json()["latest_review"] is not None
    reopened = client.patch(url, {"status": "active"}, format="json").json()
    assert (reopened["status"], reopened["closed_on"]) == ("active", None)


@pytest.mark.parametrize(
    "method,body,fields",
    [
        ("patch", {"status": "closed"}, {"closed_on": ["Give the date the case closed."]}),
        (
            "patch",
            {"status": "closed", "closed_on": "2999-01-01"},
            {"closed_on": ["The closing date cannot be in the future."]},
        ),
        ("patch", {"age_band": "ancient", "home_locality": "NOWHERE"}, {"age_band", "home_locality"}),
        ("put", {"age_band": "45_54"}, {"home_locality", "status"}),
    ],
)
def test_invalid_service_user_changes_say_which_field_and_change_nothing(api, caseloads, method, body, fields):
    before = state()
    response = getattr(api("keyworker"), method)(f"{BASE}/service-users/{caseloads['mine'].pk}/", body, format="json")
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "invalid" and error["status"] == 400
    assert (error["fields"] if isinstance(fields, dict) else set(error["fields"])) == fields
    assert state() == before


def test_invalid_new_service_user_is_refused_whole(api, caseloads):
    before = state()
    response = api("keyworker").post(
        f"{BASE}/service-users/", {"home_locality": "NOWHERE", "team": 99999}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "age_band": ["This field is required."],
        "home_locality": ["Object with code=NOWHERE does not exist."],
        "team": ["You are not a member of a team with id 99999."],
    }
    assert response.json()["message"] == "3 fields are invalid."
    assert state() == before


@pytest.mark.parametrize(
    "changes,fields",
    [
        (
            {"agreed_option": "NSP"},
            {"difference_reason": ["The agreed option differs from the preferred one: say why."]},
        ),
        (
            {"difference_reason": "waiting_list"},
            {"difference_reason": ["The agreed option is the preferred one: leave the reason empty."]},
        ),
        (
            {"agreed_option": "NSP", "difference_reason": "other"},
            {"difference_other": ["Say what the other reason is."]},
        ),
        (
            {"discussed_on": "2999-01-01", "review_on": "2999-02-01"},
            {"discussed_on": ["The conversation cannot be in the future."]},
        ),
        ({"review_on": "2025-03-09"}, {"review_on": ["The review date cannot be before the conversation."]}),
        (
            {"preferred_option": "GONE", "options_discussed": ["OST", "NOPE"]},
            {
                "preferred_option": ["No active menu option has the code GONE."],
                "options_discussed": ["No active menu option has the code NOPE."],
            },
        ),
        (
            {"joint_decision": None, "difference_reason": "bored"},
            {
                "joint_decision": ["This field may not be null."],
                "difference_reason": ['"bored" is not a valid choice.'],
            },
        ),
    ],
)
def test_invalid_choices_say_which_field_and_change_nothing(api, caseloads, world, changes, fields):
    MenuOptionFactory(code="GONE", active=False)
    mine, choice = caseloads["mine"], caseloads["my_choice"]
    before = state()
    client = api("keyworker")
    created = client.post(f"{BASE}/service-users/{mine.pk}/choices/", choice_body(**changes), format="json")
    assert created.status_code == 400 and created.json()["fields"] == fields
    corrected = client.put(
        f"{BASE}/service-users/{mine.pk}/choices/{choice.pk}/", choice_body(**changes), format="json"
    )
    assert corrected.status_code == 400 and corrected.json()["fields"] == fields
    assert state() == before


def test_a_partial_correction_is_judged_as_the_whole_choice_would_be_saved(api, caseloads):
    mine, choice = caseloads["mine"], caseloads["my_choice"]  # preferred OST, agreed NSP, not reachable
    client = api("keyworker")
    url = f"{BASE}/service-users/{mine.pk}/choices/{choice.pk}/"
    refused = client.patch(url, {"agreed_option": "OST"}, format="json")
    assert refused.json()["fields"] == {
        "difference_reason": ["The agreed option is the preferred one: leave the reason empty."]
    }
    refused = client.patch(url, {"review_on": "2025-01-01"}, format="json")
    assert refused.json()["fields"] == {"review_on": ["The review date cannot be before the conversation."]}
    accepted = client.patch(url, {"agreed_option": "OST", "difference_reason": ""}, format="json")
    assert accepted.status_code == 200
    assert (accepted.json()["agreed_option"], accepted.json()["difference_reason"]) == ("OST", "")
    assert accepted.json()["review_on"] == choice.review_on.isoformat()


# --- unmet preference ------------------------------------------------------------------------


def published_numbers(body: dict) -> list:
    """Every count in the JSON publication: the area totals and each locality's cells."""
    cells = list(body["area"].values()) + [cell for loc in body["localities"] for cell in loc["options"].values()]
    assert cells and all(set(cell) == set(MEASURES) for cell in cells)
    return [value for cell in cells for value in cell.values()]


@pytest.mark.parametrize("small", range(1, 8))
def test_a_count_of_1_to_7_never_appears_as_a_number(api, world, users, small):
    people(world, users, "town", 12, "ost")  # shown: 12 people, rounded to 10 or 15
    people(world, users, "village", small, "ost", agreed="nsp")  # a small group, and with it every total
    published(users)
    client = api("commissioner")
    body = client.get(f"{BASE}/unmet-preference/").json()
    numbers = published_numbers(body)
    assert [value for value in numbers if value]  # something is shown, so the test could fail
    assert not [value for value in numbers if value is not None and 1 <= value <= 7]
    assert all(value is None or value % 5 == 0 for value in numbers)
    # The pooled village's own figures (a filter only selects from the same protected table).
    filtered = client.get(f"{BASE}/unmet-preference/", {"locality": "VILL", "option": "OST"})
    assert not [v for v in published_numbers(filtered.json()) if v is not None and 1 <= v <= 7]
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"{BASE}/unmet-preference/", {"format": "csv"}).content.decode()))
    )
    values = [row[measure] for row in rows for measure in MEASURES]
    assert [value for value in values if value not in ("suppressed", "0")]
    assert all(value == "suppressed" or int(value) % 5 == 0 for value in values)
    assert not [value for value in values if value != "suppressed" and 1 <= int(value) <= 7]


def test_unmet_is_the_pages_publication_in_json_and_csv(api, world, users):
    people(world, users, "town", 12, "ost")
    people(world, users, "village", 9, "ost", agreed="nsp")
    people(world, users, "village", 3, "nsp")
    stored = published(users)
    api_client = api("commissioner")
    body = api_client.get(f"{BASE}/unmet-preference/").json()
    publication = unmet_of(stored)
    assert body == {"published": publication_meta(stored), **publication_json(publication)}
    assert body["area"][ALL]["preferred"] in (None, 20, 25)  # 24 people, rounded by cell key
    one = api_client.get(f"{BASE}/unmet-preference/", {"locality": "VILL", "option": "OST"}).json()
    assert one == {
        "published": publication_meta(stored),
        **publication_json(publication, locality="VILL", option="OST"),
    }
    as_csv = api_client.get(f"{BASE}/unmet-preference/", HTTP_ACCEPT="text/csv")
    assert as_csv["Content-Type"].startswith("text/csv")
    assert as_csv["Content-Disposition"] == f'attachment; filename="unmet-preference-{stored.pk}.csv"'
    expected = io.StringIO()
    write_unmet_csv(publication, expected)  # what /careplans/unmet.csv sends
    assert as_csv.content.decode() == expected.getvalue()


@pytest.mark.parametrize(
    "query,fields",
    [
        ({"locality": "NOPE"}, {"locality": ["Unknown locality code 'NOPE'."]}),
        ({"option": "NOPE", "locality": ""}, {"option": ["Unknown menu option code 'NOPE'."]}),  # blank: not given
        (
            {"format": "csv", "option": "OST"},
            {
                "option": [
                    "The CSV is always the whole table: filter in the JSON format, or filter the rows after download."
                ]
            },
        ),
    ],
)
def test_unmet_query_errors_are_in_the_error_format_and_not_audited(api, world, query, fields):
    response = api("commissioner").get(f"{BASE}/unmet-preference/", query)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["fields"] == fields
    assert not AuditEvent.objects.filter(action="aggregate").exists()


def test_schema_describes_the_care_plan_endpoints_with_examples(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader"))
    schema = yaml.safe_load(client.get("/api/schema/").content)
    paths = {
        path: item
        for path, item in schema["paths"].items()
        if path.startswith(("/api/v1/service-users/", "/api/v1/unmet-preference/"))
    }
    operations = [(path, method, op) for path, item in paths.items() for method, op in item.items()]
    assert len(operations) == 19  # 11, and 8 for a person's needs (with history), reviews and personal menu
    for path, method, op in operations:
        bodies = [content for response in op["responses"].values() for content in response.get("content", {}).values()]
        bodies += list(op.get("requestBody", {}).get("content", {}).values())
        assert any("examples" in body for body in bodies), (method, path)
        assert op["summary"] and op["description"]
        assert "401" in op["responses"] and "403" in op["responses"]
    unmet = schema["paths"]["/api/v1/unmet-preference/"]["get"]["responses"]
    assert set(unmet["200"]["content"]) == {"application/json", "text/csv"} and "400" in unmet


def test_other_keyworkers_records_stay_theirs_after_an_api_write(api, caseloads, users, world):
    """A keyworker's new record is on their caseload only, with them as its keyworker."""
    made = (
        api("other_keyworker")
        .post(f"{BASE}/service-users/", {"age_band": "18_24", "home_locality": "VILL"}, format="json")
        .json()
    )
    assert made["keyworker"] == "kw2" and made["status"] == "active" and made["reference"].startswith("SU-")
    assert api("keyworker").get(f"{BASE}/service-users/{made['id']}/").status_code == 404
    assert ServiceUser.objects.get(pk=made["id"]).keyworker == users["other_keyworker"]
