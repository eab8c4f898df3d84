import json

from django.core.management.base import BaseCommand, CommandError

from reach.management.progress import wait_until_finished
from reach.models import ReachProfile, RunStatus, TravelSource
from reach.selectors import default_profile
from reach.services import RunAlreadyActive, execute_run, parse_overrides, start_run

FINISHED = {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}


class Command(BaseCommand):
    help = "Compute reach for every locality: on the Celery worker (default, waits) or in-process with --sync."

    def add_arguments(self, parser):
        parser.add_argument("--profile", help="reach profile name (default: the default profile)")
        parser.add_argument(
            "--provider",
            choices=TravelSource.values,
            help="every mode from this one source (default: the profile's source per mode)",
        )
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="override one profile field for this run, e.g. --set car_minutes=20",
        )
        parser.add_argument("--sync", action="store_true", help="compute in this process, without the worker")
        parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the worker")

    def handle(self, *args, **options):
        try:
            profile = ReachProfile.objects.get(name=options["profile"]) if options["profile"] else default_profile()
        except ReachProfile.DoesNotExist:
            names = ", ".join(ReachProfile.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"No reach profile {options['profile']!r} (profiles: {names}).") from None
        try:
            overrides = parse_overrides(options["set"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        try:
            run = start_run(
                profile=profile, provider=options["provider"], overrides=overrides, send=not options["sync"]
            )
        except RunAlreadyActive as exc:
            raise CommandError(f"{exc} Wait for it or cancel it in the admin.") from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Run {run.pk}: profile {run.profile_name}, provider {run.provider}")
        if options["sync"]:
            run = execute_run(run_id=run.pk)
        else:
            run = wait_until_finished(
                run,
                finished=FINISHED,
                timeout=options["timeout"],
                write=self.stdout.write,
                too_long=f"Run {run.pk} did not finish within {options['timeout']:g} s: is a Celery worker running "
                "(make worker)? It stays queued; use --sync to compute without the worker.",
            )
        if run.status != RunStatus.SUCCEEDED:
            raise CommandError(f"Run {run.pk} {run.status}: {run.error.splitlines()[0] if run.error else ''}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Run {run.pk} succeeded in {sum(run.timings.values()):.2f} s "
                f"({run.snapshot_counts.get('localities')} localities)."
            )
        )
        self.stdout.write(json.dumps(run.summary, indent=2, sort_keys=True))
