import csv
import json

import pytest
from django.core.management import CommandError, call_command

from reach.models import LocalityResult, ReachRun, RunStatus
from reach.selectors import current_run, load_snapshot
from reach.services import cancel_run, create_run, execute_run, parse_overrides
from services.models import MenuOption, Site, SiteOffer

pytestmark = pytest.mark.django_db


def run_sync(**kwargs) -> ReachRun:
    return execute_run(run_id=create_run(**kwargs).pk)


def test_a_run_stores_one_row_per_locality_with_the_engine_figures(small_world):
    run = run_sync()
    assert run.status == RunStatus.SUCCEEDED and run.progress == 100
    assert run.option_codes == ["OST", "NSP"]
    assert run.snapshot_counts == {
        "localities": 2,
        "sites": 2,
        "options": 2,
        "providers": 2,
        "offers": 3,
        "candidate_offers": 3,
    }
    town = LocalityResult.objects.get(run=run, locality_code="TOWN")
    # Town reaches OST from A (on site) and from B? No: B only holds outreach in the village.
    assert (town.menu_without_car, town.menu_with_car) == (2, 2)
    assert town.providers_without_car == [1, 1]
    assert town.nearest_walk_minutes[0] == pytest.approx(0.0)
    assert town.nearest_walk_site[0] == small_world["town"].pk or town.nearest_walk_site[0] is not None
    village = LocalityResult.objects.get(run=run, locality_code="VILL")
    # 7 km × 1.3 at 4.8 km/h is far beyond a 30-minute walk; pt: 7.05 × 1.3 / 20 × 60 + 10 ≈ 37.5 ≤ 45.
    assert village.menu_without_car == 2
    assert village.providers_without_car == [2, 1]  # OST from A (by pt) and B (outreach)
    assert village.real_choice_without_car == 1
    assert village.car_share == pytest.approx(0.77)  # unknown → the profile default
    assert village.nearest_walk_minutes == [None, None]
    assert village.nearest_pt_minutes[0] == pytest.approx(7.0528 * 1.3 / 20 * 60 + 10, abs=0.05)
    assert run.summary["n_localities"] == 2


def test_stricter_overrides_shrink_the_village_menu(small_world):
    run = run_sync(overrides={"pt_minutes": 30})
    village = LocalityResult.objects.get(run=run, locality_code="VILL")
    assert village.providers_without_car == [1, 0]  # only the outreach OST is left without a car
    assert village.menu_with_car == 2  # by car: 7.05 × 1.3 / 40 × 60 + 5 ≈ 18.8 min
    assert village.expected_menu == pytest.approx(0.77 * 2 + 0.23 * 1)
    assert run.params["pt_minutes"] == 30


def test_rerunning_the_same_run_replaces_only_its_own_results(small_world):
    first = run_sync()
    second = create_run()
    execute_run(run_id=second.pk)
    ReachRun.objects.filter(pk=second.pk).update(status=RunStatus.QUEUED)
    execute_run(run_id=second.pk)
    assert LocalityResult.objects.filter(run=second).count() == 2
    assert LocalityResult.objects.filter(run=first).count() == 2


def test_a_failed_run_keeps_the_current_results(small_world):
    good = run_sync()
    bad = create_run()
    ReachRun.objects.filter(pk=bad.pk).update(params={**bad.params, "walk_minutes": "not a number"})
    bad = execute_run(run_id=bad.pk)
    assert bad.status == RunStatus.FAILED
    assert "walk_minutes" in bad.error or "str" in bad.error
    assert LocalityResult.objects.filter(run=bad).count() == 0
    assert current_run() == good
    assert LocalityResult.objects.filter(run=good).count() == 2


def test_a_cancelled_run_never_becomes_current(small_world):
    good = run_sync()
    queued = create_run()
    assert cancel_run(run=queued)
    assert execute_run(run_id=queued.pk).status == RunStatus.CANCELLED
    assert current_run() == good


