"""Scenarios and plans in the API: roles, owners, rule errors as 400s, runs, compare, apply, plans."""

import pytest

from reach.models import ReachRun, Scenario
from reach.scenario_services import add_change, create_scenario
from reach.services import create_run, execute_run
from services.models import Site

pytestmark = pytest.mark.django_db

NEW_SITE = {"code": "C1", "name": "Village hall", "provider": "C", "lat": 50.7, "lon": -2.1}
CANDIDATES = (
    "id,cost,provider,site_code,site_name,lat,lon,option_code,delivery,capacity_per_week,waiting_weeks,"
    "min_age,max_age,outreach_localities,home_visit_km,active,provider_kind\n"
    "hall,1,C,V1,Village hall,50.7,-2.1,NSP,on_site,5,,,,,,,voluntary\n"
)


@pytest.fixture
def mine(small_world, users):
    return create_scenario(name="Mine", owner=users["commissioner"])


def test_keyworkers_have_no_access_and_commissioners_read_every_scenario(api, mine, users):
    create_scenario(name="Theirs", owner=users["admin"])
    assert api("keyworker").get("/api/v1/scenarios/").status_code == 403
    assert api(None).get("/api/v1/scenarios/").status_code in (401, 403)
    listed = api("commissioner").get("/api/v1/scenarios/").json()
    assert sorted(s["name"] for s in listed["results"]) == ["Mine", "Theirs"]


def test_the_owner_adds_changes_and_a_broken_rule_is_a_400_naming_change_and_field(api, mine):
    client = api("commissioner")
    created = client.post(
        f"/api/v1/scenarios/{mine.pk}/changes/", {"kind": "add_site", "values": NEW_SITE}, format="json"
    )
    assert created.status_code == 201 and created.json()["position"] == 1
    bad = client.post(
        f"/api/v1/scenarios/{mine.pk}/changes/",
        {"kind": "add_offer", "values": {"site_code": "C1", "option_code": "NSP", "delivery": "outreach"}},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["fields"] == {
        "scenario 'Mine', change 2 (add_offer), outreach_localities": [
            "an outreach offer needs at least one locality code"
        ]
    }
    assert mine.changes.count() == 1


def test_only_the_owner_changes_a_scenario(api, mine):
    response = api("admin").post(
        f"/api/v1/scenarios/{mine.pk}/changes/", {"kind": "add_site", "values": NEW_SITE}, format="json"
    )
    assert response.status_code == 403
    assert api("admin").delete(f"/api/v1/scenarios/{mine.pk}/changes/1/").status_code == 403


def test_creating_a_scenario_makes_the_caller_its_owner(api, small_world, users):
    response = api("commissioner").post("/api/v1/scenarios/", {"name": "New", "owner": users["admin"].pk})
    assert response.status_code == 201
    assert Scenario.objects.get(pk=response.json()["id"]).owner == users["commissioner"]


def test_run_compare_and_apply(api, mine, sent_runs):
    add_change(scenario=mine, kind="close_site", values={"site_code": "T1"})
    client = api("commissioner")
    assert client.get(f"/api/v1/scenarios/{mine.pk}/compare/").status_code == 409
    queued = client.post(f"/api/v1/scenarios/{mine.pk}/run/", {}, format="json")
    assert queued.status_code == 202
    assert client.post(f"/api/v1/scenarios/{mine.pk}/run/", {}, format="json").status_code == 409
    run = execute_run(run_id=queued.json()["id"])
    assert client.get(f"/api/v1/scenarios/{mine.pk}/compare/").json()["code"] == "no_base_run"
    execute_run(run_id=create_run().pk)
    comparison = client.get(f"/api/v1/scenarios/{mine.pk}/compare/").json()
    assert comparison["scenario_run"] == run.pk and comparison["people_losing"] == 4000
    assert [r["id"] for r in client.get(f"/api/v1/scenarios/{mine.pk}/runs/").json()] == [run.pk]

    assert client.post(f"/api/v1/scenarios/{mine.pk}/apply/").status_code == 403
    assert Site.objects.get(code="T1").active
    applied = api("admin").post(f"/api/v1/scenarios/{mine.pk}/apply/")
    assert applied.status_code == 200 and applied.json()["applied_by"] == "admin"
    assert not Site.objects.get(code="T1").active


def test_run_many_sends_one_run_per_scenario(api, mine, users):
    other = create_scenario(name="Other", owner=users["admin"])
    response = api("commissioner").post(
        "/api/v1/scenarios/run-many/", {"scenarios": [mine.pk, other.pk]}, format="json"
    )
    assert response.status_code == 202
    assert sorted(ReachRun.objects.values_list("scenario_id", flat=True)) == sorted([mine.pk, other.pk])


def test_a_plan_from_an_uploaded_candidate_file(api, small_world, tmp_csv):
    client = api("commissioner")
    with open(tmp_csv(CANDIDATES), "rb") as upload:
        response = client.post(
            "/api/v1/plans/",
            {"candidates": upload, "budget": 1, "objective": "real_choice", "save_scenario": "Hall"},
            format="multipart",
        )
    assert response.status_code == 200, response.json()
    plan = response.json()
    assert plan["optimal"] and plan["chosen"] == ["hall"]
    assert Scenario.objects.get(pk=plan["scenario"]).changes.count() == 2  # the new site, then its offer
    with open(tmp_csv(CANDIDATES.replace("hall,1,", "hall,x,")), "rb") as upload:
        bad = client.post("/api/v1/plans/", {"candidates": upload, "budget": 1, "objective": "min_menu"})
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"row 2, cost": ["'x' is not a number"]}
    assert api("keyworker").post("/api/v1/plans/", {}).status_code == 403
