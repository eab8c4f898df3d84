"""Writes for scenarios: create, add and remove changes, run (one or many as a Celery group), apply.

A scenario never touches the live catalogue until an admin applies it. Every change is checked
against the catalogue its earlier changes leave (reach.scenario_catalogue, which calls the one set
of offer rules) before it is stored.
"""

from __future__ import annotations

from celery import current_app, group
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.roles import ADMIN
from accounts.selectors import has_role
from areas.models import Locality
from services import services as catalogue
from services.models import Delivery, MenuOption, Provider, Site, SiteOffer

from .models import ChangeKind, ReachProfile, ReachRun, Scenario, ScenarioChange
from .scenario_catalogue import ScenarioInvalid
from .scenario_selectors import apply_changes, chain_changes, live_catalogue, scenario_catalogue, scenario_chain
from .services import COMPUTE_RUN_TASK, start_run


def _refuse_if_applied(scenario: Scenario) -> None:
    if scenario.applied_at is not None:
        raise ValidationError(
            {"scenario": f"scenario {scenario.name!r} was applied to the catalogue; it cannot change"}
        )


@transaction.atomic
def create_scenario(*, name: str, owner, base: Scenario | None = None, description: str = "") -> Scenario:
    """A new, empty scenario on the live catalogue (base None) or on another scenario."""
    scenario = Scenario(name=name.strip(), owner=owner, base=base, description=description)
    scenario.full_clean()
    scenario.save()
    return scenario


@transaction.atomic
def add_change(*, scenario: Scenario, kind: str, values: dict) -> ScenarioChange:
    """Append one change; raises ScenarioInvalid naming each broken rule, and stores nothing then."""
    scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)  # positions are handed out one at a time
    _refuse_if_applied(scenario)
    catalogue = live_catalogue()
    changes = [(link, change.kind, change.values) for link, change in chain_changes(scenario)]
    cleaned = apply_changes(catalogue, [*changes, (scenario, kind, values)])
    last = ScenarioChange.objects.filter(scenario=scenario).aggregate(last=Max("position"))["last"] or 0
    change = ScenarioChange.objects.create(scenario=scenario, position=last + 1, kind=kind, values=cleaned[-1][1])
    scenario.save(update_fields=["updated_at"])
    return change


@transaction.atomic
def remove_change(*, change: ScenarioChange) -> None:
    """Remove one change, unless a later change of the scenario needs it (ScenarioInvalid)."""
    scenario = Scenario.objects.select_for_update().get(pk=change.scenario_id)
    _refuse_if_applied(scenario)
    change.delete()
    scenario_catalogue(scenario)  # raises, rolling the delete back, when the rest no longer holds
    scenario.save(update_fields=["updated_at"])


@transaction.atomic
def start_scenario_runs(
    *, scenarios: list[Scenario], profile: ReachProfile | None = None, started_by=None, provider: str = "crowfly"
) -> list[ReachRun]:
    """One queued run per scenario (through start_run), sent together as one Celery group after commit.

    Each scenario is checked first, so a broken one is refused here rather than failing on the worker.
    """
    for scenario in scenarios:
        scenario_catalogue(scenario)
    runs = [
        start_run(profile=profile, provider=provider, started_by=started_by, scenario=scenario, send=False)
        for scenario in scenarios
    ]
    run_ids = [run.pk for run in runs]
    transaction.on_commit(
        lambda: group(current_app.signature(COMPUTE_RUN_TASK, args=[run_id]) for run_id in run_ids).apply_async()
    )
    return runs


@transaction.atomic
def apply_scenario(*, scenario: Scenario, applied_by) -> Scenario:
    """Make the scenario's changes (and those of its unapplied bases) to the live catalogue, in one
    transaction; admins only. Checked again against today's catalogue first: nothing is written
    when a change no longer holds. The catalogue services announce the change, so the recompute follows.
    """
    if not has_role(applied_by, ADMIN):
        raise PermissionDenied("Only a catalogue admin can apply a scenario to the catalogue.")
    scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
    _refuse_if_applied(scenario)
    changes = [(link, change.kind, change.values) for link, change in chain_changes(scenario)]
    for kind, values in apply_changes(live_catalogue(), changes):
        _write_change(kind, values)
    now = timezone.now()
    applied = [link.pk for link in scenario_chain(scenario) if link.applied_at is None]
    Scenario.objects.filter(pk__in=applied).update(applied_at=now, applied_by=applied_by)
    scenario.refresh_from_db()
    return scenario


def _offer(values: dict, delivery: str) -> SiteOffer:
    return SiteOffer.objects.get(site__code=values["site_code"], option__code=values["option_code"], delivery=delivery)


def _write_change(kind: str, values: dict) -> None:
    """One checked change, written through the catalogue's own services."""
    if kind == ChangeKind.ADD_SITE:
        provider = Provider.objects.filter(name=values["provider"]).first() or catalogue.create_provider(
            name=values["provider"], kind=values.get("provider_kind") or ""
        )
        location = Point(values["lon"], values["lat"], srid=4326)
        catalogue.create_site(code=values["code"], name=values["name"], provider=provider, location=location)
    elif kind in (ChangeKind.ADD_OFFER, ChangeKind.MAKE_REMOTE):
        delivery = values.get("delivery", Delivery.REMOTE)
        existing = SiteOffer.objects.filter(
            site__code=values["site_code"], option__code=values["option_code"], delivery=delivery
        ).first()
        fields = {
            name: values.get(name)
            for name in ("capacity_per_week", "waiting_weeks", "min_age", "max_age", "home_visit_km")
        }
        localities = list(Locality.objects.filter(code__in=values.get("outreach_localities") or []))
        changes = {**fields, "active": True, "outreach_localities": localities}
        if existing is None:
            changes |= {
                "site": Site.objects.get(code=values["site_code"]),
                "option": MenuOption.objects.get(code=values["option_code"]),
                "delivery": delivery,
            }
        catalogue.save_offer(offer=existing, changes=changes)
    elif kind == ChangeKind.CLOSE_SITE:
        catalogue.update_catalogue_object(
            instance=Site.objects.get(code=values["site_code"]), changes={"active": False}
        )
    elif kind == ChangeKind.CLOSE_OFFER:
        catalogue.save_offer(offer=_offer(values, values["delivery"]), changes={"active": False})
    elif kind == ChangeKind.CHANGE_OFFER:
        changes = {name: values[name] for name in ("capacity_per_week", "waiting_weeks") if name in values}
        catalogue.save_offer(offer=_offer(values, values["delivery"]), changes=changes)
    elif kind in (ChangeKind.ADD_OUTREACH, ChangeKind.REMOVE_OUTREACH):
        offer = _offer(values, Delivery.OUTREACH)
        named = set(Locality.objects.filter(code__in=values["localities"]))
        current = set(offer.outreach_localities.all())
        wanted = current | named if kind == ChangeKind.ADD_OUTREACH else current - named
        catalogue.save_offer(offer=offer, changes={"outreach_localities": list(wanted)})
    else:  # clean_change refuses unknown kinds before this
        raise ScenarioInvalid({"kind": f"{kind!r} cannot be applied"})
