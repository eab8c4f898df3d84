"""Command-line translation for imports: progress on a terminal, every problem on failure."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from .imports import ImportFailed


def terminal_progress(items: Iterable, total: int, label: str) -> Iterable:
    """A progress bar when a person is watching, silence in logs and tests."""
    if not sys.stderr.isatty():
        return items
    return tqdm(items, total=total, desc=label, unit="", leave=False)


class ImportCommand(BaseCommand):
    """Subclasses set `noun` and define run_import(options) -> ImportReport calling one service."""

    noun = "rows"

    def add_arguments(self, parser):
        parser.add_argument("file", help="the file to import")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check everything, including database constraints, then write nothing",
        )

    def handle(self, *args, **options):
        try:
            report = self.run_import(options)
        except ImportFailed as failure:
            count = failure.total
            lines = [f"Import failed, nothing was written: {count:,} problem{'s' * (count != 1)}."]
            if count > len(failure.problems):
                lines[0] += f" The first {len(failure.problems)} are listed."
            lines += [f"  {problem}" for problem in failure.problems]
            raise CommandError("\n".join(lines)) from None
        for note in report.notes:
            self.stdout.write(self.style.WARNING(note))
        self.stdout.write(self.style.SUCCESS(report.summary(self.noun)))
