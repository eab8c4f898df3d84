from django.core.management.base import CommandError

from choicemap.commands import ImportCommand
from openreferral.services import import_openreferral


class Command(ImportCommand):
    help = (
        "Import Open Referral UK (HSDS 3.0): export_openreferral's document, one service as /services/{id} returns "
        "it, a JSON array of them, an ORUK list page, or a live feed (--url). Organizations → providers, "
        "locations → sites, services → site offers; menu options and delivery modes from choicemap's own "
        "taxonomy terms or a --map CSV. All-or-nothing; upserts by provider name, option code, site code and "
        "site + option + delivery."
    )
    noun = "objects"

    def add_arguments(self, parser):
        # ImportCommand's arguments, with the file optional: --url reads a live feed instead.
        parser.add_argument("file", nargs="?", help="the file to import")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check everything, including database constraints, then write nothing",
        )
        parser.add_argument(
            "--url", default="", help="a live ORUK feed's base address, e.g. https://directory.example/openreferral"
        )
        parser.add_argument(
            "--map",
            dest="map_path",
            help="CSV taxonomy,term,option_code,delivery mapping other directories' terms (names or ids) to "
            "menu options and delivery modes",
        )
        parser.add_argument(
            "--skip-unmapped",
            action="store_true",
            help="import the services that map to a menu option and list the others, instead of failing",
        )

    def run_import(self, options):
        if bool(options["file"]) == bool(options["url"]):
            raise CommandError("Give a file or --url, not both and not neither.")
        return import_openreferral(
            path=options["file"],
            url=options["url"],
            map_path=options["map_path"],
            skip_unmapped=options["skip_unmapped"],
            dry_run=options["dry_run"],
        )
