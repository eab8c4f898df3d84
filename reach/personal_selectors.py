"""Reads for one person's menu: the catalogue as engine arrays with every offer's matching facts, cached
per catalogue version, and the minutes from one home to every site from the run's own travel sources.

A personal menu is read on every view of a person's choice page and on every save, so it must not load
the catalogue or parse every offer's opening hours each time, nor read more travel times than the
person's own origin row.
"""

from __future__ import annotations

import datetime
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import BinaryField, F, Func, Value

from choicemap.versions import tables_version
from services.bank_holidays import checked_region
from services.models import SiteOffer

from .engine import ReachParams
from .hours import open_sessions
from .models import TravelSource, TravelTime, TravelTimeColumn
from .network_services import OFF_NETWORK, origins_key, settings_key, site_key
from .personal import SESSIONS, WORKER_GENDER_BITS, OfferFacts
from .selectors import CatalogueSnapshot, engine_params, load_snapshot
from .travel import MODES, crowfly_travel_times

# Every table a snapshot or the offers' facts are read from: a write to any of them is a new version.
CATALOGUE_TABLES = (
    "areas_locality",
    "services_site",
    "services_siteoffer",
    "services_siteoffer_outreach_localities",
    "services_provider",
    "services_menuoption",
)
CACHED_CATALOGUES = 2  # the current version, and the one before while requests on it finish
# How far the personal menu looks for a "nearest time" beyond the limits (the longest journey allowed).
SEARCH_MINUTES = 240.0
FORMAT_IS_GROUP = {"": -1, "one_to_one": 0, "both": 0, "group": 1}  # "both" offers one-to-one too


@dataclass
class PersonalCatalogue:
    """One catalogue version as the personal menu needs it; read-only once built (it is shared)."""

    snapshot: CatalogueSnapshot
    facts: OfferFacts
    locality_index: dict[int, int] = field(init=False)
    site_index: dict[int, int] = field(init=False)
    site_keys: list[str] = field(init=False)
    origins_key: str = field(init=False)

    def __post_init__(self) -> None:
        snapshot = self.snapshot
        self.locality_index = {int(pk): i for i, pk in enumerate(snapshot.locality_ids.tolist())}
        self.site_index = {int(pk): j for j, pk in enumerate(snapshot.site_ids.tolist())}
        self.site_keys = [
            site_key(a, b) for a, b in zip(snapshot.sites.lat.tolist(), snapshot.sites.lon.tolist(), strict=True)
        ]
        # the key network runs store their columns under: all the snapshot's localities, in order
        self.origins_key = origins_key(np.column_stack([snapshot.localities.lat, snapshot.localities.lon]))


_catalogues: OrderedDict[tuple, PersonalCatalogue] = OrderedDict()
_catalogues_lock = threading.Lock()
# Catalogues built inside a `catalogue_unchanged` block, for transactions that wrote the catalogue before it.
_unchanged: ContextVar[dict[tuple, PersonalCatalogue] | None] = ContextVar("unchanged catalogues", default=None)


@contextmanager
def catalogue_unchanged() -> Iterator[None]:
    """The caller promises to write no catalogue table inside this block, so a catalogue built here is reused
    here even when its transaction wrote the catalogue earlier, which the version stamp cannot tell (the demo
    loader imports the catalogue, then records hundreds of choices, each with the person's own menu)."""
    token = _unchanged.set({})
    try:
        yield
    finally:
        _unchanged.reset(token)


def personal_catalogue(*, today: datetime.date) -> PersonalCatalogue:
    """The live catalogue with each offer's open sessions over the four weeks from `today`, built once per
    catalogue version, day and bank-holiday region (in this process), and fresh when this transaction
    has itself written the catalogue."""
    region = checked_region(settings.BANK_HOLIDAY_REGION)
    version = tables_version(CATALOGUE_TABLES)
    key = (version.stamp, today, region)
    unchanged = _unchanged.get()
    if version.written_here and unchanged is not None and key in unchanged:
        return unchanged[key]
    if not version.written_here:
        with _catalogues_lock:
            if key in _catalogues:
                _catalogues.move_to_end(key)
                return _catalogues[key]
    snapshot = load_snapshot()
    catalogue = PersonalCatalogue(snapshot=snapshot, facts=offer_facts(snapshot, today=today, region=region))
    if version.written_here and unchanged is not None:
        unchanged[key] = catalogue
    if not version.written_here:
        with _catalogues_lock:
            _catalogues[key] = catalogue
            while len(_catalogues) > CACHED_CATALOGUES:
                _catalogues.popitem(last=False)
    return catalogue


def forget_personal_catalogues() -> None:
    """Empty this process's cache (benchmarks measure the cold path with it)."""
    with _catalogues_lock:
        _catalogues.clear()


