"""Profiles, runs, results and summaries through the API, and one locality's menu for keyworkers."""

import io
import json

import pytest
from django.core.management import call_command

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from reach.models import ReachRun, RunStatus
from reach.services import create_run, execute_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(small_world):
    return execute_run(run_id=create_run().pk)


@pytest.fixture
def queued(sent_runs):
    return sent_runs


def test_creating_a_run_queues_it_and_answers_202_with_its_id(
    api, small_world, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(COMMISSIONER).post("/api/v1/runs/", {"overrides": {"car_minutes": 20}}, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    run = ReachRun.objects.get(pk=body["id"])
    assert queued == [run.pk]
    assert (body["status"], body["progress"], run.status) == ("queued", 0, RunStatus.QUEUED)
    assert run.params["car_minutes"] == 20 and run.started_by.username == COMMISSIONER
    assert response["Location"].endswith(f"/api/v1/runs/{run.pk}/")
    assert api(COMMISSIONER).get(f"/api/v1/runs/{run.pk}/").json()["status"] == "queued"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"car_minutes": -5}, "overrides"),  # a profile rule: times are not negative
        ({"walk_kmh": 0}, "overrides"),
        ({"car_minutes": "fast"}, "overrides.car_minutes"),
        ({"count_remote": 1}, "overrides.count_remote"),
        ({"real_choice_providers": 2.5}, "overrides.real_choice_providers"),
        ({"colour": "blue"}, "overrides.colour"),
    ],
)
def test_bad_overrides_are_refused_and_nothing_is_queued(api, small_world, queued, overrides, field):
    response = api(ADMIN).post("/api/v1/runs/", {"overrides": overrides}, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()
    assert ReachRun.objects.count() == 0 and queued == []


def test_keyworkers_may_not_see_or_start_runs(api, run):
    client = api(KEYWORKER)
    assert client.get("/api/v1/runs/").status_code == 403
    assert client.post("/api/v1/runs/", {}, format="json").status_code == 403
    assert client.get(f"/api/v1/runs/{run.pk}/results/").status_code == 403
    assert client.get("/api/v1/profiles/").status_code == 403


@pytest.mark.parametrize("fmt", ["csv", "json", "geojson"])
def test_results_are_exactly_what_export_reach_writes(api, run, fmt, tmp_path):
    call_command("export_reach", run=run.pk, format=fmt, output=tmp_path / "export", stdout=io.StringIO())
    response = api(COMMISSIONER).get(f"/api/v1/runs/{run.pk}/results/?format={fmt}")
    assert response.status_code == 200
    assert response.content == (tmp_path / "export").read_bytes()
    assert f"reach-run-{run.pk}.{fmt}" in response["Content-Disposition"]


def test_results_by_accept_header(api, run):
    response = api(COMMISSIONER).get(f"/api/v1/runs/{run.pk}/results/", HTTP_ACCEPT="text/csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0].startswith("locality_code,")


def test_a_run_without_results_is_a_conflict_in_json_even_for_csv(api, small_world):
    pending = create_run()
    response = api(COMMISSIONER).get(f"/api/v1/runs/{pending.pk}/results/?format=csv")
    assert response.status_code == 409 and response["Content-Type"] == "application/json"
    assert response.json()["message"] == f"Run {pending.pk} is queued; only succeeded runs have results."
    assert api(COMMISSIONER).get(f"/api/v1/runs/{pending.pk}/summary/").status_code == 409


def test_summary_is_the_runs_equity_summary(api, run):
    body = api(COMMISSIONER).get(f"/api/v1/runs/{run.pk}/summary/").json()
    assert body["summary"] == json.loads(json.dumps(run.summary))
    assert body["summary"]["n_localities"] == 2 and "gini_expected_menu" in body["summary"]
    assert body["option_codes"] == ["OST", "NSP"]


def test_current_run_and_cancel(api, run):
    client = api(ADMIN)
    assert client.get("/api/v1/runs/current/").json()["id"] == run.pk
    pending = create_run()
    assert client.post(f"/api/v1/runs/{pending.pk}/cancel/").json()["status"] == "cancelled"
    again = client.post(f"/api/v1/runs/{pending.pk}/cancel/")
    assert again.status_code == 409 and "cancelled" in again.json()["message"]
    assert client.get("/api/v1/runs/?status=cancelled").json()["count"] == 1


def test_keyworker_sees_what_is_reachable_from_a_locality(api, run, tmp_path):
    body = api(KEYWORKER).get("/api/v1/localities/VILL/menu/").json()
    call_command("export_reach", run=run.pk, format="json", output=tmp_path / "run.json", stdout=io.StringIO())
    exported = json.loads((tmp_path / "run.json").read_text())
    village = next(r for r in exported["localities"] if r["locality_code"] == "VILL")
    assert body["run"]["id"] == run.pk
    assert body["menu_without_car"] == village["menu_without_car"] == 2
    assert [o["code"] for o in body["options"]] == ["OST", "NSP"]
    ost = body["options"][0]
    assert {k: v for k, v in ost.items() if k not in ("code", "name")} == village["options"]["OST"]
    assert ost["providers_without_car"] == 2


def test_locality_menu_before_any_run_is_a_404(api, small_world):
    response = api(KEYWORKER).get("/api/v1/localities/VILL/menu/")
    assert response.status_code == 404 and response.json()["message"] == "No run has succeeded yet."


def test_a_second_active_run_of_a_profile_is_a_409_in_the_error_format(api, small_world, queued):
    first = api(COMMISSIONER).post("/api/v1/runs/", {}, format="json")
    assert first.status_code == 202, first.json()
    again = api(COMMISSIONER).post("/api/v1/runs/", {"profile": small_world["profile"].pk}, format="json")
    assert again.status_code == 409
    body = again.json()
    assert (body["status"], body["code"], body["fields"]) == (409, "run_active", {})
    assert f"Run {first.json()['id']} of Default is already queued." in body["message"]
    assert ReachRun.objects.count() == 1
