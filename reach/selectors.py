"""Reads for reach: the catalogue snapshot the engine computes on, runs and their results."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.db.models import FloatField, Func, QuerySet
from django.utils import timezone

from areas.models import Locality
from services.models import MenuOption, Site, SiteOffer

from .engine import DELIVERY_CODES, LocalityArrays, OfferArrays, SiteArrays
from .models import PROFILE_FIELDS, LocalityResult, NetworkBuild, ReachProfile, ReachRun, RunStatus, TravelTime
from .travel import MODES, TravelTimes, matrix_travel_times


@dataclass
class CatalogueSnapshot:
    """Everything one run computes on, as engine arrays plus the ids that map them back.

    A scenario run computes on a modified copy (reach.scenario_catalogue), so scenarios and plain
    runs share one code path. Sites, offers and providers a scenario adds have negative ids.
    """

    locality_ids: np.ndarray
    locality_codes: list[str]
    locality_names: list[str]
    localities: LocalityArrays
    site_ids: np.ndarray
    sites: SiteArrays
    option_codes: list[str]
    provider_ids: np.ndarray
    offer_ids: np.ndarray
    offers: OfferArrays
    snapshot_id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.snapshot_id:
            self.snapshot_id = self._content_hash()

    def _content_hash(self) -> str:
        digest = hashlib.sha256()
        for array in (
            self.locality_ids,
            self.localities.lat,
            self.localities.lon,
            self.localities.population,
            self.localities.car_share,
            self.localities.imd_decile,
            self.site_ids,
            self.sites.lat,
            self.sites.lon,
            self.provider_ids,
            self.offer_ids,
            self.offers.site_idx,
            self.offers.option_idx,
            self.offers.provider_idx,
            self.offers.delivery,
            self.offers.capacity_per_week,
            self.offers.waiting_weeks,
            self.offers.active,
            self.offers.home_visit_km,
            self.offers.outreach_offer_idx,
            self.offers.outreach_locality_idx,
        ):
            digest.update(np.ascontiguousarray(array).tobytes())
        for strings in (self.locality_codes, list(self.localities.rurality), self.option_codes):
            digest.update("\x1f".join(map(str, strings)).encode())
        return digest.hexdigest()

    @property
    def n_options(self) -> int:
        return len(self.option_codes)

    @property
    def n_providers(self) -> int:
        return int(self.provider_ids.size)

    def counts(self) -> dict[str, int]:
        return {
            "localities": int(self.locality_ids.size),
            "sites": int(self.site_ids.size),
            "options": self.n_options,
            "providers": self.n_providers,
            "offers": int(self.offer_ids.size),
            "candidate_offers": int(self.offers.active.sum()),
        }


def _nan_if_none(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _latitude(point: str) -> Func:
    """A point's latitude read by PostGIS: a float, not a GEOS object per row (seconds at England scale)."""
    return Func(point, function="ST_Y", output_field=FloatField())


def _longitude(point: str) -> Func:
    return Func(point, function="ST_X", output_field=FloatField())


