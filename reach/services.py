"""Writes for reach: profiles, runs (create, execute, cancel), the travel-time matrix."""

from __future__ import annotations

import csv
import datetime
import io
import logging
import math
import time
import traceback
from pathlib import Path
from typing import cast

import numpy as np
from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Field
from django.db.models.functions import Coalesce
from django.utils import timezone

from areas.models import Locality
from choicemap.imports import ImportFailed, ImportReport, RowReader, run_import
from services.models import Site

from .engine import ReachParams, ReachResult, compute_reach, crowfly_for_params
from .models import (
    PROFILE_FIELDS,
    TRAVEL_FIELDS,
    LocalityResult,
    Mode,
    ReachProfile,
    ReachRun,
    RunStatus,
    Scenario,
    TravelProvider,
    TravelSource,
    TravelTime,
)
from .network_services import network_times_for_run
from .networks.errors import NetworkInputError
from .scenario_selectors import added_site_codes, scenario_snapshot
from .selectors import (
    CatalogueSnapshot,
    active_run,
    default_profile,
    engine_params,
    load_snapshot,
    matrix_travel_times_for,
    travel_provenance,
)
from .travel import MODES, PairTriple, TravelTimes

COMPUTE_RUN_TASK = "reach.compute_reach_run"  # the task's registered name: services never import tasks
SETTABLE_FIELDS = PROFILE_FIELDS + TRAVEL_FIELDS

logger = logging.getLogger(__name__)

TRAVEL_TIME_COLUMNS = ["locality_code", "site_code", "mode", "minutes"]
RESULT_COLUMNS = [
    "run_id",
    "locality_id",
    "locality_code",
    "locality_name",
    "population",
    "car_share",
    "menu_without_car",
    "menu_with_car",
    "expected_menu",
    "real_choice_without_car",
    "real_choice_with_car",
    "providers_without_car",
    "providers_with_car",
    "nearest_walk_minutes",
    "nearest_pt_minutes",
    "nearest_car_minutes",
    "nearest_walk_site",
    "nearest_pt_site",
    "nearest_car_site",
    "nearest_cycle_minutes",
    "nearest_cycle_site",
    "access_without_car",
    "access_with_car",
]


class RunFailed(Exception):
    pass


class RunCancelled(RunFailed):
    """The run was cancelled while it computed; its results were discarded."""


class RunAlreadyActive(Exception):
    """A profile already has a queued or running run; `run` is that run."""

    def __init__(self, run: ReachRun):
        self.run = run
        super().__init__(f"Run {run.pk} of {run.profile_name} is already {run.status}.")


def ensure_default_profile() -> ReachProfile:
    try:
        return default_profile()
    except ReachProfile.DoesNotExist:
        return ReachProfile.objects.create(name="Default", is_default=True, description="The design card's defaults.")


def parse_overrides(assignments: list[str]) -> dict:
    """`FIELD=VALUE` strings to typed profile overrides; unknown fields and bad values raise ValueError."""
    overrides = {}
    for assignment in assignments:
        name, sep, raw = assignment.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or name not in SETTABLE_FIELDS:
            raise ValueError(
                f"--set {assignment!r}: expected FIELD=VALUE with FIELD one of {', '.join(SETTABLE_FIELDS)}"
            )
        model_field = cast(Field, ReachProfile._meta.get_field(name))  # profile fields are all concrete
        if name in TRAVEL_FIELDS and model_field.get_internal_type() in TEXT_KINDS:
            overrides[name] = _clean_travel_setting(name, raw, where=f"--set {assignment!r}")
            continue
        try:
            if model_field.get_internal_type() == "BooleanField":
                value = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}[raw.lower()]
            else:
                value = model_field.to_python(raw)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError
            for validator in model_field.validators:
                validator(value)
        except (KeyError, ValueError, ValidationError):
            kind = {"BooleanField": "true or false", "FloatField": "number"}.get(
                model_field.get_internal_type(), "whole number"
            )
            raise ValueError(f"--set {assignment!r}: {raw!r} is not a valid {kind}") from None
        overrides[name] = value
    return overrides


TEXT_KINDS = {"CharField", "DateField", "TimeField"}


def _clean_travel_setting(name: str, value, *, where: str):
    """A source, network name, date or time setting, checked by its model field; JSON-ready (ISO text)."""
    model_field = ReachProfile._meta.get_field(name)
    if not isinstance(model_field, Field):  # the travel settings are the profile's own columns
        raise TypeError(f"{name} is not a field of the reach profile")
    if value is None or value == "":
        if model_field.null or model_field.blank:
            return None if model_field.null else ""
        raise ValueError(f"{where}: a value is required")
    try:
        cleaned = model_field.clean(str(value), None)
    except ValidationError as exc:
        raise ValueError(f"{where}: {' '.join(exc.messages)}") from None
    return cleaned.isoformat() if hasattr(cleaned, "isoformat") else cleaned


