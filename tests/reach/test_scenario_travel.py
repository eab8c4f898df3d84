"""Where a scenario's new sites get their travel times: never silently nowhere."""

import pytest

from reach.models import LocalityResult, RunStatus
from reach.scenario_services import add_change, create_scenario
from reach.services import create_run, execute_run, import_travel_times

pytestmark = pytest.mark.django_db

HALL = {"code": "V1", "name": "Village hall", "provider": "A", "lat": 50.7, "lon": -2.1}


@pytest.fixture
def hall_scenario(small_world):
    scenario = create_scenario(name="Village hall", owner=None)
    add_change(scenario=scenario, kind="add_site", values=HALL)
    add_change(
        scenario=scenario, kind="add_offer", values={"site_code": "V1", "option_code": "NSP", "delivery": "on_site"}
    )
    return scenario


def test_a_scenario_adding_a_site_is_refused_on_an_imported_matrix_naming_the_site(hall_scenario, tmp_csv):
    import_travel_times(path=tmp_csv("locality_code,site_code,mode,minutes\nVILL,T1,pt,25\nTOWN,T1,walk,3\n"))
    run = execute_run(run_id=create_run(scenario=hall_scenario, overrides={"pt_source": "matrix"}).pk)
    assert run.status == RunStatus.FAILED
    assert "no rows for the 1 new site(s) this scenario adds: V1 (50.70000, -2.10000)" in run.error
    assert "Travel times for pt come from the matrix" in run.error
    assert not LocalityResult.objects.filter(run=run).exists()


def test_the_same_scenario_runs_by_crow_fly_and_the_new_site_counts(hall_scenario):
    run = execute_run(run_id=create_run(scenario=hall_scenario).pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    village = LocalityResult.objects.get(run=run, locality_code="VILL")
    assert village.menu_without_car == 2  # OST by B's outreach, NSP at the new hall in the village