def load_snapshot() -> CatalogueSnapshot:
    """Localities, active menu options and every offer of them, in a stable order."""
    loc_rows = list(
        Locality.objects.order_by("id")
        .annotate(lat=_latitude("origin"), lon=_longitude("origin"))
        .values_list("id", "code", "name", "lat", "lon", "population", "car_share", "rurality", "imd_decile")
    )
    localities = LocalityArrays(
        lat=np.array([r[3] for r in loc_rows], dtype=np.float64),
        lon=np.array([r[4] for r in loc_rows], dtype=np.float64),
        population=np.array([r[5] for r in loc_rows], dtype=np.float64),
        car_share=_nan_if_none(r[6] for r in loc_rows),
        rurality=np.array([r[7] for r in loc_rows], dtype=object),
        imd_decile=np.array([r[8] or 0 for r in loc_rows], dtype=np.int16),
    )
    locality_index = {r[0]: i for i, r in enumerate(loc_rows)}

    options = list(MenuOption.objects.filter(active=True).order_by("display_order", "code").values_list("id", "code"))
    option_index = {option_id: i for i, (option_id, _) in enumerate(options)}

    site_rows = list(
        Site.objects.order_by("id")
        .annotate(lat=_latitude("location"), lon=_longitude("location"))
        .values_list("id", "lat", "lon", "provider_id", "active")
    )
    site_index = {r[0]: i for i, r in enumerate(site_rows)}
    site_active = {r[0]: r[4] for r in site_rows}
    sites = SiteArrays(
        lat=np.array([r[1] for r in site_rows], dtype=np.float64),
        lon=np.array([r[2] for r in site_rows], dtype=np.float64),
    )

    offer_rows = list(
        SiteOffer.objects.filter(option__active=True)
        .order_by("id")
        .values_list(
            "id",
            "site_id",
            "option_id",
            "site__provider_id",
            "delivery",
            "capacity_per_week",
            "waiting_weeks",
            "active",
            "home_visit_km",
        )
    )
    provider_ids = np.array(sorted({r[3] for r in offer_rows}), dtype=np.int64)
    provider_index = {p: i for i, p in enumerate(provider_ids.tolist())}
    offer_index = {r[0]: i for i, r in enumerate(offer_rows)}
    outreach = list(
        SiteOffer.outreach_localities.through.objects.filter(siteoffer_id__in=offer_index)
        .order_by("siteoffer_id", "locality_id")
        .values_list("siteoffer_id", "locality_id")
    )
    offers = OfferArrays(
        site_idx=np.asarray([site_index[r[1]] for r in offer_rows], dtype=np.int32),
        option_idx=np.asarray([option_index[r[2]] for r in offer_rows], dtype=np.int32),
        provider_idx=np.asarray([provider_index[r[3]] for r in offer_rows], dtype=np.int32),
        delivery=np.asarray([DELIVERY_CODES[r[4]] for r in offer_rows], dtype=np.int8),
        capacity_per_week=_nan_if_none(r[5] for r in offer_rows),
        waiting_weeks=_nan_if_none(r[6] for r in offer_rows),
        active=np.asarray([r[7] and site_active[r[1]] for r in offer_rows], dtype=bool),
        home_visit_km=_nan_if_none(r[8] for r in offer_rows),
        outreach_offer_idx=np.asarray([offer_index[o] for o, _ in outreach], dtype=np.int32),
        outreach_locality_idx=np.asarray([locality_index[loc] for _, loc in outreach], dtype=np.int32),
    )
    return CatalogueSnapshot(
        locality_ids=np.array([r[0] for r in loc_rows], dtype=np.int64),
        locality_codes=[r[1] for r in loc_rows],
        locality_names=[r[2] for r in loc_rows],
        localities=localities,
        site_ids=np.array([r[0] for r in site_rows], dtype=np.int64),
        sites=sites,
        option_codes=[code for _, code in options],
        provider_ids=provider_ids,
        offer_ids=np.array([r[0] for r in offer_rows], dtype=np.int64),
        offers=offers,
    )


def matrix_travel_times_for(snapshot: CatalogueSnapshot) -> TravelTimes:
    """The imported matrix restricted to the snapshot's localities and sites."""
    locality_index = {int(v): i for i, v in enumerate(snapshot.locality_ids)}
    site_index = {int(v): i for i, v in enumerate(snapshot.site_ids)}
    rows = TravelTime.objects.values_list("locality_id", "site_id", "mode", "minutes").iterator(chunk_size=20000)
    loc, site, mode, minutes = [], [], [], []
    for locality_id, site_id, mode_name, value in rows:
        if locality_id in locality_index and site_id in site_index:
            loc.append(locality_index[locality_id])
            site.append(site_index[site_id])
            mode.append(MODES.index(mode_name))
            minutes.append(value)
    return matrix_travel_times(
        locality_idx=np.array(loc, dtype=np.int32),
        site_idx=np.array(site, dtype=np.int32),
        mode_idx=np.array(mode, dtype=np.int8),
        minutes=np.array(minutes, dtype=np.float32),
        n_localities=snapshot.locality_ids.size,
        n_sites=snapshot.site_ids.size,
    )


def engine_params(params: dict) -> dict:
    """The engine's share of a run's parameters (the travel settings stay with the providers)."""
    return {name: params[name] for name in PROFILE_FIELDS if name in params}


MODE_WORDS = {"walk": "walking", "pt": "public transport", "car": "car", "cycle": "cycling"}
ROAD_MODE_ORDER = ("car", "walk", "cycle")


def _percentile_word(percentile: float) -> str:
    return "median" if percentile == 50 else f"{percentile:g}th percentile"


