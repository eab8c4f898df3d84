"""Scenario pages that work without script: plain forms, POST-redirect-GET, CSRF.

Commissioners and admins read every scenario; only its owner changes it; only an admin applies one.
The views only translate HTTP: reach.scenario_services writes, reach.scenario_selectors and
maps.scenario_selectors read.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.views import View

from accounts.access import RoleRequiredMixin
from accounts.roles import ADMIN, COMMISSIONER
from accounts.selectors import has_role
from choicemap import csvsafe
from choicemap.imports import ImportFailed
from choicemap.params import parse_id
from reach.models import ChangeKind, Scenario
from reach.plan_services import make_plan, read_candidates, save_plan_as_scenario
from reach.scenario_catalogue import ScenarioInvalid
from reach.scenario_selectors import live_catalogue
from reach.scenario_services import add_change, apply_scenario, create_scenario, remove_change, start_scenario_runs
from reach.selectors import default_profile
from reach.services import RunAlreadyActive

from . import scenario_selectors as selectors
from .scenario_forms import CHANGE_FORMS, ChangeForm, PlanForm, SavePlanForm, ScenarioForm

SCENARIO_ROLES: tuple[str, ...] = (ADMIN, COMMISSIONER)


def _problems_text(error: ScenarioInvalid | ValidationError) -> str:
    if isinstance(error, ScenarioInvalid):
        return "; ".join(f"{where}: {why}" for where, why in error.problems.items())
    return "; ".join(error.messages)


class ScenarioListView(RoleRequiredMixin, View):
    allowed_roles = SCENARIO_ROLES

    def get(self, request, form: ScenarioForm | None = None):
        context = {"scenarios": selectors.scenario_list(), "form": form or ScenarioForm()}
        return render(request, "maps/scenarios/list.html", context, status=400 if form else 200)

    def post(self, request):
        form = ScenarioForm(request.POST)
        if not form.is_valid():
            return self.get(request, form)
        data = form.cleaned_data
        try:
            scenario = create_scenario(
                name=data["name"], owner=request.user, base=data["base"], description=data["description"]
            )
        except ValidationError as error:
            for name, reasons in error.message_dict.items():
                form.add_error(name if name in form.fields else None, reasons)
            return self.get(request, form)
        messages.success(request, f"Created scenario {scenario.name}. Add its changes below.")
        return redirect("maps:scenario", scenario.pk)


class ScenarioMixin(RoleRequiredMixin):
    """The scenario of the URL, and who may do what with it."""

    allowed_roles = SCENARIO_ROLES
    kwargs: dict
    request: HttpRequest

    @cached_property
    def scenario(self) -> Scenario:  # read after the role checks, so an anonymous visitor learns nothing
        return get_object_or_404(Scenario.objects.select_related("owner", "base"), pk=self.kwargs["scenario_id"])

    def may_edit(self) -> bool:
        return self.scenario.owner_id == self.request.user.pk and self.scenario.applied_at is None

    def refuse_unless_owner(self) -> None:
        if self.scenario.owner_id != self.request.user.pk:
            raise PermissionDenied("Only the scenario's owner can change it.")


class ScenarioView(ScenarioMixin, View):
    """The scenario's changes in words, a form per change kind for its owner, and its runs."""

    def get(self, request, scenario_id: int, form: ChangeForm | None = None):
        kind = form.kind if form else request.GET.get("kind", "")
        if form is None and kind in CHANGE_FORMS and self.may_edit():
            form = CHANGE_FORMS[kind](choices=self._choices())
        run = selectors.latest_run(self.scenario)
        context = {
            "scenario": self.scenario,
            "changes": selectors.described_changes(self.scenario),
            "bases": selectors.base_changes(self.scenario),
            "may_edit": self.may_edit(),
            "is_owner": self.scenario.owner_id == request.user.pk,
            "may_apply": has_role(request.user, ADMIN) and self.scenario.applied_at is None,
            "kinds": [(key, ChangeKind(key).label) for key in CHANGE_FORMS],
            "kind": kind,
            "form": form,
            "run": run,
            "run_active": run is not None and run.status in selectors.ACTIVE_STATUSES,
            "compared_run": selectors.latest_succeeded_run(self.scenario),
        }
        return render(request, "maps/scenarios/scenario.html", context, status=400 if form and form.errors else 200)

    def _choices(self):
        return selectors.form_choices(self.scenario)

    def post(self, request, scenario_id: int):
        """Add one change of the posted kind."""
        self.refuse_unless_owner()
        form_class = CHANGE_FORMS.get(request.POST.get("kind", ""))
        if form_class is None:
            messages.error(request, "Choose a kind of change first.")
            return redirect("maps:scenario", self.scenario.pk)
        form = form_class(request.POST, choices=self._choices())
        if form.is_valid():
            try:
                change = add_change(scenario=self.scenario, kind=form.kind, values=form.values())
            except ScenarioInvalid as error:
                form.add_rule_errors(error.problems)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, f"Added change {change.position}.")
                return redirect(f"{reverse('maps:scenario', args=[self.scenario.pk])}#changes")
        return self.get(request, scenario_id, form=form)


