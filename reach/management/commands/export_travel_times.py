import sys

from django.core.management.base import BaseCommand, CommandError

from reach.exports import RunMatrixUnavailable, write_travel_times
from reach.models import ReachRun, RunStatus
from reach.selectors import current_run


class Command(BaseCommand):
    help = (
        "Write the travel-time matrix a run used (every mode, from its own source) as "
        "locality_code,site_code,mode,minutes: the import_travel_times format."
    )

    def add_arguments(self, parser):
        parser.add_argument("--run", type=int, help="run id (default: the current run)")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, **options):
        if options["run"]:
            run = ReachRun.objects.filter(pk=options["run"]).first()
            if run is None:
                raise CommandError(f"No run {options['run']}.")
            if run.status != RunStatus.SUCCEEDED:
                raise CommandError(f"Run {run.pk} is {run.status}; only succeeded runs have a matrix to export.")
        else:
            run = current_run()
            if run is None:
                raise CommandError("No succeeded run yet: run `python manage.py compute_reach` first.")
        try:
            if options["output"]:
                with open(options["output"], "w", newline="", encoding="utf-8") as output:
                    count = write_travel_times(run=run, output=output)
                self.stdout.write(
                    self.style.SUCCESS(f"Wrote {count} travel times of run {run.pk} to {options['output']}.")
                )
            else:
                write_travel_times(run=run, output=sys.stdout)
        except RunMatrixUnavailable as exc:
            raise CommandError(str(exc)) from None