def _check_override(name: str, value):
    """One override typed by its profile field; ValueError says what is wrong with it."""
    if name not in SETTABLE_FIELDS:
        raise ValueError(f"Not a profile field (fields: {', '.join(SETTABLE_FIELDS)}).")
    kind = ReachProfile._meta.get_field(name).get_internal_type()
    if kind in TEXT_KINDS:
        return _clean_travel_setting(name, value, where=name)
    if kind == "BooleanField":
        if not isinstance(value, bool):
            raise ValueError("Must be true or false.")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("Must be a number.")
    if kind == "FloatField":
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ValueError("Must be a finite number.")
        return number
    if 0 <= value <= 32767 and float(value).is_integer():
        return int(value)
    raise ValueError("Must be a whole number from 0 to 32767.")


def check_overrides(*, profile: ReachProfile, overrides: dict) -> dict:
    """Typed per-run overrides of profile fields, held to the profile's own rules.

    Raises ValidationError naming each bad field, e.g. a negative time or a speed of zero.
    """
    problems: dict[str, list[str]] = {}
    checked = {}
    for name, value in overrides.items():
        try:
            checked[name] = _check_override(name, value)
        except ValueError as exc:
            problems[name] = [str(exc)]
    if problems:
        raise ValidationError(problems)
    candidate = ReachProfile(**{**profile.params(), **checked})
    try:
        candidate.validate_constraints(exclude={"is_default"})
    except ValidationError as exc:
        raise ValidationError(exc.messages) from None
    return checked


@transaction.atomic
def create_run(
    *,
    profile: ReachProfile | None = None,
    provider: str | None = None,
    overrides: dict | None = None,
    started_by=None,
    automatic: bool = False,
    scenario: Scenario | None = None,
) -> ReachRun:
    """A queued run holding the exact parameters it will use; not sent, and not checked against active runs.

    Callers that start work use `start_run`; this is its building block (and the tests'). Each
    mode's source comes from the profile (``walk_source``, ...); a ``provider`` given here sets
    every mode to that one source. The run's provider is that common source, or ``mixed``.
    """
    profile = profile or default_profile()
    if provider is not None and provider not in TravelSource.values:
        raise ValueError(f"unknown travel-time provider {provider!r} (one of {', '.join(TravelSource.values)})")
    params = {**profile.params(), **(overrides or {})}
    if provider is not None:
        params |= {f"{mode}_source": provider for mode in MODES}
    ReachParams(**engine_params(params))  # fails early on a field the engine does not know
    sources = {params[f"{mode}_source"] for mode in MODES}
    if TravelSource.NETWORK in sources and not params.get("network"):
        raise ValueError("a mode with source 'network' needs a network: --set network=NAME")
    return ReachRun.objects.create(
        profile=profile,
        profile_name=profile.name,
        params=params,
        provider=sources.pop() if len(sources) == 1 else TravelProvider.MIXED,
        started_by=started_by,
        automatic=automatic,
        scenario=scenario,
    )


def enqueue_run(*, run: ReachRun) -> None:
    """Send the run to the worker, by the task's name, once the transaction that created it has committed."""
    transaction.on_commit(lambda: _send_run(run.pk))


def _send_run(run_id: int) -> None:
    """A run whose message cannot reach the broker is marked failed at once, never left queued for good."""
    try:
        current_app.send_task(COMPUTE_RUN_TASK, args=[run_id])
    except Exception as exc:  # kombu raises the transport's own errors (OperationalError, OSError, redis, amqp)
        logger.error("reach run %s could not be sent to the task queue: %s", run_id, exc)
        ReachRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            error=f"The task queue could not be reached, so the run was never started ({type(exc).__name__}: {exc}).",
        )


def fail_stale_runs() -> list[int]:
    """Queued or running runs with no sign of life for REACH_RUN_STALE_SECONDS become failed (stale).

    A worker killed mid-run, or a message lost between the database and the broker, would otherwise hold
    its profile's one active run for good. Sign of life: the heartbeat (claim and progress), else the
    time it was queued. Returns the ids it failed.
    """
    limit = datetime.timedelta(seconds=settings.REACH_RUN_STALE_SECONDS)
    cutoff = timezone.now() - limit
    stale = list(
        ReachRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
        .annotate(last_sign=Coalesce("heartbeat_at", "created_at"))
        .filter(last_sign__lt=cutoff)
        .values_list("pk", flat=True)
    )
    if stale:
        ReachRun.objects.filter(pk__in=stale, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            error=f"Stale: no sign of life from a worker for over {limit} (the worker was lost, or the "
            "task never reached it). The current results are unchanged; start the run again.",
        )
        logger.warning("reach runs %s marked failed: stale for over %s", stale, limit)
    return stale


