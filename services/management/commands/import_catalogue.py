from choicemap.commands import ImportCommand
from services.services import import_catalogue


class Command(ImportCommand):
    help = (
        "Import sites and offers from a CSV, one row per offer: provider,site_code,site_name,lat,lon,"
        "option_code,delivery,capacity_per_week,waiting_weeks,min_age,max_age,outreach_localities,"
        "home_visit_km,active; optionally session_format,worker_genders,creche,languages. "
        "Upserts by site_code + option_code + delivery."
    )
    noun = "offers"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--replace", action="store_true", help="deactivate active offers that are not in the file")

    def run_import(self, options):
        return import_catalogue(path=options["file"], replace=options["replace"], dry_run=options["dry_run"])
