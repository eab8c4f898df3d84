import logging

from celery import shared_task

from .models import MatrixChunk
from .network_services import compute_matrix_chunk, execute_network_build, finish_matrix_job, resume_run_after_matrices
from .services import COMPUTE_RUN_TASK, RunFailed, execute_run, fail_stale_runs

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, name=COMPUTE_RUN_TASK)
def compute_reach_run(run_id: int) -> str:
    """A redelivered message re-runs the same id, which replaces only that run's own results.

    Network matrices missing from the cache go out as a group of chunk tasks; the run then
    waits, and the last chunk sends this task again.
    """
    try:
        return execute_run(run_id=run_id, inline=False).status
    except RunFailed as exc:  # e.g. the run was deleted while queued: nothing to retry
        logger.warning("%s", exc)
        return "missing"


@shared_task(acks_late=True, reject_on_worker_lost=True, name="reach.compute_matrix_chunk")
def compute_matrix_chunk_task(chunk_id: int) -> str:
    """One chunk of origins of a network matrix; a chunk whose worker died is delivered again and redone."""
    if not compute_matrix_chunk(chunk_id=chunk_id):
        return "missing"
    job_id = MatrixChunk.objects.filter(pk=chunk_id).values_list("job_id", flat=True).first()
    job_run = MatrixChunk.objects.filter(pk=chunk_id).values_list("job__run_id", flat=True).first()
    if job_id is not None and finish_matrix_job(job_id=job_id):
        resume_run_after_matrices(run_id=job_run)
    return "done"


@shared_task(acks_late=True, reject_on_worker_lost=True, name="reach.build_network")
def build_network_task(build_id: int) -> str:
    return execute_network_build(build_id=build_id).status


@shared_task(name="reach.fail_stale_runs")
def fail_stale_runs_task() -> list[int]:
    """Every minute (beat): runs lost with a worker or a message become failed, releasing their profile."""
    return fail_stale_runs()
