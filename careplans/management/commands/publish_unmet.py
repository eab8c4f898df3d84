import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from careplans.models import PublicationTrigger
from careplans.services import Actor, PublicationRefused, publish


class Command(BaseCommand):
    help = (
        "Build and store an unmet-preference publication now, in the name of --user (audited). Refused while "
        "the last one is younger than UNMET_PUBLISH_MIN_DAYS unless --force is given by a superuser, and, forced "
        "or not, while fewer than UNMET_PUBLISH_MIN_CHANGED people are counted differently from any past one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username of the person publishing (audited)")
        parser.add_argument("--force", action="store_true", help="publish before the minimum interval (superusers)")
        parser.add_argument("--cutoff", help="count choices recorded before this date, YYYY-MM-DD (default: now)")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"--user {options['user']!r}: no active user of that name")
        cutoff = None
        if options["cutoff"]:
            try:
                day = datetime.date.fromisoformat(options["cutoff"])
            except ValueError as error:
                raise CommandError(f"--cutoff {options['cutoff']!r} is not a date such as 2031-01-31") from error
            cutoff = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
        trigger = PublicationTrigger.FORCED if options["force"] else PublicationTrigger.COMMAND
        try:
            publication = publish(
                actor=Actor(user=user, path="manage.py publish_unmet"), trigger=trigger, cutoff=cutoff
            )
        except PublicationRefused as refused:
            raise CommandError(f"Not published: {refused}.") from refused
        self.stdout.write(
            self.style.SUCCESS(
                f"Published number {publication.pk}: built {publication.built_at:%Y-%m-%d %H:%M}, "
                f"data to {publication.data_cutoff:%Y-%m-%d %H:%M}."
            )
        )
