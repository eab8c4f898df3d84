"""What the run exports share: which run (--run or the current one), and where the output goes."""

from __future__ import annotations

import sys
from typing import TextIO

from django.core.management.base import BaseCommand, CommandError

from reach.models import ReachRun, RunStatus
from reach.selectors import current_run


class RunExportCommand(BaseCommand):
    """Subclasses set `noun` (what a count counts), `not_succeeded` (why only succeeded runs export)
    and define write(run, output, options) -> count, calling one export function."""

    noun = "rows"
    not_succeeded = "only succeeded runs have results"

    def add_arguments(self, parser):
        parser.add_argument("--run", type=int, help="run id (default: the current run)")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def write(self, run: ReachRun, output: TextIO, options: dict) -> int:
        raise NotImplementedError

    def handle(self, *args, **options):
        run = self._run(options["run"])
        if not options["output"]:
            self.write(run, sys.stdout, options)
            return
        with open(options["output"], "w", newline="", encoding="utf-8") as output:
            count = self.write(run, output, options)
        self.stdout.write(self.style.SUCCESS(f"Wrote {count} {self.noun} of run {run.pk} to {options['output']}."))

    def _run(self, run_id: int | None) -> ReachRun:
        if not run_id:
            run = current_run()
            if run is None:
                raise CommandError("No succeeded run yet: run `python manage.py compute_reach` first.")
            return run
        found = ReachRun.objects.filter(pk=run_id).first()
        if found is None:
            raise CommandError(f"No run {run_id}.")
        if found.status != RunStatus.SUCCEEDED:
            raise CommandError(f"Run {found.pk} is {found.status}; {self.not_succeeded}.")
        return found
