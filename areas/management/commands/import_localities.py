from areas.services import import_localities
from choicemap.commands import ImportCommand, terminal_progress


class Command(ImportCommand):
    help = (
        "Import localities from a GeoJSON FeatureCollection of Polygons/MultiPolygons (upsert by code). "
        "Properties: code, name, population; optional rurality, imd_decile, car_share, origin_lat, "
        "origin_lon, la_code, la_name."
    )
    noun = "localities"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--code-field", default="code", help="property holding the code (e.g. LSOA21CD)")
        parser.add_argument("--name-field", default="name", help="property holding the name (e.g. LSOA21NM)")
        parser.add_argument("--population-field", default="population", help="property holding the population")
        parser.add_argument(
            "--srid",
            type=int,
            help="coordinate system of the file, e.g. 27700 (British "
            "National Grid); default: the file's crs, else 4326",
        )

    def run_import(self, options):
        return import_localities(
            path=options["file"],
            code_field=options["code_field"],
            name_field=options["name_field"],
            population_field=options["population_field"],
            srid=options["srid"],
            dry_run=options["dry_run"],
            progress=terminal_progress,
        )
