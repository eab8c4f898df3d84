"""The planner on the catalogue: candidate files, the engine's coverage, and the promise kept by a run."""

import json

import pytest
from django.core.management import CommandError, call_command

from choicemap.imports import ImportFailed
from reach.models import LocalityResult, ReachProfile, RunStatus, Scenario
from reach.plan_services import make_plan, save_plan_as_scenario
from reach.services import create_run, execute_run
from services.models import Site

pytestmark = pytest.mark.django_db

HEADER = (
    "id,cost,provider,site_code,site_name,lat,lon,option_code,delivery,capacity_per_week,waiting_weeks,"
    "min_age,max_age,outreach_localities,home_visit_km,active,provider_kind\n"
)
# With public transport limited to 30 minutes the village (1,000 people) reaches only OST, from
# B's outreach, without a car; the town (3,000) reaches both options from A on site.
CANDIDATES = HEADER + (
    "hall-nsp,1,C,V1,Village hall,50.7,-2.1,NSP,on_site,5,,,,,,,voluntary\n"
    "a-nsp-outreach,1,A,T1,Town site,50.7,-2.0,NSP,outreach,,,,,VILL,,,\n"
    "d-ost,2,D,V2,Chapel,50.7005,-2.1,OST,on_site,,1,,,,,,voluntary\n"
    "d-nsp,1,D,V2,Chapel,50.7005,-2.1,NSP,on_site,,9,,,,,,voluntary\n"
    "t1-remote,1,A,T1,Town site,50.7,-2.0,OST,remote,,,,,,,,\n"
)


@pytest.fixture
def strict_profile(small_world):
    return ReachProfile.objects.create(name="Strict", pt_minutes=30)


@pytest.fixture
def town_site(small_world):
    Site.objects.filter(code="T1").update(name="Town site")


def run_value(run, objective: str, min_options: int) -> float:
    rows = LocalityResult.objects.filter(run=run)
    if objective == "expected_menu":
        return sum(r.population * r.expected_menu for r in rows)
    if objective == "real_choice":
        return sum(r.population * r.real_choice_without_car for r in rows)
    return sum(r.population for r in rows if r.menu_without_car >= min_options)


