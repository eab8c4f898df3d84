from django.core.management.base import CommandError

from reach.exports import RunMatrixUnavailable, write_travel_times
from reach.management.run_export import RunExportCommand


class Command(RunExportCommand):
    help = (
        "Write the travel-time matrix a run used (every mode, from its own source) as "
        "locality_code,site_code,mode,minutes: the import_travel_times format."
    )
    noun = "travel times"
    not_succeeded = "only succeeded runs have a matrix to export"

    def write(self, run, output, options):
        try:
            return write_travel_times(run=run, output=output)
        except RunMatrixUnavailable as exc:
            raise CommandError(str(exc)) from None
