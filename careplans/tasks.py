import logging

from celery import shared_task
from django.utils import timezone

from .models import PublicationTrigger
from .services import Actor, PublicationRefused, publish, remove_expired_records

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


@shared_task(name="careplans.publish_unmet")
def publish_unmet_task() -> int | None:
    """On the schedule (CELERY_BEAT_SCHEDULE, UNMET_PUBLISH_CRON): the data cut-off is the start of the day."""
    now = timezone.now()
    cutoff = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        publication = publish(
            actor=Actor(user=None, path="task careplans.publish_unmet"),
            trigger=PublicationTrigger.SCHEDULE,
            cutoff=cutoff,
            now=now,
        )
    except PublicationRefused as refused:
        logger.warning("unmet publication skipped: %s", refused)
        return None
    logger.info("unmet publication %s built (data to %s)", publication.pk, cutoff)
    return publication.pk
