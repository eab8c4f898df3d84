from reach.exports import write_reach_export
from reach.management.run_export import RunExportCommand


class Command(RunExportCommand):
    help = "Export a run's results per locality as CSV, JSON (with per-option detail and summary) or GeoJSON."
    noun = "localities"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--format", choices=["csv", "json", "geojson"], required=True)

    def write(self, run, output, options):
        return write_reach_export(run=run, fmt=options["format"], output=output)