def _network_label(mode: str, build: NetworkBuild, chosen: dict) -> str:
    if mode == "pt":
        feeds = len(build.gtfs_feeds)
        travel_date = chosen["travel_date"]
        day = date.fromisoformat(travel_date).strftime("%A")
        return (
            f"{feeds} GTFS feed{'s' if feeds != 1 else ''} via Valhalla, {day} {travel_date} "
            f"{chosen['window_start'][:5]}–{chosen['window_end'][:5]} every {chosen['step_minutes']} min, "
            f"{_percentile_word(chosen['percentile'])}"
        )
    extract = build.osm_extract_date.isoformat() if build.osm_extract_date else "unknown date"
    return f"OpenStreetMap extract of {extract} via OSRM"


def travel_provenance(*, run_params: dict, sources: dict[str, str], network, snapshot) -> dict:
    """What each mode's figures rest on, in words and in ids, with what was left out off the network."""
    modes: dict[str, dict] = {}
    for mode, source in sources.items():
        entry: dict = {"source": source}
        if source == "crowfly":
            entry["label"] = (
                f"crow-fly estimate ({_crowfly_terms(mode, run_params)}, detour × {run_params['detour_factor']:g})"
            )
            entry["terms"] = _crowfly_terms(mode, run_params)
        elif source == "matrix":
            entry["label"] = "imported travel-time matrix"
        else:
            build = network.build
            off = network.off_network[mode]
            entry |= {
                "label": _network_label(mode, build, network.chosen[mode]),
                "network": build.network.name,
                "network_build_id": build.pk,
                "settings": network.chosen[mode],
                "off_network": {
                    "localities": [snapshot.locality_codes[i] for i in off["localities"]],
                    "site_ids": [int(snapshot.site_ids[j]) for j in off["sites"]],
                },
            }
        modes[mode] = entry
    return {
        "modes": modes,
        "text": provenance_text(modes, detour_factor=float(run_params["detour_factor"])),
        "network_build_id": network.build.pk if network else None,
    }


def _crowfly_terms(mode: str, params: dict) -> str:
    access = float(params[f"{mode}_access_minutes"])
    return f"{float(params[f'{mode}_kmh']):g} km/h" + (f" +{access:g} min" if access else "")


def provenance_text(modes: dict[str, dict], *, detour_factor: float | None = None) -> str:
    """One line a legend or an export can carry, e.g. 'roads: OpenStreetMap extract of … via OSRM; …'."""
    parts = []
    road_labels = {modes[m]["label"] for m in ROAD_MODE_ORDER if m in modes and modes[m]["source"] == "network"}
    if len(road_labels) == 1:
        served = [MODE_WORDS[m] for m in ROAD_MODE_ORDER if modes.get(m, {}).get("source") == "network"]
        parts.append(f"roads ({', '.join(served)}): {road_labels.pop()}")
        shown = {m for m in ROAD_MODE_ORDER if modes.get(m, {}).get("source") == "network"}
    else:
        shown = set()
    for mode in ("walk", "pt", "car", "cycle"):
        if mode in modes and mode not in shown and modes[mode]["source"] != "crowfly":
            parts.append(f"{MODE_WORDS[mode]}: {modes[mode]['label']}")
    crowfly = [f"{MODE_WORDS[m]} {modes[m]['terms']}" for m in modes if modes[m]["source"] == "crowfly"]
    if crowfly:
        detour = f"; detour × {detour_factor:g}" if detour_factor else ""
        parts.append(f"crow-fly estimates ({', '.join(crowfly)}{detour})")
    return "; ".join(parts)


def run_provenance_text(run: ReachRun) -> str:
    """The run's provenance line; runs from before provenance was recorded used one provider for all modes."""
    if run.provenance.get("text"):
        return run.provenance["text"]
    return "crow-fly estimates" if run.provider == "crowfly" else "imported travel-time matrix"


def default_profile() -> ReachProfile:
    """The one place that says which profile is the default; raises ReachProfile.DoesNotExist when none is."""
    profile = ReachProfile.objects.filter(is_default=True).first()
    if profile is None:
        raise ReachProfile.DoesNotExist("There is no default reach profile: create one in the admin.")
    return profile


def active_run(*, profile: ReachProfile, queued_only: bool = False, scenario=None) -> ReachRun | None:
    """The profile's oldest queued or running run (only queued with `queued_only`) on the live
    catalogue, or on `scenario` when given, if any."""
    statuses = [RunStatus.QUEUED] if queued_only else [RunStatus.QUEUED, RunStatus.RUNNING]
    runs = ReachRun.objects.filter(profile=profile, status__in=statuses)
    runs = runs.filter(scenario=scenario) if scenario is not None else runs.filter(scenario__isnull=True)
    return runs.order_by("created_at", "id").first()