@transaction.atomic
def start_run(
    *,
    profile: ReachProfile | None = None,
    provider: str | None = None,
    overrides: dict | None = None,
    started_by=None,
    automatic: bool = False,
    send: bool = True,
    scenario: Scenario | None = None,
) -> ReachRun:
    """The one door to start a run: of `profile`, or the default profile when it is None, on the live
    catalogue or, with `scenario`, on that scenario's modified catalogue.

    One active (queued or running) run per profile and scenario: raises RunAlreadyActive carrying that run.
    An automatic run (a catalogue change) is refused only by a queued run, which has not loaded
    its snapshot yet and so will see the change; a running one took its snapshot before it, so
    the automatic run waits behind it. The run is sent to the worker after commit; `send=False`
    leaves it queued for the caller to execute in-process (`compute_reach --sync`).
    """
    profile = profile or default_profile()
    ReachProfile.objects.select_for_update().filter(pk=profile.pk).first()  # one start per profile at a time
    fail_stale_runs()  # a lost run must not refuse this one for good
    blocking = active_run(profile=profile, queued_only=automatic, scenario=scenario)
    if blocking is not None:
        raise RunAlreadyActive(blocking)
    run = create_run(
        profile=profile,
        provider=provider,
        overrides=overrides,
        started_by=started_by,
        automatic=automatic,
        scenario=scenario,
    )
    if send:
        enqueue_run(run=run)
    return run


def queue_default_recompute() -> None:
    """After a catalogue or locality change commits: one automatic run of the default profile.

    Coalesced through start_run: while a run of that profile is queued, no second one is added.
    """
    if not settings.REACH_AUTO_RECOMPUTE:
        return
    try:
        start_run(automatic=True)
    except (ReachProfile.DoesNotExist, RunAlreadyActive):
        return


def _set_progress(run_id: int, percent: int) -> None:
    # Outside any transaction, so a page polling the run sees it move; also the run's heartbeat.
    ReachRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        progress=max(0, min(100, percent)), heartbeat_at=timezone.now()
    )


def cancel_run(*, run: ReachRun) -> bool:
    """Queued or running runs become cancelled; a running one stops before storing anything."""
    return bool(
        ReachRun.objects.filter(pk=run.pk, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).update(
            status=RunStatus.CANCELLED, finished_at=timezone.now()
        )
    )


class MatricesPending(Exception):
    """The run's network matrices are being computed by the workers; the last chunk sends the run again."""


def travel_times_for_run(
    *, run: ReachRun, snapshot: CatalogueSnapshot, params: ReachParams, inline: bool
) -> tuple[TravelTimes, dict]:
    """Each mode's minutes from its own source (crow-fly, imported matrix or network), and their provenance."""
    sources = {mode: run.params.get(f"{mode}_source", run.provider) for mode in MODES}
    pairs: dict[str, PairTriple] = {}
    if TravelSource.CROWFLY in sources.values():
        crowfly = crowfly_for_params(localities=snapshot.localities, sites=snapshot.sites, params=params)
        pairs |= {mode: crowfly.pairs[mode] for mode in MODES if sources[mode] == TravelSource.CROWFLY}
    if TravelSource.MATRIX in sources.values():
        _refuse_new_sites_on_matrix(run, snapshot, [mode for mode in MODES if sources[mode] == TravelSource.MATRIX])
        matrix = matrix_travel_times_for(snapshot)
        pairs |= {mode: matrix.pairs[mode] for mode in MODES if sources[mode] == TravelSource.MATRIX}
    network = None
    network_modes = [mode for mode in MODES if sources[mode] == TravelSource.NETWORK]
    if network_modes:
        network = network_times_for_run(
            run=run,
            lat=snapshot.localities.lat,
            lon=snapshot.localities.lon,
            site_lat=snapshot.sites.lat,
            site_lon=snapshot.sites.lon,
            modes=network_modes,
            inline=inline,
        )
        if network is None:
            raise MatricesPending
        pairs |= network.pairs
    travel = TravelTimes(pairs=pairs, n_localities=snapshot.localities.n, n_sites=snapshot.sites.n)
    return travel, travel_provenance(run_params=run.params, sources=sources, network=network, snapshot=snapshot)


