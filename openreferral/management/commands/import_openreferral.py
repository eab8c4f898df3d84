from choicemap.commands import ImportCommand
from openreferral.services import import_openreferral


class Command(ImportCommand):
    help = (
        "Import an Open Referral UK (HSDS 3.0) document, as export_openreferral writes it: organizations → "
        "providers, menu-option taxonomy terms → options, locations → sites, services → site offers. "
        "All-or-nothing; upserts by provider name, option code, site code and site + option + delivery."
    )
    noun = "objects"

    def run_import(self, options):
        return import_openreferral(path=options["file"], dry_run=options["dry_run"])
