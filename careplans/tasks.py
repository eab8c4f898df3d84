import logging

from celery import shared_task

from .services import remove_expired_records

logger = logging.getLogger(__name__)


@shared_task(name="careplans.remove_expired_records")
def remove_expired_records_task() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): closed cases past the retention period go, with their history."""
    report = remove_expired_records()
    logger.info(
        "retention: removed %s service users and %s choices closed on or before %s",
        report.service_users,
        report.choices,
        report.cutoff,
    )
    return report.service_users