def offer_facts(snapshot: CatalogueSnapshot, *, today: datetime.date, region: str) -> OfferFacts:
    """The matching facts of the snapshot's offers, in its order; opening hours as the four sessions,
    each distinct text parsed once."""
    columns = ("min_age", "max_age", "opening_hours", "session_format", "worker_genders", "creche", "languages")
    by_pk = {
        row["pk"]: row for row in SiteOffer.objects.filter(pk__in=snapshot.offer_ids.tolist()).values("pk", *columns)
    }
    rows = [by_pk[int(pk)] for pk in snapshot.offer_ids]
    texts = {row["opening_hours"] for row in rows}
    by_text = {text: open_sessions(text, start=today, region=region) for text in texts}
    sessions = [by_text[row["opening_hours"]] for row in rows]
    return OfferFacts(
        min_age=np.array([np.nan if row["min_age"] is None else row["min_age"] for row in rows], dtype=np.float64),
        max_age=np.array([np.nan if row["max_age"] is None else row["max_age"] for row in rows], dtype=np.float64),
        is_group=np.array([FORMAT_IS_GROUP[row["session_format"]] for row in rows], dtype=np.int8),
        worker_genders=np.array(
            [sum(WORKER_GENDER_BITS[g] for g in row["worker_genders"]) for row in rows], dtype=np.uint8
        ),
        creche=np.array([-1 if row["creche"] is None else int(row["creche"]) for row in rows], dtype=np.int8),
        languages=[frozenset(row["languages"]) for row in rows],
        open_sessions=np.array([s or (False,) * len(SESSIONS) for s in sessions], dtype=bool).reshape(
            -1, len(SESSIONS)
        ),
        hours_known=np.array([s is not None for s in sessions], dtype=bool),
    )


@dataclass(frozen=True)
class TravelBasis:
    """What a run's travel times rest on: its parameters, its single provider (runs from before sources
    per mode), and its provenance (the network build and settings each network mode used)."""

    params: dict
    provider: str = TravelSource.CROWFLY
    provenance: dict = field(default_factory=dict)

    def source(self, mode: str) -> str:
        return str(self.params.get(f"{mode}_source", self.provider))


@dataclass(frozen=True)
class HomeMinutes:
    """Minutes from one home to every site by mode (NaN: no route known), and the network modes whose
    times for this home are not in the cache (their sites count as out of reach)."""

    minutes: dict[str, np.ndarray]
    missing: tuple[str, ...] = ()


def home_minutes(*, catalogue: PersonalCatalogue, home: int, basis: TravelBasis) -> HomeMinutes:
    """Each mode from the run's own source, reading only the home's origin row: crow-fly up to
    SEARCH_MINUTES, the imported matrix's row, or the network's cached cells."""
    n_sites = catalogue.snapshot.sites.n
    minutes = {mode: np.full(n_sites, np.nan) for mode in MODES}
    by_source: dict[str, list[str]] = {}
    for mode in MODES:
        by_source.setdefault(basis.source(mode), []).append(mode)
    if TravelSource.CROWFLY in by_source:
        params = ReachParams(**engine_params(basis.params))
        _crowfly_row(catalogue, home, params, by_source[TravelSource.CROWFLY], minutes)
    if TravelSource.MATRIX in by_source:
        _matrix_row(catalogue, home, by_source[TravelSource.MATRIX], minutes)
    missing = []
    for mode in by_source.get(TravelSource.NETWORK, []):
        if not _network_row(catalogue, home, mode, basis.provenance.get("modes", {}).get(mode, {}), minutes[mode]):
            missing.append(mode)
    return HomeMinutes(minutes=minutes, missing=tuple(missing))


def _crowfly_row(catalogue, home, params: ReachParams, modes: list[str], minutes: dict[str, np.ndarray]) -> None:
    snapshot = catalogue.snapshot
    travel = crowfly_travel_times(
        locality_lat=snapshot.localities.lat[home : home + 1],
        locality_lon=snapshot.localities.lon[home : home + 1],
        site_lat=snapshot.sites.lat,
        site_lon=snapshot.sites.lon,
        speeds_kmh=params.speeds_kmh(),
        access_minutes=params.access_minutes(),
        detour_factor=params.detour_factor,
        max_minutes=dict.fromkeys(modes, SEARCH_MINUTES),
    )
    for mode in modes:
        _, site, mode_minutes = travel.pairs[mode]
        minutes[mode][site] = mode_minutes


def _matrix_row(catalogue, home, modes: list[str], minutes: dict[str, np.ndarray]) -> None:
    rows = TravelTime.objects.filter(locality_id=int(catalogue.snapshot.locality_ids[home]), mode__in=modes)
    for site_id, mode, value in rows.values_list("site_id", "mode", "minutes"):
        j = catalogue.site_index.get(site_id)
        if j is not None:
            # float32, as the run reads the matrix, so a limit compares the same number
            minutes[mode][j] = np.float32(value)


def _network_row(catalogue, home: int, mode: str, used: dict, row: np.ndarray) -> bool:
    """The home's cell of each cached column the run's build and settings stored (4 bytes each, cut out by
    the database); False when the run recorded no network for the mode or the cache has none of it."""
    if "network_build_id" not in used or "settings" not in used:
        return False
    cell = Func(F("minutes"), Value(4 * home + 1), Value(4), function="substring", output_field=BinaryField())
    columns = TravelTimeColumn.objects.filter(
        build_id=used["network_build_id"],
        mode=mode,
        settings_key=settings_key(mode, used["settings"]),
        origins_key=catalogue.origins_key,
    )
    found = dict(columns.annotate(cell=cell).values_list("site_key", "cell"))
    if not found:
        return False
    for j, key in enumerate(catalogue.site_keys):
        data = found.get(key)
        if data is not None and len(data) == 4:
            value = np.frombuffer(bytes(data), dtype="<f4")[0]
            row[j] = np.nan if value == OFF_NETWORK else float(value)
    return True