def _refuse_new_sites_on_matrix(run: ReachRun, snapshot: CatalogueSnapshot, modes: list[str]) -> None:
    """An imported matrix has no rows for a site a scenario adds: its offers would silently reach
    no one by those modes, so the run is refused, naming the sites and what to do instead."""
    new = np.flatnonzero(snapshot.site_ids < 0)
    if not new.size:
        return
    codes = added_site_codes(run.scenario) if run.scenario is not None else []
    points = [f"{snapshot.sites.lat[j]:.5f}, {snapshot.sites.lon[j]:.5f}" for j in new]
    named = ", ".join(f"{code} ({point})" for code, point in zip(codes, points, strict=False)) or "; ".join(points)
    raise RunFailed(
        f"the imported travel-time matrix has no rows for the {new.size} new site(s) this scenario adds: {named}. "
        f"Travel times for {', '.join(modes)} come from the matrix: import rows for these sites, or run the "
        "scenario with crow-fly or a travel network for those modes (e.g. --set walk_source=crowfly)."
    )


def compute_snapshot(
    *, snapshot: CatalogueSnapshot, params: ReachParams, travel: TravelTimes, progress=None
) -> ReachResult:
    return compute_reach(
        localities=snapshot.localities,
        sites=snapshot.sites,
        offers=snapshot.offers,
        n_options=snapshot.n_options,
        n_providers=snapshot.n_providers,
        travel=travel,
        params=params,
        progress=progress,
    )


def execute_run(*, run_id: int, inline: bool = True) -> ReachRun:
    """Compute a run and store its results; re-running the same id replaces only its own results.

    Any error marks the run failed (with the error text) and stores nothing, so the current
    results stay what they were. Network matrices missing from the cache are computed here
    (``inline``) or sent to the workers as chunks, after which the run waits, still running,
    until the last chunk sends it again.
    """
    claimed = ReachRun.objects.filter(
        pk=run_id, status__in=[RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.FAILED]
    ).update(
        status=RunStatus.RUNNING,
        progress=0,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        finished_at=None,
        error="",
    )
    run = ReachRun.objects.filter(pk=run_id).first()
    if run is None:
        raise RunFailed(f"no reach run {run_id}")
    if not claimed:
        return run  # already succeeded or cancelled: nothing to do
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        scenario = run.scenario if run.scenario_id else None
        snapshot = scenario_snapshot(scenario) if scenario is not None else load_snapshot()
        timings["load_seconds"] = round(time.perf_counter() - started, 3)
        _set_progress(run_id, 5)
        started = time.perf_counter()
        params = ReachParams(**engine_params(run.params))
        travel, provenance = travel_times_for_run(run=run, snapshot=snapshot, params=params, inline=inline)
        timings["travel_seconds"] = round(time.perf_counter() - started, 3)
        _set_progress(run_id, 50)
        started = time.perf_counter()
        result = compute_snapshot(
            snapshot=snapshot,
            params=params,
            travel=travel,
            progress=lambda pct: _set_progress(run_id, 50 + int(pct * 0.35)),
        )
        timings["compute_seconds"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        with transaction.atomic():
            locked = ReachRun.objects.select_for_update().get(pk=run_id)
            if locked.status == RunStatus.CANCELLED:
                raise RunCancelled("run is cancelled; results discarded")
            if locked.status != RunStatus.RUNNING:
                raise RunFailed(f"run is {locked.status}; results discarded")
            LocalityResult.objects.filter(run_id=run_id).delete()
            _store_results(run_id=run_id, snapshot=snapshot, result=result)
            timings["store_seconds"] = round(time.perf_counter() - started, 3)
            ReachRun.objects.filter(pk=run_id).update(
                status=RunStatus.SUCCEEDED,
                progress=100,
                finished_at=timezone.now(),
                summary=result.summary,
                snapshot_id=snapshot.snapshot_id,
                snapshot_counts=snapshot.counts(),
                option_codes=snapshot.option_codes,
                timings=timings,
                provenance=provenance,
                network_build_id=provenance.get("network_build_id"),
            )
    except MatricesPending:
        pass  # still running: the workers' last chunk sends it again
    except RunCancelled:
        logger.info("reach run %s was cancelled while computing; results discarded", run_id)
    except Exception as exc:
        logger.exception("reach run %s failed", run_id)
        if isinstance(exc, NetworkInputError):
            exc = RunFailed("; ".join(exc.problems))
        ReachRun.objects.filter(pk=run_id).exclude(status=RunStatus.CANCELLED).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            timings=timings,
            error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=5)}",
        )
    run.refresh_from_db()
    return run


