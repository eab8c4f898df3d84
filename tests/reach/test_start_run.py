"""`reach.services.start_run` is the one door to start a run: default profile, one active run per profile."""

import pytest
from django.core.management import CommandError, call_command

from reach import services
from reach.models import LocalityResult, ReachProfile, ReachRun, RunStatus
from reach.selectors import default_profile
from reach.services import RunAlreadyActive, cancel_run, create_run, execute_run, start_run
from tests.factories import ReachProfileFactory, ReachRunFactory

pytestmark = pytest.mark.django_db


def test_start_run_takes_the_default_profile_and_sends_the_task_by_name(
    small_world, sent_runs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = start_run(overrides={"car_minutes": 20})
    assert run.profile == small_world["profile"] == default_profile()
    assert (run.status, run.params["car_minutes"]) == (RunStatus.QUEUED, 20)
    assert sent_runs == [run.pk]


@pytest.mark.parametrize("active_status", [RunStatus.QUEUED, RunStatus.RUNNING])
def test_a_second_active_run_of_a_profile_is_refused_naming_the_active_one(small_world, sent_runs, active_status):
    active = ReachRunFactory(profile=small_world["profile"], status=active_status)
    with pytest.raises(RunAlreadyActive, match=f"Run {active.pk} of Default is already {active_status}") as refused:
        start_run()
    assert refused.value.run == active
    assert ReachRun.objects.count() == 1 and sent_runs == []


def test_other_profiles_and_finished_runs_do_not_block_a_start(small_world, sent_runs):
    other = ReachProfileFactory()
    ReachRunFactory(profile=other, status=RunStatus.QUEUED)
    for finished in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED):
        ReachRunFactory(profile=small_world["profile"], status=finished)
    run = start_run()
    assert run.profile == small_world["profile"] and run.status == RunStatus.QUEUED


def test_without_a_default_profile_the_error_says_so(db):
    ReachProfile.objects.all().delete()
    with pytest.raises(ReachProfile.DoesNotExist, match="no default reach profile"):
        start_run()


def test_the_compute_reach_command_goes_through_the_same_door(small_world):
    active = ReachRunFactory(profile=small_world["profile"], status=RunStatus.RUNNING)
    with pytest.raises(CommandError, match=f"Run {active.pk} of Default is already running"):
        call_command("compute_reach", "--sync")
    ReachRun.objects.filter(pk=active.pk).update(status=RunStatus.SUCCEEDED)
    call_command("compute_reach", "--sync")
    assert ReachRun.objects.filter(status=RunStatus.SUCCEEDED).count() == 2


def test_a_run_cancelled_while_it_computes_stays_cancelled_and_stores_nothing(small_world, monkeypatch):
    run = create_run()
    compute = services.compute_snapshot

    def compute_then_cancel(**kwargs):
        result = compute(**kwargs)
        assert cancel_run(run=run)  # a person cancels while the engine works
        return result

    monkeypatch.setattr(services, "compute_snapshot", compute_then_cancel)
    final = execute_run(run_id=run.pk)
    assert final.status == RunStatus.CANCELLED and final.error == ""
    assert LocalityResult.objects.filter(run=run).count() == 0


def test_the_result_carries_the_effective_car_share_the_service_stores(small_world):
    run = execute_run(run_id=create_run(overrides={"default_car_share": 0.6}).pk)
    shares = dict(LocalityResult.objects.filter(run=run).values_list("locality_code", "car_share"))
    assert shares == {"TOWN": pytest.approx(0.5), "VILL": pytest.approx(0.6)}  # own share; else the profile's


def test_an_automatic_run_waits_behind_a_running_one_but_not_behind_a_queued_one(small_world, sent_runs):
    running = ReachRunFactory(profile=small_world["profile"], status=RunStatus.RUNNING)
    automatic = start_run(automatic=True)  # the running run's snapshot predates the change
    assert automatic.automatic and automatic.status == RunStatus.QUEUED
    with pytest.raises(RunAlreadyActive) as refused:
        start_run(automatic=True)
    assert refused.value.run == automatic
    with pytest.raises(RunAlreadyActive) as refused:
        start_run()  # a person's run is refused by either
    assert refused.value.run == running
