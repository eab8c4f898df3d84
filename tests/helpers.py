"""Plain helpers shared by test modules (fixtures live in conftest.py files)."""

import time

from reach.models import ReachRun


def wait_for(run_id: int, condition, timeout: float = 30) -> ReachRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = ReachRun.objects.get(pk=run_id)
        if condition(run):
            return run
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} never met the condition; it is {run.status} at {run.progress}%")
