import sys

from django.core.management.base import BaseCommand, CommandError

from reach.models import ReachRun, RunStatus
from reach.plan_services import new_site_candidates, outreach_candidates, write_candidates
from reach.selectors import current_run
from services.models import ProviderKind

KINDS = ("new_site", "outreach")


class Command(BaseCommand):
    help = (
        "Write a candidate file for `plan` from a run, for the localities where an option is out of reach "
        "without a car: a new site at the locality's origin offering the option (new_site), and outreach "
        "of the option from each site offering it on site within --radius-km (outreach)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--options", required=True, help="option codes, comma-separated")
        parser.add_argument("--kinds", default=",".join(KINDS), help="new_site, outreach or both (default both)")
        parser.add_argument("--provider", help="the provider of the new sites (needed for new_site)")
        parser.add_argument(
            "--provider-kind",
            default="",
            help=f"the new sites' provider kind when it is a new provider: {', '.join(ProviderKind.values)}",
        )
        parser.add_argument("--cost", type=float, default=1.0, help="cost of each new-site candidate (default 1)")
        parser.add_argument(
            "--outreach-cost", type=float, default=1.0, help="cost of each outreach candidate (default 1)"
        )
        parser.add_argument(
            "--radius-km", type=float, default=10.0, help="outreach only from sites this close, crow-fly (default 10)"
        )
        parser.add_argument("--run", type=int, help="a succeeded run (default: the current run)")
        parser.add_argument("--output", help="CSV file (default: standard output)")

    def handle(self, *args, **options):
        kinds = [kind.strip() for kind in options["kinds"].split(",") if kind.strip()]
        if not kinds or set(kinds) - set(KINDS):
            raise CommandError(f"--kinds: one or both of {', '.join(KINDS)}, not {options['kinds']!r}.")
        if min(options["cost"], options["outreach_cost"]) < 0 or options["radius_km"] <= 0:
            raise CommandError("--cost and --outreach-cost cannot be negative, and --radius-km must be positive.")
        if "new_site" in kinds and not options["provider"]:
            raise CommandError("--provider is needed for new_site candidates (or --kinds outreach).")
        if options["provider_kind"] and options["provider_kind"] not in ProviderKind.values:
            raise CommandError(f"--provider-kind: one of {', '.join(ProviderKind.values)}.")
        run = self._run(options["run"])
        codes = [code.strip() for code in options["options"].split(",") if code.strip()]
        rows = []
        try:
            if "new_site" in kinds:
                rows += new_site_candidates(
                    run=run,
                    option_codes=codes,
                    provider=options["provider"],
                    provider_kind=options["provider_kind"],
                    cost=options["cost"],
                )
            if "outreach" in kinds:
                rows += outreach_candidates(
                    run=run, option_codes=codes, radius_km=options["radius_km"], cost=options["outreach_cost"]
                )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as output:
                write_candidates(rows=rows, output=output)
        else:
            write_candidates(rows=rows, output=sys.stdout)
        self.stderr.write(f"{len(rows)} candidates from run {run.pk}.")

    def _run(self, run_id: int | None) -> ReachRun:
        if run_id:
            run = ReachRun.objects.filter(pk=run_id, status=RunStatus.SUCCEEDED).first()
        else:
            run = current_run()
        if run is None:
            raise CommandError("No such succeeded run: compute reach first.")
        return run
