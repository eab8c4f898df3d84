from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from reach.management.progress import wait_until_finished
from reach.models import BuildStatus
from reach.network_services import build_path, create_network_build, enqueue_network_build, execute_network_build
from reach.networks.errors import NetworkInputError

FINISHED = {BuildStatus.READY, BuildStatus.FAILED, BuildStatus.CANCELLED}


class Command(BaseCommand):
    help = (
        "Build a travel network from an OpenStreetMap extract (OSRM: car, walk, cycle) and GTFS feeds "
        "(Valhalla: pt), on the Celery worker (default, waits and shows progress) or in-process with --sync. "
        "All-or-nothing: the network's current build changes only when the new one has finished."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="network name (letters, digits, - and _)")
        parser.add_argument("--osm", required=True, type=Path, metavar="FILE.osm.pbf")
        parser.add_argument("--gtfs", action="append", default=[], type=Path, metavar="FEED.zip")
        parser.add_argument(
            "--modes", help="comma-separated: car,walk,cycle,pt (default: car,walk,cycle, +pt with --gtfs)"
        )
        parser.add_argument(
            "--travel-date", type=date.fromisoformat, help="check the feeds run on this date (YYYY-MM-DD)"
        )
        parser.add_argument("--sync", action="store_true", help="build in this process, without the worker")
        parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the worker")

    def handle(self, *args, **options):
        modes = [m.strip() for m in options["modes"].split(",") if m.strip()] if options["modes"] else None
        try:
            with transaction.atomic():
                build = create_network_build(
                    name=options["name"],
                    osm_path=options["osm"],
                    gtfs_paths=options["gtfs"],
                    modes=modes,
                    travel_date=options["travel_date"],
                )
                if not options["sync"]:
                    enqueue_network_build(build=build)
        except NetworkInputError as exc:
            raise CommandError("Nothing was built or written:\n" + "\n".join(f"  {p}" for p in exc.problems)) from None
        self.stdout.write(f"Build {build.pk} of network {options['name']}: {', '.join(build.modes)}")
        if options["sync"]:
            build = execute_network_build(build_id=build.pk)
        else:
            build = wait_until_finished(
                build,
                finished=FINISHED,
                timeout=options["timeout"],
                write=self.stdout.write,
                too_long=f"Build {build.pk} did not finish within {options['timeout']:g} s: is a Celery worker "
                "running (make worker)? Use --sync to build without the worker.",
            )
        if build.status != BuildStatus.READY:
            raise CommandError(f"Build {build.pk} {build.status}; the network in use is unchanged.\n{build.error}")
        self.stdout.write(self.style.SUCCESS(f"Build {build.pk} ready in {build_path(build)}."))
