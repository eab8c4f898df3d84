"""The commands that wait on the worker share one way of waiting (reach.management.progress)."""

import pytest
from django.core.management import CommandError, call_command

from reach.models import ReachRun, RunStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_compute_reach_gives_up_waiting_with_what_to_do(small_world, sent_runs, capsys):
    with pytest.raises(CommandError, match=r"did not finish within 0.5 s: is a Celery worker running"):
        call_command("compute_reach", "--timeout", "0.5")
    [run_id] = sent_runs
    assert ReachRun.objects.get(pk=run_id).status == RunStatus.QUEUED  # it stays queued
    assert "  queued 0%" in capsys.readouterr().out  # progress printed once per change, not per poll


def test_waiting_returns_once_the_run_has_finished(small_world, sent_runs):
    from reach.management.progress import wait_until_finished  # noqa: PLC0415
    from reach.services import create_run, execute_run  # noqa: PLC0415

    run = execute_run(run_id=create_run().pk)
    lines: list[str] = []
    done = wait_until_finished(run, finished={RunStatus.SUCCEEDED}, timeout=5, write=lines.append, too_long="never")
    assert done.status == RunStatus.SUCCEEDED and lines == ["  succeeded 100%"]
