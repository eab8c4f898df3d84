import json
import sys

from django.core.management.base import BaseCommand

from openreferral.selectors import catalogue_document


class Command(BaseCommand):
    help = (
        "Export the catalogue as one Open Referral UK (HSDS 3.0) JSON document: organizations, locations, "
        "taxonomies, taxonomy_terms and services. import_openreferral reads it back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
        parser.add_argument(
            "--base-url",
            default="",
            help="the portal's public address, e.g. https://choicemap.example: each service's url is absolute "
            "under it (HSDS says uri); without it services carry no url",
        )

    def handle(self, *args, **options):
        document = catalogue_document(base_url=options["base_url"].rstrip("/"))
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if not options["output"]:
            sys.stdout.write(text)
            return
        with open(options["output"], "w", encoding="utf-8") as output:
            output.write(text)
        counts = ", ".join(
            f"{len(document[k])} {k}" for k in ("organizations", "locations", "taxonomy_terms", "services")
        )
        self.stdout.write(self.style.SUCCESS(f"Wrote {counts} to {options['output']}."))