def test_the_snapshot_id_changes_with_the_catalogue(small_world):
    before = load_snapshot().snapshot_id
    assert load_snapshot().snapshot_id == before
    SiteOffer.objects.filter(option__code="NSP").update(waiting_weeks=5)
    assert load_snapshot().snapshot_id != before


def test_inactive_sites_and_options_leave_the_snapshot(small_world):
    MenuOption.objects.filter(code="NSP").update(active=False)
    Site.objects.filter(code="T1").update(active=False)
    snapshot = load_snapshot()
    assert snapshot.option_codes == ["OST"]
    assert snapshot.counts()["candidate_offers"] == 1  # only the outreach OST of B


def test_parse_overrides_types_and_errors():
    assert parse_overrides(["car_minutes=20", "count_remote=true", "real_choice_providers=3"]) == {
        "car_minutes": 20.0,
        "count_remote": True,
        "real_choice_providers": 3,
    }
    with pytest.raises(ValueError, match="FIELD one of"):
        parse_overrides(["speed=3"])
    with pytest.raises(ValueError, match="'fast' is not a valid number"):
        parse_overrides(["car_kmh=fast"])
    with pytest.raises(ValueError, match="'-2' is not a valid whole number"):
        parse_overrides(["real_choice_providers=-2"])
    with pytest.raises(ValueError, match="'maybe' is not a valid true or false"):
        parse_overrides(["count_remote=maybe"])


def test_compute_reach_command_sync_prints_run_and_summary(small_world, capsys):
    call_command("compute_reach", "--sync", "--set", "pt_minutes=30")
    out = capsys.readouterr().out
    run = ReachRun.objects.get()
    assert f"Run {run.pk} succeeded" in out
    assert '"n_localities": 2' in out
    assert run.params["pt_minutes"] == 30


def test_compute_reach_command_errors(small_world):
    with pytest.raises(CommandError, match="No reach profile 'nope'"):
        call_command("compute_reach", "--sync", "--profile", "nope")
    with pytest.raises(CommandError, match="expected FIELD=VALUE"):
        call_command("compute_reach", "--sync", "--set", "colour=blue")


def test_export_csv_has_exactly_the_contract_columns(small_world, tmp_path):
    run = run_sync(overrides={"pt_minutes": 30})
    path = tmp_path / "reach.csv"
    call_command("export_reach", "--format", "csv", "--output", str(path))
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == [
        "locality_code",
        "locality_name",
        "population",
        "car_share",
        "menu_without_car",
        "menu_with_car",
        "expected_menu",
        "real_choice_without_car",
        "real_choice_with_car",
        "options_without_car",
        "options_with_car",
        "travel_times",
    ]
    village = next(r for r in rows if r["locality_code"] == "VILL")
    assert village["travel_times"].startswith("crow-fly estimates (walking 4.8 km/h, public transport 20 km/h +10 min")
    assert village["expected_menu"] == "1.770"
    assert village["options_without_car"] == "OST"
    assert village["options_with_car"] == "NSP;OST"
    assert run.pk == current_run().pk


def test_export_json_and_geojson_carry_detail_and_summary(small_world, tmp_path):
    run = run_sync()
    call_command("export_reach", "--run", str(run.pk), "--format", "json", "--output", str(tmp_path / "r.json"))
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["run"]["id"] == run.pk and data["run"]["summary"]["n_localities"] == 2
    village = next(item for item in data["localities"] if item["locality_code"] == "VILL")
    assert village["options"]["OST"]["providers_without_car"] == 2
    assert village["options"]["OST"]["nearest"]["pt"]["site_code"] in {"T1", "B1"}
    call_command("export_reach", "--format", "geojson", "--output", str(tmp_path / "r.geojson"))
    collection = json.loads((tmp_path / "r.geojson").read_text())
    assert len(collection["features"]) == 2
    assert collection["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_export_refuses_unfinished_runs(small_world):
    run = create_run()
    with pytest.raises(CommandError, match="is queued"):
        call_command("export_reach", "--run", str(run.pk), "--format", "csv")
