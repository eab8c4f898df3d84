from choicemap.commands import ImportCommand
from services.services import import_providers


class Command(ImportCommand):
    help = "Import providers from a CSV with columns name,kind[,contact] (upsert by name)."
    noun = "providers"

    def run_import(self, options):
        return import_providers(path=options["file"], dry_run=options["dry_run"])
