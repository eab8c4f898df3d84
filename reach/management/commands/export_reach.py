import sys

from django.core.management.base import BaseCommand, CommandError

from reach.exports import write_reach_export
from reach.models import ReachRun, RunStatus
from reach.selectors import current_run


class Command(BaseCommand):
    help = "Export a run's results per locality as CSV, JSON (with per-option detail and summary) or GeoJSON."

    def add_arguments(self, parser):
        parser.add_argument("--run", type=int, help="run id (default: the current run)")
        parser.add_argument("--format", choices=["csv", "json", "geojson"], required=True)
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, **options):
        if options["run"]:
            run = ReachRun.objects.filter(pk=options["run"]).first()
            if run is None:
                raise CommandError(f"No run {options['run']}.")
            if run.status != RunStatus.SUCCEEDED:
                raise CommandError(f"Run {run.pk} is {run.status}; only succeeded runs have results.")
        else:
            run = current_run()
            if run is None:
                raise CommandError("No succeeded run yet: run `python manage.py compute_reach` first.")
        if options["output"]:
            with open(options["output"], "w", newline="", encoding="utf-8") as output:
                count = write_reach_export(run=run, fmt=options["format"], output=output)
            self.stdout.write(self.style.SUCCESS(f"Wrote {count} localities of run {run.pk} to {options['output']}."))
        else:
            write_reach_export(run=run, fmt=options["format"], output=sys.stdout)
