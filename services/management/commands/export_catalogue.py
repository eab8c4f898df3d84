import sys

from django.core.management.base import BaseCommand

from choicemap import csvsafe
from services.selectors import catalogue_rows
from services.services import CATALOGUE_COLUMNS, CATALOGUE_FACT_COLUMNS, CATALOGUE_OPTIONAL_COLUMNS


class Command(BaseCommand):
    help = "Export every offer in the import_catalogue CSV format (it imports back unchanged)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, **options):
        output = open(options["output"], "w", newline="", encoding="utf-8") if options["output"] else sys.stdout
        try:
            writer = csvsafe.DictWriter(
                output, fieldnames=CATALOGUE_COLUMNS + CATALOGUE_OPTIONAL_COLUMNS + CATALOGUE_FACT_COLUMNS
            )
            writer.writeheader()
            count = 0
            for row in catalogue_rows():
                writer.writerow(row)
                count += 1
        finally:
            if output is not sys.stdout:
                output.close()
        if options["output"]:
            self.stdout.write(self.style.SUCCESS(f"Wrote {count} offers to {options['output']}."))