class RemoveChangeView(ScenarioMixin, View):
    def post(self, request, scenario_id: int, position: int):
        self.refuse_unless_owner()
        change = get_object_or_404(self.scenario.changes, position=position)
        try:
            remove_change(change=change)
        except (ScenarioInvalid, ValidationError) as error:
            messages.error(request, f"Change {position} was not removed: {_problems_text(error)}")
        else:
            messages.success(request, f"Removed change {position}.")
        return redirect(f"{reverse('maps:scenario', args=[self.scenario.pk])}#changes")


class RunScenarioView(ScenarioMixin, View):
    def post(self, request, scenario_id: int):
        if self.scenario.applied_at is not None:
            messages.error(
                request, "This scenario was applied: its changes are in the catalogue, so the map shows them."
            )
            return redirect("maps:scenario", self.scenario.pk)
        try:
            [run] = start_scenario_runs(scenarios=[self.scenario], started_by=request.user)
        except RunAlreadyActive as error:
            messages.error(request, f"Not started: {error} Wait for it to finish, then refresh this page.")
        except ScenarioInvalid as error:
            messages.error(request, f"Not started: the scenario no longer holds. {_problems_text(error)}")
        else:
            messages.success(request, f"Run {run.pk} is queued. Refresh this page to see its progress.")
        return redirect(f"{reverse('maps:scenario', args=[self.scenario.pk])}#run")


class CompareMixin(ScenarioMixin):
    """The chosen (or latest) succeeded run of the scenario, compared with its base."""

    def comparison(self):
        run = selectors.latest_succeeded_run(self.scenario, parse_id(self.request.GET.get("run")))
        return run, (selectors.comparison(run) if run is not None else None)


class CompareView(CompareMixin, View):
    def get(self, request, scenario_id: int):
        run, compared = self.comparison()
        sort = request.GET.get("sort", "locality_name")
        sort = sort if sort in selectors.SORT_KEYS else "locality_name"
        descending = request.GET.get("dir") == "desc"
        context = {
            "scenario": self.scenario,
            "run": run,
            "compared": compared,
            "rows": selectors.sorted_rows(compared["localities"], sort=sort, descending=descending) if compared else [],
            "sort": sort,
            "descending": descending,
            "columns": selectors.COMPARED,
        }
        return render(request, "maps/scenarios/compare.html", context)


class CompareCsvView(CompareMixin, View):
    def get(self, request, scenario_id: int):
        run, compared = self.comparison()
        if compared is None:
            return HttpResponse(
                "No comparison yet: the scenario or its base has no succeeded run.",
                status=409,
                content_type="text/plain; charset=utf-8",
            )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="scenario-{self.scenario.pk}-run-{run.pk}-compare.csv"'
        header, rows = selectors.csv_rows(compared)
        writer = csvsafe.writer(response)
        writer.writerow(header)
        writer.writerows(rows)
        return response


class LocalityCompareView(CompareMixin, View):
    def get(self, request, scenario_id: int):
        run, compared = self.comparison()
        code = request.GET.get("locality", "")
        detail = None
        if compared is not None:
            detail = selectors.locality_before_after(base=compared["base"], scenario_run=run, locality_code=code)
        context = {"scenario": self.scenario, "run": run, "compared": compared, "detail": detail, "code": code}
        return render(request, "maps/scenarios/locality.html", context, status=200 if detail or not code else 404)


class ApplyScenarioView(ScenarioMixin, View):
    allowed_roles: tuple[str, ...] = (ADMIN,)

    def get(self, request, scenario_id: int):
        context = {
            "scenario": self.scenario,
            "changes": selectors.described_changes(self.scenario),
            "bases": selectors.base_changes(self.scenario),
        }
        return render(request, "maps/scenarios/apply.html", context)

    def post(self, request, scenario_id: int):
        try:
            scenario = apply_scenario(scenario=self.scenario, applied_by=request.user)
        except (ScenarioInvalid, ValidationError) as error:
            messages.error(request, f"Not applied, nothing changed: {_problems_text(error)}")
        else:
            messages.success(request, f"Applied {scenario.name} to the catalogue; a recompute follows.")
        return redirect("maps:scenario", self.scenario.pk)


