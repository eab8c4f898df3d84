import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from choicemap.imports import ImportFailed
from reach.models import ReachProfile, TravelProvider
from reach.plan_services import WEIGHTS, make_plan, save_plan_as_scenario
from reach.planner import OBJECTIVES
from reach.selectors import default_profile


class Command(BaseCommand):
    help = "Choose which candidate offers to add under a budget (exact MILP with HiGHS, or lazy greedy when large)."

    def add_arguments(self, parser):
        parser.add_argument("--candidates", required=True, help="CSV: id,cost then the import_catalogue columns")
        parser.add_argument("--budget", required=True, type=float)
        parser.add_argument("--objective", required=True, choices=OBJECTIVES)
        parser.add_argument("--min-options", type=int, default=1, help="N for min_menu (default 1)")
        parser.add_argument("--weight", choices=WEIGHTS, default="none", help="imd: deprived people count more")
        parser.add_argument("--profile", help="reach profile name (default: the default profile)")
        parser.add_argument("--provider", choices=TravelProvider.values, default=TravelProvider.CROWFLY)
        parser.add_argument("--time-limit", type=float, default=60, help="seconds HiGHS may search")
        parser.add_argument("--output", required=True, help="where to write the plan as JSON")
        parser.add_argument("--save-scenario", metavar="NAME", help="also save the plan as a scenario of this name")
        parser.add_argument("--owner", help="username owning the saved scenario")

    def handle(self, *args, **options):
        if options["budget"] < 0 or options["min_options"] < 1:
            raise CommandError("--budget cannot be negative and --min-options is at least 1.")
        try:
            profile = ReachProfile.objects.get(name=options["profile"]) if options["profile"] else default_profile()
        except ReachProfile.DoesNotExist:
            names = ", ".join(ReachProfile.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"No reach profile {options['profile']!r} (profiles: {names}).") from None
        owner = None
        if options["owner"]:
            owner = get_user_model().objects.filter(username=options["owner"]).first()
            if owner is None:
                raise CommandError(f"No user {options['owner']!r}.")
        try:
            plan, candidates = make_plan(
                path=options["candidates"],
                budget=options["budget"],
                objective=options["objective"],
                min_options=options["min_options"],
                weight=options["weight"],
                profile=profile,
                provider=options["provider"],
                time_limit=options["time_limit"],
            )
        except ImportFailed as failure:
            count = len(failure.problems)
            lines = [f"Candidates refused, nothing was planned: {count} problem{'s' * (count != 1)}."]
            raise CommandError("\n".join(lines + [f"  {problem}" for problem in failure.problems])) from None
        if options["save_scenario"]:
            scenario = save_plan_as_scenario(
                name=options["save_scenario"], owner=owner, chosen=plan["chosen"], candidates=candidates
            )
            plan["scenario"] = scenario.pk
        Path(options["output"]).write_text(json.dumps(plan, indent=2), encoding="utf-8")
        proof = "optimal" if plan["optimal"] else f"{plan['method']}, {plan['guarantee']}"
        self.stdout.write(
            f"{plan['objective']}: {plan['value_before']:.6g} → {plan['value_after']:.6g} ({proof}) "
            f"choosing {len(plan['chosen'])} of {plan['n_candidates']} for {plan['cost']:g} in {plan['seconds']:.2f} s"
        )
