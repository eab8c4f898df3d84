"""Scenario pages that work without script: plain forms, POST-redirect-GET, CSRF.

Commissioners and admins read every scenario; only its owner changes it; only an admin applies one.
The views only translate HTTP: reach.scenario_services writes, reach.scenario_selectors and
maps.scenario_selectors read.
"""

from __future__ import annotations

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
from choicemap.params import parse_id
from reach.models import ChangeKind, Scenario
from reach.scenario_catalogue import ScenarioInvalid
from reach.scenario_services import add_change, apply_scenario, create_scenario, remove_change, start_scenario_runs
from reach.services import RunAlreadyActive

from . import scenario_selectors as selectors
from .scenario_forms import CHANGE_FORMS, ChangeForm, ScenarioForm

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
