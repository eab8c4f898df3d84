from areas.services import import_postcodes
from choicemap.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Import the ONS Postcode Directory (ONSPD) CSV: postcode (pcds) → point (lat, long) and LSOA (lsoa21, else "
        "lsoa11); terminated postcodes (doterm) are kept and marked. Upsert by postcode; other columns are ignored. "
        "Open Referral's postcode and proximity parameters look postcodes up here."
    )
    noun = "postcodes"

    def run_import(self, options):
        return import_postcodes(path=options["file"], dry_run=options["dry_run"])