def current_run(*, profile: ReachProfile | None = None) -> ReachRun | None:
    """The newest succeeded run on the live catalogue; failed, cancelled and unfinished runs, and
    scenario runs, never replace it."""
    runs = ReachRun.objects.filter(status=RunStatus.SUCCEEDED, scenario__isnull=True)
    if profile is not None:
        runs = runs.filter(profile=profile)
    return runs.order_by("-finished_at", "-id").first()


def run_results(*, run: ReachRun) -> QuerySet[LocalityResult]:
    return LocalityResult.objects.filter(run=run).order_by("locality_code")


EXPORT_COLUMNS = [
    "locality_code",
    "locality_name",
    "population",
    "car_share",
    "menu_without_car",
    "menu_with_car",
    "expected_menu",
    "real_choice_without_car",
    "real_choice_with_car",
    "options_without_car",
    "options_with_car",
]


def run_description(run: ReachRun) -> dict:
    return {
        "id": run.pk,
        "profile": run.profile_name,
        "params": run.params,
        "provider": run.provider,
        "travel": run_provenance_text(run),
        "provenance": run.provenance,
        "status": run.status,
        "automatic": run.automatic,
        "snapshot_id": run.snapshot_id,
        "snapshot_counts": run.snapshot_counts,
        "option_codes": run.option_codes,
        "created_at": run.created_at.isoformat() if run.created_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "timings": run.timings,
        "summary": run.summary,
    }


def _reachable_codes(codes: list[str], providers: list[int]) -> str:
    return ";".join(sorted(code for code, count in zip(codes, providers, strict=False) if count > 0))


def result_row(result: LocalityResult, codes: list[str]) -> dict:
    """The export_reach CSV row of one locality."""
    return {
        "locality_code": result.locality_code,
        "locality_name": result.locality_name,
        "population": result.population,
        "car_share": round(result.car_share, 4),
        "menu_without_car": result.menu_without_car,
        "menu_with_car": result.menu_with_car,
        "expected_menu": f"{result.expected_menu:.3f}",
        "real_choice_without_car": result.real_choice_without_car,
        "real_choice_with_car": result.real_choice_with_car,
        "options_without_car": _reachable_codes(codes, result.providers_without_car),
        "options_with_car": _reachable_codes(codes, result.providers_with_car),
    }


def option_detail(result: LocalityResult, codes: list[str], site_codes: dict[int, str]) -> dict:
    """Per option: reach, providers, nearest site and minutes by mode, 2SFCA."""
    detail = {}
    for k, code in enumerate(codes):
        nearest = {}
        for mode in MODES:
            sites = getattr(result, f"nearest_{mode}_site")
            if k >= len(sites):  # runs from before cycling was a mode
                continue
            site_id = sites[k]
            nearest[mode] = {
                "minutes": getattr(result, f"nearest_{mode}_minutes")[k],
                "site_code": site_codes.get(site_id) if site_id is not None else None,
            }
        detail[code] = {
            "reachable_without_car": result.providers_without_car[k] > 0,
            "reachable_with_car": result.providers_with_car[k] > 0,
            "providers_without_car": result.providers_without_car[k],
            "providers_with_car": result.providers_with_car[k],
            "nearest": nearest,
            "access_without_car": result.access_without_car[k],
            "access_with_car": result.access_with_car[k],
        }
    return detail


def locality_reach(*, run: ReachRun, locality_code: str) -> dict | None:
    """One locality's figures in a run: the export row plus every option, in menu order, with its name."""
    result = run_results(run=run).filter(locality_code=locality_code).first()
    if result is None:
        return None
    codes = run.option_codes
    names = dict(MenuOption.objects.filter(code__in=codes).values_list("code", "name"))
    detail = option_detail(result, codes, site_codes_by_id())
    return {
        **result_row(result, codes),
        "expected_menu": round(result.expected_menu, 3),
        "options": [{"code": code, "name": names.get(code, code), **detail[code]} for code in codes],
    }


def site_codes_by_id() -> dict[int, str]:
    return dict(Site.objects.values_list("id", "code"))


def unfinished_run_ages() -> list[tuple[int, datetime.timedelta]]:
    """Queued and running runs with the time since their last sign of life (heartbeat, else queued)."""
    now = timezone.now()
    runs = ReachRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).values_list(
        "pk", "created_at", "heartbeat_at"
    )
    return [(pk, now - (heartbeat_at or created_at)) for pk, created_at, heartbeat_at in runs]
