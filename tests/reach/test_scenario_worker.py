"""Scenario runs go to a real Celery worker, many at once as one group."""

import pytest

from accounts.roles import COMMISSIONER
from reach.models import ReachRun, RunStatus
from reach.scenario_catalogue import ScenarioInvalid
from reach.scenario_services import add_change, create_scenario, start_scenario_runs
from reach.selectors import current_run
from services.models import Site
from tests.factories import UserFactory
from tests.helpers import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_many_scenarios_run_on_the_worker_as_one_group(small_world, reach_worker):
    owner = UserFactory(username="planner", role=COMMISSIONER)
    close = create_scenario(name="Close T1", owner=owner)
    add_change(scenario=close, kind="close_site", values={"site_code": "T1"})
    reach = create_scenario(name="Outreach in town", owner=owner)
    add_change(
        scenario=reach,
        kind="add_outreach",
        values={"site_code": "B1", "option_code": "OST", "localities": ["TOWN"]},
    )
    runs = start_scenario_runs(scenarios=[close, reach], started_by=owner)
    assert [run.scenario for run in runs] == [close, reach]
    done = [wait_for(run.pk, lambda r: r.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)) for run in runs]
    assert [run.status for run in done] == [RunStatus.SUCCEEDED] * 2, [run.error for run in done]
    closed = done[0].results.get(locality_code="TOWN")
    assert closed.menu_with_car == 0  # only T1 offered anything on site near the town
    outreach = done[1].results.get(locality_code="TOWN")
    assert outreach.providers_without_car == [2, 1]  # OST from A on site and B's new outreach session
    assert current_run() is None  # scenario runs never become the live catalogue's results


def test_a_broken_scenario_is_refused_before_anything_is_queued(small_world):
    scenario = create_scenario(name="Fine for now", owner=None)
    add_change(scenario=scenario, kind="close_site", values={"site_code": "T1"})
    Site.objects.filter(code="T1").update(active=False)
    with pytest.raises(ScenarioInvalid, match="site 'T1' is closed"):
        start_scenario_runs(scenarios=[scenario])
    assert not ReachRun.objects.exists()
