import datetime

from django.core.management.base import BaseCommand, CommandError

from careplans.services import remove_expired_records


class Command(BaseCommand):
    help = (
        "Dry run of the retention task: list the closed cases it would remove (references and closing dates "
        "only) and how many choices go with them. Changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, help="retention period in years (default: the setting)")
        parser.add_argument("--today", help="pretend today is this date (YYYY-MM-DD)")

    def handle(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = datetime.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError(f"--today {options['today']!r} is not a date such as 2031-01-31") from None
        if options["years"] is not None and options["years"] < 0:
            raise CommandError("--years cannot be negative")
        report = remove_expired_records(today=today, years=options["years"], dry_run=True)
        self.stdout.write(
            f"Retention: {report.years} years after closure; cases closed on or before "
            f"{report.cutoff:%Y-%m-%d} are due for removal."
        )
        for reference, closed_on, choices in report.removed:
            self.stdout.write(f"  {reference}  closed {closed_on:%Y-%m-%d}  {choices} choice(s)")
        self.stdout.write(
            self.style.SUCCESS(
                f"Dry run: would remove {report.service_users} service user(s) and {report.choices} choice(s); "
                "nothing was removed."
            )
        )
