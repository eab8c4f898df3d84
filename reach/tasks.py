import logging

from celery import shared_task

from .services import COMPUTE_RUN_TASK, RunFailed, execute_run, fail_stale_runs

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, name=COMPUTE_RUN_TASK)
def compute_reach_run(run_id: int) -> str:
    """A redelivered message re-runs the same id, which replaces only that run's own results."""
    try:
        return execute_run(run_id=run_id).status
    except RunFailed as exc:  # e.g. the run was deleted while queued: nothing to retry
        logger.warning("%s", exc)
        return "missing"


@shared_task(name="reach.fail_stale_runs")
def fail_stale_runs_task() -> list[int]:
    """Every minute (beat): runs lost with a worker or a message become failed, releasing their profile."""
    return fail_stale_runs()
