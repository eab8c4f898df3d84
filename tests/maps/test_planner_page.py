"""The planner page: a candidate file or generated new sites → the plan make_plan gives, and one click
saves it as a scenario whose run keeps the promise."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from reach.models import LocalityResult, ReachProfile, RunStatus, Scenario
from reach.plan_services import make_plan
from reach.services import create_run, execute_run
from services.models import Site
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CANDIDATES = (
    "id,cost,provider,site_code,site_name,lat,lon,option_code,delivery,capacity_per_week,waiting_weeks,"
    "min_age,max_age,outreach_localities,home_visit_km,active,provider_kind\n"
    "hall-nsp,1,C,V1,Village hall,50.7,-2.1,NSP,on_site,5,,,,,,,voluntary\n"
    "d-ost,2,D,V2,<script>alert(1)</script>,50.7005,-2.1,OST,on_site,,1,,,,,,nhs\n"
    "t1-remote,1,A,T1,Town site,50.7,-2.0,OST,remote,,,,,,,,\n"
)


@pytest.fixture
def strict(small_world):
    """Public transport limited to 30 minutes: the village (1,000 people) reaches only OST without a car."""
    return ReachProfile.objects.create(name="Strict", pt_minutes=30)


@pytest.fixture
def commissioner(small_world, strict):
    Site.objects.filter(code="T1").update(name="Town site")
    return UserFactory(username="planner", role=COMMISSIONER)


def upload(text: str = CANDIDATES) -> SimpleUploadedFile:
    return SimpleUploadedFile("candidates.csv", text.encode(), content_type="text/csv")


def post_plan(client, **fields):
    data = {"source": "file", "budget": "2", "objective": "expected_menu", "min_options": "1", "weight": "none"}
    data["profile"] = ReachProfile.objects.get(name="Strict").pk
    return client.post(reverse("maps:planner"), {**data, **fields})


def test_planner_access(client, commissioner):
    url = reverse("maps:planner")
    assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(UserFactory(username="kw", role=KEYWORKER))
    assert client.get(url).status_code == 403
    for user in (commissioner, UserFactory(username="adm", role=ADMIN)):
        client.force_login(user)
        assert client.get(url).status_code == 200


def test_the_page_shows_make_plans_plan_and_saves_it_as_a_scenario_that_keeps_the_promise(
    client, commissioner, strict, tmp_csv
):
    client.force_login(commissioner)
    response = post_plan(client, candidates=upload())
    assert response.status_code == 200, response.content.decode()[:2000]
    shown = response.context["plan"]
    expected, _ = make_plan(path=tmp_csv(CANDIDATES), budget=2, objective="expected_menu", profile=strict)
    assert expected["chosen"] and expected["value_after"] > expected["value_before"]
    for key in (
        "chosen",
        "value_before",
        "value_after",
        "optimal",
        "gap",
        "people_gaining",
        "equity_before",
        "equity_after",
    ):
        assert shown[key] == expected[key], key
    assert [a["marginal_gain"] for a in shown["actions"]] == [a["marginal_gain"] for a in expected["actions"]]
    page = response.content.decode()
    assert "optimal" in page and "Save as scenario" in page and "<script>alert(1)" not in page

    saved = client.post(
        reverse("maps:planner-save"),
        {"name": "Planned", "candidates_text": CANDIDATES, "chosen": "\n".join(shown["chosen"])},
    )
    scenario = Scenario.objects.get(name="Planned", owner=commissioner)
    assert saved["Location"] == reverse("maps:scenario", args=[scenario.pk])
    offers = [c.values["site_code"] + ":" + c.values["option_code"] for c in scenario.changes.filter(kind="add_offer")]
    chosen_offers = [f"{a['site_code']}:{a['option_code']}" for a in shown["actions"]]
    assert sorted(offers) == sorted(chosen_offers)
    run = execute_run(run_id=create_run(scenario=scenario, profile=strict).pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    value = sum(r.population * r.expected_menu for r in LocalityResult.objects.filter(run=run))
    assert shown["value_after"] == pytest.approx(value, rel=1e-12)


def test_a_bad_candidate_file_lists_its_problems_and_keeps_the_other_input(client, commissioner):
    client.force_login(commissioner)
    bad = CANDIDATES.replace("hall-nsp,1,", "hall-nsp,x,").replace(",voluntary\n", ",\n", 1)
    response = post_plan(client, candidates=upload(bad), budget="3.5", objective="real_choice")
    assert response.status_code == 400
    problems = response.context["problems"]
    assert "row 2, cost: 'x' is not a number" in problems
    page = response.content.decode()
    assert 'name="budget" value="3.5"' in page and '<option value="real_choice" selected>' in page
    assert "The file you uploaded last is kept" in page
    assert not Scenario.objects.exists()


def test_generated_new_site_candidates(client, commissioner, strict):
    execute_run(run_id=create_run(profile=strict).pk)
    client.force_login(commissioner)
    generate = {
        "source": "generate",
        "generate_options": ["NSP", "OST"],
        "generate_provider": "New",
        "generate_cost": "1",
    }
    missing_kind = post_plan(client, **generate)
    assert missing_kind.status_code == 400
    assert any("give its provider_kind" in p for p in missing_kind.context["problems"])
    response = post_plan(client, **generate, generate_provider_kind="voluntary")
    assert response.status_code == 200, response.context.get("problems")
    plan = response.context["plan"]
    assert plan["n_candidates"] >= 1 and all(c.startswith("NEW-") for c in plan["chosen"])
