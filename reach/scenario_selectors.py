"""Reads for scenarios: a scenario's chain of bases, its catalogue and snapshot, and its comparison."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from services.models import Provider, Site, SiteOffer

from .equity import LocalityFigures, compare_figures
from .models import ChangeKind, ReachRun, RunStatus, Scenario, ScenarioChange
from .scenario_catalogue import ScenarioCatalogue, ScenarioInvalid, catalogue_from_snapshot, clean_change
from .selectors import CatalogueSnapshot, current_run, load_snapshot


def scenario_chain(scenario: Scenario) -> list[Scenario]:
    """The scenario and its bases, the one built on the live catalogue first."""
    chain: list[Scenario] = []
    seen: set[int] = set()
    current: Scenario | None = scenario
    while current is not None:
        if current.pk in seen:
            raise ScenarioInvalid({"base": f"scenario {current.pk} is its own base through {len(chain)} steps"})
        seen.add(current.pk)
        chain.append(current)
        current = current.base
    return chain[::-1]


def chain_changes(scenario: Scenario) -> list[tuple[Scenario, ScenarioChange]]:
    """The changes of the chain in order; an applied link's changes are in the live catalogue already."""
    return [
        (link, change)
        for link in scenario_chain(scenario)
        if link.applied_at is None
        for change in ScenarioChange.objects.filter(scenario=link).order_by("position")
    ]


def added_site_codes(scenario: Scenario) -> list[str]:
    """Codes of the sites the scenario (with its bases) adds, in the order its snapshot appends them."""
    return [change.values["code"] for _, change in chain_changes(scenario) if change.kind == ChangeKind.ADD_SITE]


def live_catalogue(snapshot: CatalogueSnapshot | None = None) -> ScenarioCatalogue:
    """The live catalogue, in memory, for a scenario to change."""
    snapshot = snapshot or load_snapshot()
    site_rows = Site.objects.values_list("id", "code", "provider_id", "active")
    return catalogue_from_snapshot(
        snapshot=snapshot,
        site_codes={r[0]: r[1] for r in site_rows},
        site_providers={r[0]: r[2] for r in site_rows},
        site_active={r[0]: r[3] for r in site_rows},
        offer_active=dict(SiteOffer.objects.filter(pk__in=snapshot.offer_ids.tolist()).values_list("id", "active")),
        provider_names=dict(Provider.objects.values_list("name", "id")),
        provider_kinds=dict(Provider.objects.values_list("name", "kind")),
    )


def apply_changes(catalogue: ScenarioCatalogue, changes: list[tuple[Scenario, str, dict]]) -> list[tuple[str, dict]]:
    """Apply (scenario, kind, values) in order; returns the cleaned (kind, values) or raises
    ScenarioInvalid naming the scenario, the change's place and the field of every problem."""
    problems: dict[str, str] = {}
    cleaned_changes = []
    for position, (scenario, kind, values) in enumerate(changes, start=1):
        cleaned, found = clean_change(kind, values)
        if not found:
            found = catalogue.apply(kind, cleaned)
        for field_name, message in found.items():
            problems[f"scenario {scenario.name!r}, change {position} ({kind}), {field_name}"] = message
        cleaned_changes.append((kind, cleaned))
        if found:
            break  # later changes may lean on this one: report from the first broken change
    if problems:
        raise ScenarioInvalid(problems)
    return cleaned_changes


def scenario_catalogue(scenario: Scenario, *, extra: Sequence[tuple[str, dict]] = ()) -> ScenarioCatalogue:
    """The live catalogue with the scenario's chain of changes (and `extra` ones after them) applied."""
    catalogue = live_catalogue()
    changes = [(link, change.kind, change.values) for link, change in chain_changes(scenario)]
    apply_changes(catalogue, changes + [(scenario, kind, values) for kind, values in extra])
    return catalogue


def scenario_snapshot(scenario: Scenario) -> CatalogueSnapshot:
    return scenario_catalogue(scenario).snapshot()


def base_run_for(run: ReachRun) -> ReachRun | None:
    """What a scenario run is compared with: the newest succeeded run of the same profile on its base
    (the base scenario, or the live catalogue)."""
    scenario = run.scenario if run.scenario_id else None
    base = scenario.base if scenario is not None else None
    if base is None:
        return current_run(profile=run.profile) if run.profile_id else None
    return (
        ReachRun.objects.filter(scenario=base, profile=run.profile, status=RunStatus.SUCCEEDED)
        .order_by("-finished_at", "-id")
        .first()
    )


_FIGURE_FIELDS = (
    "locality_code",
    "population",
    "car_share",
    "menu_without_car",
    "menu_with_car",
    "expected_menu",
    "real_choice_without_car",
    "locality__rurality",
    "locality__imd_decile",
)


def run_figures(run: ReachRun, codes: list[str] | None = None) -> LocalityFigures:
    rows = run.results.order_by("locality_code").values_list(*_FIGURE_FIELDS)
    if codes is not None:
        rows = rows.filter(locality_code__in=codes)
    table = list(rows)
    column: list[Sequence[Any]] = list(zip(*table, strict=True)) if table else [[] for _ in _FIGURE_FIELDS]
    return LocalityFigures(
        codes=list(column[0]),
        population=np.array(column[1], dtype=np.float64),
        car_share=np.array(column[2], dtype=np.float64),
        menu_without_car=np.array(column[3], dtype=np.int64),
        menu_with_car=np.array(column[4], dtype=np.int64),
        expected_menu=np.array(column[5], dtype=np.float64),
        real_choice_without_car=np.array(column[6], dtype=np.int64),
        rurality=np.array([r or "" for r in column[7]], dtype=object),
        imd_decile=np.array([d or 0 for d in column[8]], dtype=np.int64),
        n_options=len(run.option_codes),
    )


def compare_runs(*, base: ReachRun, scenario_run: ReachRun) -> dict:
    """Per locality and overall, the scenario run against its base run (localities in both)."""
    codes = sorted(
        set(base.results.values_list("locality_code", flat=True))
        & set(scenario_run.results.values_list("locality_code", flat=True))
    )
    comparison = compare_figures(before=run_figures(base, codes), after=run_figures(scenario_run, codes))
    return {"base_run": base.pk, "scenario_run": scenario_run.pk, **comparison}
