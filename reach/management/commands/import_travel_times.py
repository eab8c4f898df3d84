from choicemap.commands import ImportCommand
from reach.services import import_travel_times


class Command(ImportCommand):
    help = (
        "Replace the travel-time matrix from a CSV with columns locality_code,site_code,mode,minutes "
        "(modes walk, pt, car). A pair not in the file is not reachable by that mode."
    )
    noun = "travel times"

    def run_import(self, options):
        return import_travel_times(path=options["file"], dry_run=options["dry_run"])
