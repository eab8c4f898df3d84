import sys

from django.core.management.base import BaseCommand, CommandError

from reach.models import ReachRun, RunStatus
from reach.plan_services import new_site_candidates, write_candidates
from reach.selectors import current_run


class Command(BaseCommand):
    help = (
        "Write a candidate file for `plan`: a new site at the origin of each locality where an option "
        "is out of reach without a car in a run, offering that option."
    )

    def add_arguments(self, parser):
        parser.add_argument("--options", required=True, help="option codes, comma-separated")
        parser.add_argument("--provider", required=True, help="the provider of the new sites")
        parser.add_argument("--cost", type=float, default=1.0, help="cost of each candidate (default 1)")
        parser.add_argument("--run", type=int, help="a succeeded run (default: the current run)")
        parser.add_argument("--output", help="CSV file (default: standard output)")

    def handle(self, *args, **options):
        if options["cost"] < 0:
            raise CommandError("--cost cannot be negative.")
        if options["run"]:
            run = ReachRun.objects.filter(pk=options["run"], status=RunStatus.SUCCEEDED).first()
        else:
            run = current_run()
        if run is None:
            raise CommandError("No such succeeded run: compute reach first.")
        codes = [code.strip() for code in options["options"].split(",") if code.strip()]
        try:
            rows = new_site_candidates(run=run, option_codes=codes, provider=options["provider"], cost=options["cost"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as output:
                write_candidates(rows=rows, output=output)
        else:
            write_candidates(rows=rows, output=sys.stdout)
        self.stderr.write(f"{len(rows)} candidates from run {run.pk}.")