@pytest.mark.parametrize(
    ("objective", "budget", "gain"),
    [
        ("expected_menu", 1, 1000 * 0.23),  # NSP without a car for the village's 23% without one
        ("real_choice", 2, 1000),  # a second OST provider (d-ost), or NSP twice (hall + outreach)
        ("min_menu", 1, 1000),
        ("real_choice", 4, 2000),  # both
    ],
)
@pytest.mark.usefixtures("town_site")
def test_running_the_saved_plan_gives_exactly_the_promised_objective(strict_profile, tmp_csv, objective, budget, gain):
    path = tmp_csv(CANDIDATES)
    plan, candidates = make_plan(path=path, budget=budget, objective=objective, min_options=2, profile=strict_profile)
    assert plan["optimal"] and plan["gap"] == 0 and plan["method"] == "milp"
    assert plan["cost"] <= budget
    assert plan["value_after"] - plan["value_before"] == pytest.approx(gain)
    base = execute_run(run_id=create_run(profile=strict_profile).pk)
    assert plan["value_before"] == pytest.approx(run_value(base, objective, 2), rel=1e-12)

    scenario = save_plan_as_scenario(name="Plan", owner=None, chosen=plan["chosen"], candidates=candidates)
    run = execute_run(run_id=create_run(profile=strict_profile, scenario=scenario).pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert plan["value_after"] == pytest.approx(run_value(run, objective, 2), rel=1e-12)
    assert plan["value_after"] > plan["value_before"]
    assert [a["id"] for a in plan["actions"]] == plan["chosen"]
    assert sum(a["marginal_gain"] for a in plan["actions"]) == pytest.approx(plan["value_after"] - plan["value_before"])
    assert [g["locality_code"] for g in plan["localities_gaining"]] == ["VILL"]
    assert plan["people_gaining"] == 1000


def test_the_imd_weight_counts_deprived_people_more(strict_profile, town_site, tmp_csv):
    plain, _ = make_plan(
        path=tmp_csv(CANDIDATES), budget=1, objective="min_menu", min_options=2, profile=strict_profile
    )
    weighted, _ = make_plan(
        path=tmp_csv(CANDIDATES), budget=1, objective="min_menu", min_options=2, weight="imd", profile=strict_profile
    )
    # town decile 2 counts 1 + 8/9; village decile 8 counts 1 + 2/9
    assert plain["value_before"] == 3000
    assert weighted["value_before"] == pytest.approx(3000 * (1 + 8 / 9))
    assert weighted["value_after"] - weighted["value_before"] == pytest.approx(1000 * (1 + 2 / 9))


def test_a_bad_candidate_file_lists_every_problem_by_row_and_changes_nothing(small_world, tmp_csv):
    bad = HEADER + (
        "x1,1,C,V1,Village hall,95,-2.1,NSP,on_site,,,,,,,,voluntary\n"
        "x1,-3,A,T1,Somewhere else,50.7,-2.0,NSP,outreach,,,,,,,,\n"
        "x3,1,A,T1,T1 site,50.7,-2.0,OST,on_site,,,,,,,,\n"
        "x4,one,A,T9,New,50.7,-2.0,ZZZ,home_visit,,,,,,,,\n"
    )
    with pytest.raises(ImportFailed) as caught:
        make_plan(path=tmp_csv(bad, "candidates.csv"), budget=1, objective="expected_menu")
    problems = {(p.location, p.field): p.reason for p in caught.value.problems}
    assert all(p.file == "candidates.csv" for p in caught.value.problems)
    assert problems[("row 2", "lat")] == "'95' is out of range (must be at most 90)"
    assert problems[("row 3", "id")] == "duplicate id 'x1' (first on row 2)"
    assert problems[("row 3", "cost")].startswith("'-3' is out of range")
    assert problems[("row 3", "outreach_localities")] == "an outreach offer needs at least one locality code"
    assert problems[("row 5", "cost")] == "'one' is not a number"
    assert problems[("row 5", "option_code")] == "unknown option code 'ZZZ'"
    assert problems[("row 5", "home_visit_km")] == "is required for a home_visit offer"
    assert not Site.objects.filter(code__in=["V1", "T9"]).exists()


def test_a_candidate_the_catalogue_already_has_is_refused(small_world, tmp_csv):
    Site.objects.filter(code="T1").update(name="Town site")
    duplicate = HEADER + "same,1,A,T1,Town site,50.7,-2.0,OST,on_site,,,,,,,,\n"
    with pytest.raises(ImportFailed, match="row 2, option_code: site 'T1' already offers 'OST' on_site"):
        make_plan(path=tmp_csv(duplicate), budget=1, objective="expected_menu")


def test_the_plan_command_writes_the_json_and_saves_the_scenario(strict_profile, tmp_csv, tmp_path, capsys):
    Site.objects.filter(code="T1").update(name="Town site")
    output = tmp_path / "plan.json"
    call_command(
        "plan",
        "--candidates", str(tmp_csv(CANDIDATES)),
        "--budget", "2",
        "--objective", "real_choice",
        "--profile", "Strict",
        "--output", str(output),
        "--save-scenario", "Best two",
    )  # fmt: skip
    plan = json.loads(output.read_text())
    for key in ("objective", "value_before", "value_after", "chosen", "optimal", "gap", "seconds"):
        assert key in plan
    assert plan["value_after"] - plan["value_before"] == 1000 and plan["optimal"] is True
    scenario = Scenario.objects.get(pk=plan["scenario"], name="Best two")
    assert scenario.changes.filter(kind="add_offer").count() == len(plan["chosen"])
    assert "real_choice: 0 → 1000 (optimal)" in capsys.readouterr().out


def test_the_plan_command_lists_candidate_problems(small_world, tmp_csv, tmp_path):
    bad = HEADER + "x1,abc,C,V1,Village hall,50.7,-2.1,NSP,on_site,,,,,,,,voluntary\n"
    with pytest.raises(CommandError, match=r"data.csv, row 2, cost: 'abc' is not a number"):
        call_command(
            "plan", "--candidates", str(tmp_csv(bad)), "--budget", "1", "--objective", "min_menu",
            "--output", str(tmp_path / "p.json"),
        )  # fmt: skip
    assert not (tmp_path / "p.json").exists()


def test_generated_new_site_candidates_plan_and_keep_the_promise(strict_profile, tmp_path):
    base = execute_run(run_id=create_run(profile=strict_profile).pk)
    path = tmp_path / "generated.csv"
    call_command(
        "plan_candidates", "--options", "NSP,OST", "--kinds", "new_site", "--provider", "New",
        "--provider-kind", "voluntary", "--run", str(base.pk), "--output", str(path),
    )  # fmt: skip
    lines = path.read_text().splitlines()
    # without a car and with public transport ≤ 30 minutes only the village lacks NSP
    assert [line.split(",")[:2] for line in lines[1:]] == [["NEW-VILL:NSP", "1.0"]]
    plan, candidates = make_plan(path=path, budget=1, objective="expected_menu", profile=strict_profile)
    scenario = save_plan_as_scenario(name="Generated", owner=None, chosen=plan["chosen"], candidates=candidates)
    run = execute_run(run_id=create_run(profile=strict_profile, scenario=scenario).pk)
    assert plan["value_after"] == pytest.approx(run_value(run, "expected_menu", 1), rel=1e-12)
    assert plan["value_after"] - plan["value_before"] == pytest.approx(1000 * 0.23)
    with pytest.raises(CommandError, match="options not in run"):
        call_command("plan_candidates", "--options", "XYZ", "--provider", "New", "--run", str(base.pk))


@pytest.fixture
def outreach_world(small_world):
    """The small world plus a hamlet 0.1° west of the village, a far locality, and C's site offering
    NSP on site 0.15° west of the hamlet. With public transport ≤ 30 minutes (strict profile):
    the village lacks NSP; the hamlet lacks NSP and OST; the far locality lacks both, 60+ km away."""
    from django.contrib.gis.geos import Point  # noqa: PLC0415

    from services.models import MenuOption  # noqa: PLC0415
    from tests.factories import LocalityFactory, ProviderFactory, SiteFactory, SiteOfferFactory  # noqa: PLC0415

    LocalityFactory(code="HAM", population=500, car_share=0.2, origin=Point(-2.2, 50.7, srid=4326))
    LocalityFactory(code="FAR", population=200, car_share=0.2, origin=Point(-3.0, 50.7, srid=4326))
    site = SiteFactory(
        code="C1", name="Clinic", provider=ProviderFactory(name="C", kind="voluntary"), location=Point(-2.35, 50.7)
    )
    SiteOfferFactory(site=site, option=MenuOption.objects.get(code="NSP"))
    Site.objects.filter(code="T1").update(name="Town site")
    return small_world


def outreach_file(profile, path, *options):
    """A succeeded run of `profile`, and plan_candidates' outreach candidates from it written to `path`."""
    base = execute_run(run_id=create_run(profile=profile).pk)
    call_command(
        "plan_candidates", "--options", "OST,NSP", "--kinds", "outreach", "--radius-km", "15", *options,
        "--run", str(base.pk), "--output", str(path),
    )  # fmt: skip
    return base


def test_outreach_candidates_are_each_site_offering_the_option_near_each_locality_without_it(
    outreach_world, strict_profile, tmp_path
):
    path = tmp_path / "outreach.csv"
    base = outreach_file(strict_profile, path, "--outreach-cost", "2.5")
    import csv  # noqa: PLC0415

    rows = list(csv.DictReader(path.open()))
    # T1 (A) offers both on site, C1 (C) NSP; 0.1° of longitude ≈ 7.04 km here, so within 15 km:
    # T1 reaches the village and the hamlet, C1 the hamlet only (10.6 km), nothing reaches FAR
    assert [(r["id"], r["provider"], r["provider_kind"], r["outreach_localities"], r["cost"]) for r in rows] == [
        ("OUT:C1:NSP:HAM", "C", "voluntary", "HAM", "2.5"),
        ("OUT:T1:NSP:HAM", "A", "nhs", "HAM", "2.5"),
        ("OUT:T1:NSP:VILL", "A", "nhs", "VILL", "2.5"),
        ("OUT:T1:OST:HAM", "A", "nhs", "HAM", "2.5"),
    ]
    assert {r["delivery"] for r in rows} == {"outreach"}
    assert [r["site_code"] for r in rows] == ["C1", "T1", "T1", "T1"]
    call_command(
        "plan_candidates", "--options", "OST,NSP", "--kinds", "outreach", "--radius-km", "5",
        "--run", str(base.pk), "--output", str(path),
    )  # fmt: skip
    assert len(path.read_text().splitlines()) == 1  # the header only: no site that close


@pytest.mark.parametrize(("objective", "budget"), [("expected_menu", 2), ("min_menu", 2), ("real_choice", 2)])
def test_the_plan_among_outreach_candidates_is_the_best_by_running_every_choice(
    outreach_world, strict_profile, tmp_path, objective, budget
):
    """Brute force by the engine itself: every set within the budget saved as a scenario and run."""
    import itertools  # noqa: PLC0415

    path = tmp_path / "outreach.csv"
    outreach_file(strict_profile, path)
    plan, candidates = make_plan(path=path, budget=budget, objective=objective, min_options=1, profile=strict_profile)
    assert plan["optimal"] and len(candidates) == 4
    values = {}
    for size in range(budget + 1):
        for subset in itertools.combinations([c.id for c in candidates], size):
            scenario = save_plan_as_scenario(
                name=f"try {subset}", owner=None, chosen=list(subset), candidates=candidates
            )
            run = execute_run(run_id=create_run(profile=strict_profile, scenario=scenario).pk)
            assert run.status == RunStatus.SUCCEEDED, run.error
            values[subset] = run_value(run, objective, 1)
    assert plan["value_after"] == pytest.approx(max(values.values()), rel=1e-12)
    assert plan["value_after"] == pytest.approx(
        values[tuple(sorted(plan["chosen"], key=[c.id for c in candidates].index))]
    )
    assert plan["value_after"] > plan["value_before"]


def test_two_outreach_sessions_of_one_offer_are_saved_as_one_offer_and_its_localities(
    outreach_world, strict_profile, tmp_path
):
    path = tmp_path / "outreach.csv"
    outreach_file(strict_profile, path)
    _, candidates = make_plan(path=path, budget=1, objective="expected_menu", profile=strict_profile)
    scenario = save_plan_as_scenario(
        name="Both", owner=None, chosen=["OUT:T1:NSP:VILL", "OUT:T1:NSP:HAM"], candidates=candidates
    )
    changes = [
        (c.kind, c.values.get("outreach_localities") or c.values.get("localities"))
        for c in scenario.changes.order_by("position")
    ]
    assert changes == [("add_offer", ["VILL"]), ("add_outreach", ["HAM"])]


def test_new_site_candidates_carry_their_provider_kind_into_the_scenario(strict_profile, tmp_csv):
    Site.objects.filter(code="T1").update(name="Town site")
    _, candidates = make_plan(path=tmp_csv(CANDIDATES), budget=1, objective="expected_menu", profile=strict_profile)
    site = next(values for c in candidates for kind, values in c.changes if kind == "add_site")
    assert site["provider_kind"] == "voluntary"
    scenario = save_plan_as_scenario(name="Hall", owner=None, chosen=["hall-nsp"], candidates=candidates)
    saved = scenario.changes.get(kind="add_site").values
    assert saved["provider_kind"] == "voluntary"


def test_a_new_provider_without_a_kind_is_refused_as_the_import_refuses_it(small_world, tmp_csv):
    missing = HEADER + "hall,1,Newcomer,V1,Village hall,50.7,-2.1,NSP,on_site,,,,,,,,\n"
    with pytest.raises(ImportFailed, match="row 2, provider_kind: provider 'Newcomer' is not in the catalogue"):
        make_plan(path=tmp_csv(missing), budget=1, objective="expected_menu")


def test_planning_new_sites_on_an_imported_matrix_is_refused_by_row(small_world, tmp_csv):
    with pytest.raises(ImportFailed, match="row 2, site_code: new site 'V1' has no rows in the imported"):
        make_plan(path=tmp_csv(CANDIDATES), budget=1, objective="expected_menu", provider="matrix")


def test_generated_candidates_escape_formulas_and_plan_from_the_file_as_named(outreach_world, strict_profile, tmp_path):
    from services.models import Provider  # noqa: PLC0415

    Provider.objects.filter(name="C").update(name='=HYPERLINK("http://x")')
    Site.objects.filter(code="C1").update(name="@SUM(1)")
    path = tmp_path / "outreach.csv"
    outreach_file(strict_profile, path)
    first = path.read_text().splitlines()[1]
    assert first.startswith("OUT:C1:NSP:HAM,1.0,\"'=HYPERLINK(") and ",'@SUM(1)," in first
    plan, candidates = make_plan(path=path, budget=1, objective="expected_menu", profile=strict_profile)
    assert [c.id for c in candidates][0] == "OUT:C1:NSP:HAM"  # the reader undid the escape: C1's own provider
