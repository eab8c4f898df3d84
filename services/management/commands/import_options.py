from choicemap.commands import ImportCommand
from services.services import import_options


class Command(ImportCommand):
    help = "Import menu options from a CSV with columns code,name,category[,description] (upsert by code)."
    noun = "options"

    def run_import(self, options):
        return import_options(path=options["file"], dry_run=options["dry_run"])