@contextmanager
def candidate_file(text: str) -> Iterator[Path]:
    """The candidate text as the file plan_services reads (problems then name candidates.csv)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "candidates.csv"
        path.write_text(text, encoding="utf-8")
        yield path


class PlannerView(RoleRequiredMixin, View):
    """The planner on candidates uploaded or generated: computed within the request (fine for the demo's
    size; the `plan` command and the API take the same inputs for large files)."""

    allowed_roles = SCENARIO_ROLES
    time_limit = 30.0  # seconds HiGHS may search before the page falls back to greedy with its bound

    def form(self, *args) -> PlanForm:
        return PlanForm(*args, option_choices=selectors.option_choices())

    def get(self, request):
        return render(request, "maps/scenarios/planner.html", {"form": self.form()})

    def post(self, request):
        form = self.form(request.POST, request.FILES)
        # The candidate file last read is kept in the page, for the next plan and for saving: not asked again.
        context: dict = {"form": form, "kept_text": request.POST.get("candidates_text", "")}
        if form.is_valid():
            text, problem = self.candidate_text(form)
            if problem:
                form.add_error("candidates" if form.cleaned_data["source"] == "file" else "generate_options", problem)
            else:
                context |= {"kept_text": text, **self.plan(form, text)}
        status = 400 if form.errors or context.get("problems") else 200
        return render(request, "maps/scenarios/planner.html", context, status=status)

    def candidate_text(self, form: PlanForm) -> tuple[str, str]:
        """The candidate file's text and, when there is none, why."""
        data = form.cleaned_data
        if data["source"] == "generate":
            if not data["generate_options"] or not data["generate_provider"]:
                return "", "choose at least one option and name the provider of the new sites"
            try:
                return selectors.generated_candidates_csv(
                    option_codes=data["generate_options"],
                    provider=data["generate_provider"].strip(),
                    provider_kind=data["generate_provider_kind"],
                    cost=data["generate_cost"] if data["generate_cost"] is not None else 1.0,
                    profile=data["profile"] or default_profile(),
                ), ""
            except ValueError as error:
                return "", str(error)
        upload = data["candidates"]
        if upload is None:
            return (data["candidates_text"], "") if data["candidates_text"] else ("", "choose a candidate file")
        try:
            return upload.read().decode("utf-8-sig"), ""
        except UnicodeDecodeError:
            return "", f"{upload.name} is not UTF-8 text: save it as CSV (UTF-8) and upload it again"

    def plan(self, form: PlanForm, text: str) -> dict:
        data = form.cleaned_data
        with candidate_file(text) as path:
            try:
                plan, _ = make_plan(
                    path=path,
                    budget=data["budget"],
                    objective=data["objective"],
                    min_options=data["min_options"],
                    weight=data["weight"],
                    profile=data["profile"],
                    time_limit=self.time_limit,
                )
            except ImportFailed as error:
                return {"problems": [f"{p.location}, {p.field}: {p.reason}" for p in error.problems]}
        return {
            "plan": plan,
            "gaining": selectors.plan_localities(plan),
            "equity_rows": selectors.equity_rows(plan["equity_before"], plan["equity_after"]),
            "save_form": SavePlanForm(initial={"candidates_text": text, "chosen": "\n".join(plan["chosen"])}),
        }


class SavePlanView(RoleRequiredMixin, View):
    """The plan's chosen candidates as a new scenario of the signed-in user, in one click."""

    allowed_roles = SCENARIO_ROLES

    def post(self, request):
        form = SavePlanForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Not saved: give the scenario a name and plan again.")
            return redirect("maps:planner")
        data = form.cleaned_data
        with candidate_file(data["candidates_text"]) as path:
            try:
                candidates = read_candidates(path=path, catalogue=live_catalogue())
            except ImportFailed as error:
                messages.error(request, f"Not saved: the candidates no longer fit the catalogue. {error}")
                return redirect("maps:planner")
        chosen = [line.strip() for line in data["chosen"].splitlines() if line.strip()]
        unknown = sorted(set(chosen) - {candidate.id for candidate in candidates})
        if unknown or not chosen:
            messages.error(request, f"Not saved: no candidate {', '.join(unknown) or '(none chosen)'} in the file.")
            return redirect("maps:planner")
        try:
            scenario = save_plan_as_scenario(
                name=data["name"], owner=request.user, chosen=chosen, candidates=candidates
            )
        except (ScenarioInvalid, ValidationError) as error:
            messages.error(request, f"Not saved: {_problems_text(error)}")
            return redirect("maps:planner")
        messages.success(request, f"Saved the plan as scenario {scenario.name}. Run it to check the promise.")
        return redirect("maps:scenario", scenario.pk)