def _pg_array(values: np.ndarray, *, digits: int | None = None, ids: np.ndarray | None = None) -> str:
    """A PostgreSQL array literal; NaN (or index −1 for ids) becomes NULL."""
    if ids is not None:
        return "{" + ",".join("NULL" if v < 0 else str(int(ids[v])) for v in values.tolist()) + "}"
    if digits is None:
        return "{" + ",".join(str(v) for v in values.tolist()) + "}"
    return "{" + ",".join("NULL" if math.isnan(v) else str(round(v, digits)) for v in values.tolist()) + "}"


def _store_results(*, run_id: int, snapshot: CatalogueSnapshot, result: ReachResult) -> None:
    """COPY one row per locality: orders of magnitude faster than INSERTs at England scale."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for i, locality_id in enumerate(snapshot.locality_ids.tolist()):
        writer.writerow(
            [
                run_id,
                locality_id,
                snapshot.locality_codes[i],
                snapshot.locality_names[i],
                int(snapshot.localities.population[i]),
                float(result.car_share[i]),
                int(result.menu_without_car[i]),
                int(result.menu_with_car[i]),
                float(result.expected_menu[i]),
                int(result.real_choice_without_car[i]),
                int(result.real_choice_with_car[i]),
                _pg_array(result.providers_without_car[i]),
                _pg_array(result.providers_with_car[i]),
                _pg_array(result.nearest_minutes["walk"][i], digits=2),
                _pg_array(result.nearest_minutes["pt"][i], digits=2),
                _pg_array(result.nearest_minutes["car"][i], digits=2),
                _pg_array(result.nearest_site["walk"][i], ids=snapshot.site_ids),
                _pg_array(result.nearest_site["pt"][i], ids=snapshot.site_ids),
                _pg_array(result.nearest_site["car"][i], ids=snapshot.site_ids),
                _pg_array(result.nearest_minutes["cycle"][i], digits=2),
                _pg_array(result.nearest_site["cycle"][i], ids=snapshot.site_ids),
                _pg_array(result.accessibility_without_car[i], digits=6),
                _pg_array(result.accessibility_with_car[i], digits=6),
            ]
        )
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {LocalityResult._meta.db_table} ({', '.join(RESULT_COLUMNS)}) FROM STDIN WITH (FORMAT csv)", buffer
        )


def import_travel_times(*, path: Path | str, dry_run: bool = False) -> ImportReport:
    """Replace the whole travel-time matrix from `locality_code,site_code,mode,minutes` (all-or-nothing).

    The file is one routing engine's table, so rows are never merged with an older table.
    """
    reader = RowReader(path, required=TRAVEL_TIME_COLUMNS)
    parse = reader.parse
    locality_ids = dict(Locality.objects.values_list("code", "id"))
    site_ids = dict(Site.objects.values_list("code", "id"))
    seen: dict[tuple[str, str, str], int] = {}
    rows: list[TravelTime] = []
    for row_number, row in reader.rows():
        where = f"row {row_number}"
        locality_code, site_code = row["locality_code"], row["site_code"]
        mode = parse.choice(where, "mode", row["mode"], Mode.values)
        minutes = parse.number(where, "minutes", row["minutes"], required=True, minimum=0)
        if not locality_code:
            reader.problem(where, "locality_code", "is required")
        elif locality_code not in locality_ids:
            reader.problem(where, "locality_code", f"unknown locality code {locality_code!r}")
        if not site_code:
            reader.problem(where, "site_code", "is required")
        elif site_code not in site_ids:
            reader.problem(where, "site_code", f"unknown site code {site_code!r}")
        key = (locality_code, site_code, mode)
        if key in seen:
            reader.problem(
                where, "mode", f"duplicate pair {locality_code}/{site_code}/{mode} (first on row {seen[key]})"
            )
        seen.setdefault(key, row_number)
        if len(reader.problems) > 1000:
            reader.problem(where, "", "more than 1,000 problems: stopped reading")
            break
        if locality_code in locality_ids and site_code in site_ids and mode and minutes is not None:
            rows.append(
                TravelTime(
                    locality_id=locality_ids[locality_code], site_id=site_ids[site_code], mode=mode, minutes=minutes
                )
            )
    if reader.problems:
        raise ImportFailed(reader.problems)

    def write() -> ImportReport:
        report = ImportReport(file=reader.file, dry_run=dry_run)
        TravelTime.objects.all().delete()
        TravelTime.objects.bulk_create(rows, batch_size=5000)
        report.created = len(rows)
        return report

    return run_import(write, dry_run=dry_run)
