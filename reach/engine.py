"""The reach engine: what each locality can realistically reach (pure numpy/scipy).

Arrays in, arrays out; no Django. The caller (``reach.services.execute_run``, on the Celery worker
or in-process) loads a catalogue snapshot into ``LocalityArrays`` / ``SiteArrays`` /
``OfferArrays``, builds ``TravelTimes`` with a provider from ``reach.travel``, and stores the
``ReachResult``. ``compute_reach`` runs in named parts: ``_onsite_reach``, ``_onsite_access``,
``_other_delivery``, ``_remote`` and ``_combine``.

Scale target: ~34k localities × 2k sites × 6k offers × 15 options in well under a second.
Nothing here is dense in locality × site: on-site reach works on the sparse travel pairs
(CSR matrices and per-pair expansions), and only locality × option arrays are dense.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from reach.travel import MODES, TravelTimes, chord_for_arc_km, crowfly_travel_times, haversine_km, unit_sphere_xyz_km

ON_SITE, OUTREACH, HOME_VISIT, REMOTE = 0, 1, 2, 3
DELIVERY_CODES: dict[str, int] = {"on_site": ON_SITE, "outreach": OUTREACH, "home_visit": HOME_VISIT, "remote": REMOTE}

# per-locality measures that get population-weighted means in the summary
LOCALITY_MEASURES: tuple[str, ...] = (
    "menu_without_car",
    "menu_with_car",
    "expected_menu",
    "real_choice_without_car",
    "real_choice_with_car",
)

_NO_CAR_MODES = ("walk", "pt")  # cycle joins them only when the profile counts it
_EMPTY_PACKED = np.iinfo(np.int64).max  # "no site found" sentinel for packed (minutes, site)


@dataclass(frozen=True)
class ReachParams:
    """A reach profile: time limits, crow-fly speeds, wait limit and the real-choice rule."""

    walk_minutes: float = 30
    pt_minutes: float = 45
    car_minutes: float = 30
    walk_kmh: float = 4.8
    pt_kmh: float = 20
    car_kmh: float = 40
    walk_access_minutes: float = 0
    pt_access_minutes: float = 10
    car_access_minutes: float = 5
    detour_factor: float = 1.3
    max_wait_weeks: float = 3
    count_remote: bool = False
    real_choice_providers: int = 2
    default_car_share: float = 0.77
    cycle_minutes: float = 30
    cycle_kmh: float = 15
    cycle_access_minutes: float = 0
    count_cycle: bool = False

    def max_minutes(self) -> dict[str, float]:
        return {mode: float(getattr(self, f"{mode}_minutes")) for mode in MODES}

    def speeds_kmh(self) -> dict[str, float]:
        return {mode: float(getattr(self, f"{mode}_kmh")) for mode in MODES}

    def access_minutes(self) -> dict[str, float]:
        return {mode: float(getattr(self, f"{mode}_access_minutes")) for mode in MODES}

    def modes_without_car(self) -> tuple[str, ...]:
        return (*_NO_CAR_MODES, "cycle") if self.count_cycle else _NO_CAR_MODES

    def modes_with_car(self) -> tuple[str, ...]:
        return (*self.modes_without_car(), "car")


@dataclass
class LocalityArrays:
    """One row per locality. car_share NaN → profile default; rurality "" and imd_decile 0 = unknown."""

    lat: np.ndarray
    lon: np.ndarray
    population: np.ndarray
    car_share: np.ndarray
    rurality: np.ndarray
    imd_decile: np.ndarray

    def __post_init__(self) -> None:
        self.lat = np.asarray(self.lat, dtype=np.float64)
        self.lon = np.asarray(self.lon, dtype=np.float64)
        self.population = np.asarray(self.population, dtype=np.float64)
        self.car_share = np.asarray(self.car_share, dtype=np.float64)
        self.rurality = np.asarray(self.rurality)
        self.imd_decile = np.asarray(self.imd_decile, dtype=np.int64)
        _check_lengths(
            "localities", self.lat, self.lon, self.population, self.car_share, self.rurality, self.imd_decile
        )
        if np.any(self.population < 0):
            raise ValueError("population must be non-negative")

    @property
    def n(self) -> int:
        return int(self.lat.size)


@dataclass
class SiteArrays:
    lat: np.ndarray
    lon: np.ndarray

    def __post_init__(self) -> None:
        self.lat = np.asarray(self.lat, dtype=np.float64)
        self.lon = np.asarray(self.lon, dtype=np.float64)
        _check_lengths("sites", self.lat, self.lon)

    @property
    def n(self) -> int:
        return int(self.lat.size)


@dataclass
class OfferArrays:
    """One row per site offer (option × provider × site × delivery mode).

    ``active`` must already combine "offer active" and "site active". Outreach venues are a
    pair list: outreach offer ``outreach_offer_idx[k]`` is held in locality
    ``outreach_locality_idx[k]``.
    """

    site_idx: np.ndarray
    option_idx: np.ndarray
    provider_idx: np.ndarray
    delivery: np.ndarray
    capacity_per_week: np.ndarray
    waiting_weeks: np.ndarray
    active: np.ndarray
    home_visit_km: np.ndarray
    outreach_offer_idx: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    outreach_locality_idx: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))

    def __post_init__(self) -> None:
        self.site_idx = np.asarray(self.site_idx, dtype=np.int32)
        self.option_idx = np.asarray(self.option_idx, dtype=np.int32)
        self.provider_idx = np.asarray(self.provider_idx, dtype=np.int32)
        self.delivery = np.asarray(self.delivery, dtype=np.int8)
        self.capacity_per_week = np.asarray(self.capacity_per_week, dtype=np.float64)
        self.waiting_weeks = np.asarray(self.waiting_weeks, dtype=np.float64)
        self.active = np.asarray(self.active, dtype=bool)
        self.home_visit_km = np.asarray(self.home_visit_km, dtype=np.float64)
        self.outreach_offer_idx = np.asarray(self.outreach_offer_idx, dtype=np.int32)
        self.outreach_locality_idx = np.asarray(self.outreach_locality_idx, dtype=np.int32)
        _check_lengths(
            "offers",
            self.site_idx,
            self.option_idx,
            self.provider_idx,
            self.delivery,
            self.capacity_per_week,
            self.waiting_weeks,
            self.active,
            self.home_visit_km,
        )
        _check_lengths("outreach pairs", self.outreach_offer_idx, self.outreach_locality_idx)
        if self.delivery.size and (self.delivery.min() < ON_SITE or self.delivery.max() > REMOTE):
            raise ValueError("delivery codes must be 0..3 (see DELIVERY_CODES)")

    @property
    def n(self) -> int:
        return int(self.site_idx.size)


@dataclass
class ReachResult:
    """Engine output. Per-locality arrays have shape (n_localities,), per-option ones
    (n_localities, n_options); ``nearest_*`` are keyed by mode ("walk", "pt", "car")."""

    menu_without_car: np.ndarray  # int16
    menu_with_car: np.ndarray  # int16
    expected_menu: np.ndarray  # float64
    real_choice_without_car: np.ndarray  # int16
    real_choice_with_car: np.ndarray  # int16
    reachable_without_car: np.ndarray  # bool
    reachable_with_car: np.ndarray  # bool
    providers_without_car: np.ndarray  # int16
    providers_with_car: np.ndarray  # int16
    nearest_minutes: dict[str, np.ndarray]  # float32, NaN when none
    nearest_site: dict[str, np.ndarray]  # int32, -1 when none
    accessibility_without_car: np.ndarray  # float64, capacity per week per 1,000 people
    accessibility_with_car: np.ndarray  # float64
    car_share: np.ndarray  # float64: the locality's own share, else the profile's default
    summary: dict[str, Any]
    params: ReachParams


def _check_lengths(what: str, *arrays: np.ndarray) -> None:
    sizes = {np.shape(a) for a in arrays}
    if len(sizes) > 1 or any(len(s) != 1 for s in sizes):
        raise ValueError(f"{what}: arrays must be 1-D and of equal length, got shapes {sorted(sizes)}")


# --------------------------------------------------------------------------------------
# building blocks
# --------------------------------------------------------------------------------------


def crowfly_for_params(*, localities: LocalityArrays, sites: SiteArrays, params: ReachParams) -> TravelTimes:
    """Crow-fly travel times using a reach profile's speeds, access times and limits."""
    return crowfly_travel_times(
        locality_lat=localities.lat,
        locality_lon=localities.lon,
        site_lat=sites.lat,
        site_lon=sites.lon,
        speeds_kmh=params.speeds_kmh(),
        access_minutes=params.access_minutes(),
        detour_factor=params.detour_factor,
        max_minutes=params.max_minutes(),
    )


def candidate_offers(offers: OfferArrays, params: ReachParams) -> np.ndarray:
    """Active offers whose wait is unknown or within the profile's limit (equal is fine)."""
    wait_ok = np.isnan(offers.waiting_weeks) | (offers.waiting_weeks <= params.max_wait_weeks)
    candidates: np.ndarray = offers.active & wait_ok
    return candidates


def two_step_fca(
    *,
    catchment_locality_idx: np.ndarray,
    catchment_offer_idx: np.ndarray,
    population: np.ndarray,
    capacity: np.ndarray,
    offer_option: np.ndarray,
    n_options: int,
) -> np.ndarray:
    """2SFCA per 1,000 people from an explicit catchment table.

    Each (locality, offer) pair says "offer reachable from locality" (pairs must be
    distinct). R_j = capacity_j / Σ population over j's catchment; A[i, o] = 1000 × Σ R_j
    over offers j of option o reachable from i. Offers with NaN capacity or a zero-population
    catchment contribute nothing. Returns float64 (n_localities, n_options).
    """
    n_loc = int(population.size)
    loc = np.asarray(catchment_locality_idx, dtype=np.int64)
    off = np.asarray(catchment_offer_idx, dtype=np.int64)
    capacity = np.asarray(capacity, dtype=np.float64)
    demand = np.bincount(off, weights=population[loc], minlength=capacity.size)
    ratio = np.zeros(capacity.size)
    ok = np.isfinite(capacity) & (demand > 0)
    ratio[ok] = capacity[ok] / demand[ok]
    flat = np.bincount(
        loc * n_options + np.asarray(offer_option, dtype=np.int64)[off],
        weights=ratio[off],
        minlength=n_loc * n_options,
    )
    return 1000.0 * flat.reshape(n_loc, n_options)


def weighted_gini(values: np.ndarray, weights: np.ndarray) -> float | None:
    """Population-weighted Gini: Σ_i Σ_j w_i w_j |x_i − x_j| / (2 W² μ).

    Equals the ordinary Gini of the list where each x_i is repeated w_i times. 0 when all
    values are equal (including all zero); None when the total weight is 0.
    """
    x = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    total = w.sum()
    if total <= 0:
        return None
    mean = float((w * x).sum() / total)
    if mean == 0:
        return 0.0
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cum = np.cumsum(w)
    # sorted form of the double sum: Σ_k w_k x_k (C_{k-1} + C_k − W)
    pair_sum = float((w * x * (2.0 * cum - w - total)).sum())
    return max(0.0, pair_sum / float(total * total * mean))


def weighted_slice_mean(values: np.ndarray, weights: np.ndarray, lo_share: float, hi_share: float) -> float | None:
    """Mean value of the people ranked between lo_share and hi_share of the population
    (sorted ascending by value). A locality straddling a boundary is split fractionally."""
    x = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    total = w.sum()
    if total <= 0 or hi_share <= lo_share:
        return None
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    upper = np.cumsum(w)
    lower = upper - w
    lo, hi = lo_share * total, hi_share * total
    overlap = np.clip(np.minimum(upper, hi) - np.maximum(lower, lo), 0.0, None)
    return float((overlap * x).sum() / (hi - lo))


# --------------------------------------------------------------------------------------
# the engine
# --------------------------------------------------------------------------------------


@dataclass
class _ProviderBits:
    """Each candidate offer's provider as one bit in a per-option bitmask.

    Providers are ranked within an option so that a set fits in a few uint64 words
    (one word while no option has more than 64 providers).
    """

    word: np.ndarray  # per offer
    bit: np.ndarray  # per offer, uint64 with one bit set
    n_words: int


def _provider_bits(option_idx: np.ndarray, provider_idx: np.ndarray, n_options: int, n_providers: int) -> _ProviderBits:
    n_prov = max(n_providers, int(provider_idx.max()) + 1 if provider_idx.size else 1)
    used = np.zeros((n_options, n_prov), dtype=bool)
    used[option_idx, provider_idx] = True
    rank_table = np.cumsum(used, axis=1) - 1  # rank of each provider among the option's providers
    rank = rank_table[option_idx, provider_idx].astype(np.int64)
    n_words = max(1, int(used.sum(axis=1).max(initial=0) + 63) // 64)
    bit = np.left_shift(np.uint64(1), (rank % 64).astype(np.uint64))
    return _ProviderBits(word=(rank // 64).astype(np.int64), bit=bit, n_words=n_words)


def _expand_by_ptr(site: np.ndarray, ptr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Repeat each (locality, site) pair once per entry of the site's run in a CSR table.

    ``ptr`` is the table's CSR pointer by site (e.g. the distinct options at each site).
    Returns, per expanded entry, the pair's row and the index into the table.
    """
    counts = ptr[site + 1] - ptr[site]
    total = int(counts.sum())
    pair_row = np.repeat(np.arange(site.size, dtype=np.int64), counts)
    # position within the site's option list = global position − start of this pair's run
    run_start = np.repeat(np.cumsum(counts) - counts, counts)
    table_idx = ptr[site[pair_row]] + (np.arange(total, dtype=np.int64) - run_start)
    return pair_row, table_idx


def _csr_from_sorted_pairs(loc: np.ndarray, col: np.ndarray, n_rows: int, n_cols: int) -> sp.csr_matrix:
    """Binary CSR matrix from pairs already sorted by row (no re-sorting needed)."""
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(loc, minlength=n_rows), out=indptr[1:])
    return sp.csr_matrix((np.ones(loc.size), col.astype(np.int32), indptr), shape=(n_rows, n_cols))


def _union(a: sp.csr_matrix, b: sp.csr_matrix) -> sp.csr_matrix:
    out = a + b
    out.data[:] = 1.0  # pairs reachable by both modes must count once in catchments
    return out


def _home_visit_pairs(
    *, localities: LocalityArrays, sites: SiteArrays, offer_ids: np.ndarray, site_idx: np.ndarray, radius_km: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(locality, offer) pairs with haversine(locality origin, site) ≤ the offer's radius."""
    ok = np.isfinite(radius_km) & (radius_km >= 0)
    ok &= np.isfinite(sites.lat[site_idx]) & np.isfinite(sites.lon[site_idx])
    offer_ids, site_idx, radius_km = offer_ids[ok], site_idx[ok], radius_km[ok]
    loc_ok = np.flatnonzero(np.isfinite(localities.lat) & np.isfinite(localities.lon))
    if offer_ids.size == 0 or loc_ok.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    tree = cKDTree(unit_sphere_xyz_km(localities.lat[loc_ok], localities.lon[loc_ok]))
    chords = np.array([chord_for_arc_km(r) for r in radius_km]) * (1.0 + 1e-9) + 1e-9
    hits = tree.query_ball_point(unit_sphere_xyz_km(sites.lat[site_idx], sites.lon[site_idx]), chords)
    lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    loc = loc_ok[np.fromiter((i for h in hits for i in h), dtype=np.int64, count=int(lengths.sum()))]
    row = np.repeat(np.arange(offer_ids.size), lengths)
    km = haversine_km(localities.lat[loc], localities.lon[loc], sites.lat[site_idx[row]], sites.lon[site_idx[row]])
    keep = km <= radius_km[row]  # exact test; the tree search only bounds it
    return loc[keep], offer_ids[row[keep]]


def _outreach_pairs(offers: OfferArrays, is_outreach: np.ndarray, n_loc: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (locality, offer) pairs of candidate outreach offers."""
    off = offers.outreach_offer_idx.astype(np.int64)
    loc = offers.outreach_locality_idx.astype(np.int64)
    if off.size and (off.min() < 0 or off.max() >= offers.n or loc.min() < 0 or loc.max() >= n_loc):
        raise ValueError("outreach pair index out of range")
    keep = is_outreach[off]
    key = np.unique(loc[keep] * max(offers.n, 1) + off[keep])  # duplicates would double-count demand
    return key // max(offers.n, 1), key % max(offers.n, 1)


def _other_delivery_pairs(
    *, localities: LocalityArrays, sites: SiteArrays, offers: OfferArrays, candidates: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(locality, offer) pairs of candidate outreach and home-visit offers (car makes no difference)."""
    out_loc, out_off = _outreach_pairs(offers, candidates & (offers.delivery == OUTREACH), localities.n)
    home = np.flatnonzero(candidates & (offers.delivery == HOME_VISIT))
    home_loc, home_off = _home_visit_pairs(
        localities=localities,
        sites=sites,
        offer_ids=home,
        site_idx=offers.site_idx[home].astype(np.int64),
        radius_km=offers.home_visit_km[home],
    )
    return np.concatenate([out_loc, home_loc]), np.concatenate([out_off, home_off])


def catchment_pairs(
    *,
    localities: LocalityArrays,
    sites: SiteArrays,
    offers: OfferArrays,
    travel: TravelTimes,
    params: ReachParams,
    with_car: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Every distinct (locality_idx, offer_idx) pair where a candidate offer is reachable.

    The explicit form of what compute_reach aggregates: useful for "what can this person
    reach" look-ups, exports and cross-checks (``two_step_fca`` on these pairs equals
    ``compute_reach``'s accessibility). Remote offers, when counted, pair with every locality.
    """
    candidates = candidate_offers(offers, params)
    n_loc, n_sites = localities.n, sites.n
    onsite = np.flatnonzero(candidates & (offers.delivery == ON_SITE))
    onsite = onsite[np.argsort(offers.site_idx[onsite], kind="stable")]
    site_ptr = np.zeros(n_sites + 1, np.int64)
    np.cumsum(np.bincount(offers.site_idx[onsite], minlength=n_sites), out=site_ptr[1:])
    limits = params.max_minutes()
    keys = []
    for mode in params.modes_with_car() if with_car else params.modes_without_car():
        loc, site, minutes = travel.pairs[mode]
        keep = minutes <= limits[mode]
        keys.append(loc[keep].astype(np.int64) * n_sites + site[keep])
    loc, site = np.divmod(np.unique(np.concatenate(keys)), max(n_sites, 1))
    pair_row, table_idx = _expand_by_ptr(site, site_ptr)
    onsite_loc, onsite_off = loc[pair_row], onsite[table_idx]

    other_loc, other_off = _other_delivery_pairs(
        localities=localities, sites=sites, offers=offers, candidates=candidates
    )
    parts_loc, parts_off = [onsite_loc, other_loc], [onsite_off, other_off]
    if params.count_remote:
        remote = np.flatnonzero(candidates & (offers.delivery == REMOTE))
        parts_loc.append(np.repeat(np.arange(n_loc, dtype=np.int64), remote.size))
        parts_off.append(np.tile(remote, n_loc))
    return np.concatenate(parts_loc).astype(np.int64), np.concatenate(parts_off).astype(np.int64)


def _check_inputs(
    *, localities: LocalityArrays, sites: SiteArrays, offers: OfferArrays, n_options: int, travel: TravelTimes
) -> None:
    if travel.n_localities != localities.n or travel.n_sites != sites.n:
        raise ValueError("travel times were built for a different set of localities or sites")
    if offers.n and (offers.option_idx.min() < 0 or offers.option_idx.max() >= n_options):
        raise ValueError("offer option_idx out of range 0..n_options-1")
    if offers.n and (offers.site_idx.min() < 0 or offers.site_idx.max() >= sites.n):
        raise ValueError("offer site_idx out of range")
    if offers.n and offers.provider_idx.min() < 0:
        raise ValueError("offer provider_idx must be non-negative")


@dataclass
class _OfferBits:
    """Each candidate offer's provider bit, indexed by offer id (non-candidates unused)."""

    word: np.ndarray  # int64 per offer
    bit: np.ndarray  # uint64 per offer
    n_words: int


def _offer_bits(*, offers: OfferArrays, candidates: np.ndarray, n_options: int, n_providers: int) -> _OfferBits:
    bits = _provider_bits(offers.option_idx[candidates], offers.provider_idx[candidates], n_options, n_providers)
    word = np.zeros(offers.n, np.int64)
    bit = np.zeros(offers.n, np.uint64)
    word[candidates], bit[candidates] = bits.word, bits.bit
    return _OfferBits(word=word, bit=bit, n_words=bits.n_words)


@dataclass
class _OnsiteReach:
    """On-site offers by mode: provider bitmasks per (word, cell), nearest times and sites, and the
    sparse locality × site-column catchments with each column's weekly capacity per option."""

    masks: dict[str, np.ndarray]
    nearest_minutes: dict[str, np.ndarray]
    nearest_site: dict[str, np.ndarray]
    catchment_by_mode: dict[str, sp.csr_matrix]
    site_capacity: np.ndarray  # (site column, option)


def _onsite_reach(
    *,
    offers: OfferArrays,
    candidates: np.ndarray,
    offer_bits: _OfferBits,
    travel: TravelTimes,
    limits: dict[str, float],
    n_loc: int,
    n_sites: int,
    n_opt: int,
) -> _OnsiteReach:
    """Site-level tables, then sparse locality × site pairs, one mode at a time."""
    n_cells = n_loc * n_opt
    onsite = np.flatnonzero(candidates & (offers.delivery == ON_SITE))
    onsite_site = offers.site_idx[onsite].astype(np.int64)
    onsite_option = offers.option_idx[onsite].astype(np.int64)
    # compact the sites that have candidate on-site offers; others can be dropped from pairs
    used_sites, onsite_col = np.unique(onsite_site, return_inverse=True)
    n_cols = used_sites.size
    col_of_site = np.full(n_sites, -1, np.int64)
    col_of_site[used_sites] = np.arange(n_cols)

    # site-option table (sorted by column then option): distinct options at each used site
    site_option_of_offer_key = onsite_col * n_opt + onsite_option
    site_option_keys, site_option_of_offer = np.unique(site_option_of_offer_key, return_inverse=True)
    site_option_col, site_option_option = site_option_keys // n_opt, site_option_keys % n_opt
    site_option_ptr = np.zeros(n_cols + 1, np.int64)
    np.cumsum(np.bincount(site_option_col, minlength=n_cols), out=site_option_ptr[1:])
    site_option_mask = np.zeros((offer_bits.n_words, site_option_keys.size), np.uint64)
    for w in range(offer_bits.n_words):
        sel = offer_bits.word[onsite] == w
        np.bitwise_or.at(site_option_mask[w], site_option_of_offer[sel], offer_bits.bit[onsite][sel])
    # weekly capacity of capacity-known offers per (column, option) for 2SFCA
    capacity = offers.capacity_per_week
    capacity_known = np.isfinite(capacity[onsite])
    site_capacity = np.bincount(
        site_option_of_offer_key[capacity_known], weights=capacity[onsite][capacity_known], minlength=n_cols * n_opt
    ).reshape(n_cols, n_opt)

    masks: dict[str, np.ndarray] = {}
    nearest_minutes: dict[str, np.ndarray] = {}
    nearest_site: dict[str, np.ndarray] = {}
    catchment_by_mode: dict[str, sp.csr_matrix] = {}
    for mode in MODES:
        loc, site, minutes = travel.pairs[mode]
        col = col_of_site[site]
        keep = (minutes <= limits[mode]) & (col >= 0)  # provider may hold pairs above the limit
        loc, col, minutes = loc[keep].astype(np.int64), col[keep], minutes[keep]
        catchment_by_mode[mode] = _csr_from_sorted_pairs(loc, col, n_loc, n_cols)

        pair_row, site_option_idx = _expand_by_ptr(col, site_option_ptr)
        cell = loc[pair_row] * n_opt + site_option_option[site_option_idx]
        masks[mode] = np.zeros((offer_bits.n_words, n_cells), np.uint64)
        for w in range(offer_bits.n_words):
            np.bitwise_or.at(masks[mode][w], cell, site_option_mask[w, site_option_idx])
        # nearest: pack (minutes bits, column) into one int64 so a single minimum.at finds
        # both; non-negative float32 bit patterns sort like the floats, ties → lowest column
        packed = (minutes.view(np.uint32).astype(np.int64)[pair_row] << 32) | col[pair_row]
        best = np.full(n_cells, _EMPTY_PACKED, np.int64)
        np.minimum.at(best, cell, packed)
        found = best != _EMPTY_PACKED
        near_min = np.full(n_cells, np.nan, np.float32)
        near_min[found] = (best[found] >> 32).astype(np.uint32).view(np.float32)
        near_site = np.full(n_cells, -1, np.int32)
        near_site[found] = used_sites[best[found] & 0xFFFFFFFF]
        nearest_minutes[mode] = near_min.reshape(n_loc, n_opt)
        nearest_site[mode] = near_site.reshape(n_loc, n_opt)
    return _OnsiteReach(
        masks=masks,
        nearest_minutes=nearest_minutes,
        nearest_site=nearest_site,
        catchment_by_mode=catchment_by_mode,
        site_capacity=site_capacity,
    )


def _onsite_access(
    *,
    catchment_by_mode: dict[str, sp.csr_matrix],
    site_capacity: np.ndarray,
    population: np.ndarray,
    without_car_modes: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """2SFCA for on-site offers at site level, without and with a car: offers at one site share a
    catchment, so Σ_j R_j over a site's offers of an option = (Σ capacity) / site demand."""
    catchments = {"without_car": reduce(_union, (catchment_by_mode[mode] for mode in without_car_modes))}
    catchments["with_car"] = _union(catchments["without_car"], catchment_by_mode["car"])
    access: dict[str, np.ndarray] = {}
    for scenario, matrix in catchments.items():
        demand = matrix.T @ population
        ratio = np.zeros_like(site_capacity)
        has_demand = demand > 0
        ratio[has_demand] = site_capacity[has_demand] / demand[has_demand, None]
        access[scenario] = 1000.0 * np.asarray(matrix @ ratio)
    return access


def _other_delivery(
    *,
    localities: LocalityArrays,
    sites: SiteArrays,
    offers: OfferArrays,
    candidates: np.ndarray,
    offer_bits: _OfferBits,
    population: np.ndarray,
    n_opt: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Outreach and home visits: explicit (locality, offer) pairs, the same with or without a car.

    Returns the provider bitmask per (word, cell) and the 2SFCA accessibility per (locality, option).
    """
    mask = np.zeros((offer_bits.n_words, localities.n * n_opt), np.uint64)
    pair_loc, pair_off = _other_delivery_pairs(localities=localities, sites=sites, offers=offers, candidates=candidates)
    cell = pair_loc * n_opt + offers.option_idx[pair_off]
    for w in range(offer_bits.n_words):
        sel = offer_bits.word[pair_off] == w
        np.bitwise_or.at(mask[w], cell[sel], offer_bits.bit[pair_off][sel])
    access = two_step_fca(
        catchment_locality_idx=pair_loc,
        catchment_offer_idx=pair_off,
        population=population,
        capacity=offers.capacity_per_week,
        offer_option=offers.option_idx,
        n_options=n_opt,
    )
    return mask, access


def _remote(
    *,
    offers: OfferArrays,
    candidates: np.ndarray,
    offer_bits: _OfferBits,
    population: np.ndarray,
    count_remote: bool,
    n_opt: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Remote offers reach everywhere (if counted): a provider bitmask and accessibility per option."""
    mask = np.zeros((offer_bits.n_words, n_opt), np.uint64)
    access: np.ndarray = np.zeros(n_opt)
    if count_remote:
        capacity = offers.capacity_per_week
        remote = np.flatnonzero(candidates & (offers.delivery == REMOTE))
        for w in range(offer_bits.n_words):
            sel = remote[offer_bits.word[remote] == w]
            np.bitwise_or.at(mask[w], offers.option_idx[sel], offer_bits.bit[sel])
        total_pop = population.sum()
        with_cap = remote[np.isfinite(capacity[remote])]
        if total_pop > 0:
            access = 1000.0 * np.bincount(
                offers.option_idx[with_cap], weights=capacity[with_cap] / total_pop, minlength=n_opt
            )
    return mask, access


def effective_car_share(localities: LocalityArrays, params: ReachParams) -> np.ndarray:
    """Each locality's car share, or the profile's default where the locality has none."""
    return np.where(np.isnan(localities.car_share), params.default_car_share, localities.car_share)


def _combine(
    *,
    onsite: _OnsiteReach,
    onsite_access: dict[str, np.ndarray],
    other_mask: np.ndarray,
    other_access: np.ndarray,
    remote_mask: np.ndarray,
    remote_access: np.ndarray,
    localities: LocalityArrays,
    population: np.ndarray,
    params: ReachParams,
    n_opt: int,
) -> ReachResult:
    """Without a car: walk, public transport (and cycling, if counted), outreach, home visits and remote;
    with a car: also car."""
    n_loc = localities.n
    remote_cells = np.tile(remote_mask, (1, n_loc))  # (word, cell) with the option pattern
    without_car = reduce(
        np.bitwise_or, (onsite.masks[mode] for mode in params.modes_without_car()), other_mask | remote_cells
    )
    with_car = without_car | onsite.masks["car"]
    del remote_cells
    providers_without = np.bitwise_count(without_car).sum(axis=0, dtype=np.int16).reshape(n_loc, n_opt)
    providers_with = np.bitwise_count(with_car).sum(axis=0, dtype=np.int16).reshape(n_loc, n_opt)
    reachable_without = providers_without > 0
    reachable_with = providers_with > 0
    shared_access = other_access + remote_access[None, :]
    accessibility_without = onsite_access["without_car"] + shared_access
    accessibility_with = onsite_access["with_car"] + shared_access

    menu_without = reachable_without.sum(axis=1, dtype=np.int16)
    menu_with = reachable_with.sum(axis=1, dtype=np.int16)
    car_share = effective_car_share(localities, params)
    expected = car_share * menu_with + (1.0 - car_share) * menu_without
    k = params.real_choice_providers
    real_without = (providers_without >= k).sum(axis=1, dtype=np.int16)
    real_with = (providers_with >= k).sum(axis=1, dtype=np.int16)

    per_locality = {
        "menu_without_car": menu_without,
        "menu_with_car": menu_with,
        "expected_menu": expected,
        "real_choice_without_car": real_without,
        "real_choice_with_car": real_with,
    }
    summary = summarise(
        per_locality=per_locality,
        population=population,
        rurality=localities.rurality,
        imd_decile=localities.imd_decile,
        n_options=n_opt,
    )
    return ReachResult(
        menu_without_car=menu_without,
        menu_with_car=menu_with,
        expected_menu=expected,
        real_choice_without_car=real_without,
        real_choice_with_car=real_with,
        reachable_without_car=reachable_without,
        reachable_with_car=reachable_with,
        providers_without_car=providers_without,
        providers_with_car=providers_with,
        nearest_minutes=onsite.nearest_minutes,
        nearest_site=onsite.nearest_site,
        accessibility_without_car=accessibility_without,
        accessibility_with_car=accessibility_with,
        car_share=car_share,
        summary=summary,
        params=params,
    )


def compute_reach(
    *,
    localities: LocalityArrays,
    sites: SiteArrays,
    offers: OfferArrays,
    n_options: int,
    n_providers: int,
    travel: TravelTimes,
    params: ReachParams,
    progress: Callable[[int], None] | None = None,
) -> ReachResult:
    """Reach of every option from every locality, with and without a car, plus equity figures.

    See docs/DESIGN.md "The reach model". ``n_options`` is the number of active menu
    options (offers' option_idx must be < n_options).
    """

    def report(pct: int) -> None:
        if progress is not None:
            progress(pct)

    report(0)
    n_opt = int(n_options)
    _check_inputs(localities=localities, sites=sites, offers=offers, n_options=n_opt, travel=travel)
    population = np.nan_to_num(localities.population, nan=0.0)
    candidates = candidate_offers(offers, params)
    offer_bits = _offer_bits(offers=offers, candidates=candidates, n_options=n_opt, n_providers=n_providers)

    onsite = _onsite_reach(
        offers=offers,
        candidates=candidates,
        offer_bits=offer_bits,
        travel=travel,
        limits=params.max_minutes(),
        n_loc=localities.n,
        n_sites=sites.n,
        n_opt=n_opt,
    )
    report(40)
    onsite_access = _onsite_access(
        catchment_by_mode=onsite.catchment_by_mode,
        site_capacity=onsite.site_capacity,
        population=population,
        without_car_modes=params.modes_without_car(),
    )
    onsite.catchment_by_mode = {}  # the largest sparse structures: free them before the next part
    report(60)
    other_mask, other_access = _other_delivery(
        localities=localities,
        sites=sites,
        offers=offers,
        candidates=candidates,
        offer_bits=offer_bits,
        population=population,
        n_opt=n_opt,
    )
    remote_mask, remote_access = _remote(
        offers=offers,
        candidates=candidates,
        offer_bits=offer_bits,
        population=population,
        count_remote=params.count_remote,
        n_opt=n_opt,
    )
    report(80)
    result = _combine(
        onsite=onsite,
        onsite_access=onsite_access,
        other_mask=other_mask,
        other_access=other_access,
        remote_mask=remote_mask,
        remote_access=remote_access,
        localities=localities,
        population=population,
        params=params,
        n_opt=n_opt,
    )
    report(100)
    return result


# --------------------------------------------------------------------------------------
# run-level summary
# --------------------------------------------------------------------------------------


def _weighted_means(per_locality: dict[str, np.ndarray], weights: np.ndarray) -> dict[str, float | None]:
    total = float(weights.sum())
    if total <= 0:
        return {name: None for name in per_locality}
    return {name: float((values * weights).sum() / total) for name, values in per_locality.items()}


def _group_summary(
    labels: np.ndarray, known: np.ndarray, per_locality: dict[str, np.ndarray], population: np.ndarray, n_options: int
) -> dict[str, dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    if not known.any():
        return groups
    for label in np.unique(labels[known]):  # numeric labels sort numerically, strings lexically
        members = known & (labels == label)
        pop = population[members]
        groups[str(label.item())] = {
            "population": float(pop.sum()),
            "n_localities": int(members.sum()),
            "mean": _weighted_means({k: v[members] for k, v in per_locality.items()}, pop),
            "full_menu_share_without_car": _share(per_locality["menu_without_car"][members] == n_options, pop),
        }
    return groups


def _share(condition: np.ndarray, weights: np.ndarray) -> float | None:
    total = float(weights.sum())
    return float(weights[condition].sum() / total) if total > 0 else None


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and np.isnan(value)


def _rurality_labels(rurality: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels, known): ints are all known, floats known when finite, strings known unless
    "" / None / NaN (returned as a str array)."""
    rurality = np.asarray(rurality)
    if rurality.dtype.kind in "iub":
        return rurality, np.ones(rurality.size, bool)
    if rurality.dtype.kind == "f":
        return rurality, np.isfinite(rurality)
    values = rurality.tolist()
    known = np.array([v is not None and not _is_nan(v) and str(v) != "" for v in values], dtype=bool)
    return np.array(["" if v is None else str(v) for v in values], dtype=str), known


def summarise(
    *,
    per_locality: dict[str, np.ndarray],
    population: np.ndarray,
    rurality: np.ndarray,
    imd_decile: np.ndarray,
    n_options: int,
) -> dict[str, Any]:
    """Population-weighted run figures as a plain JSON-serialisable dict.

    ``best_to_worst_fifth_ratio`` = mean expected menu of the best-served 20% of people ÷ that
    of the worst-served 20% (localities split fractionally at the 20%/80% boundaries). It is
    None when the worst fifth's mean is 0 (the ratio would be infinite or undefined; JSON has
    no inf) or when there is no population; both fifth means are reported alongside.
    Means are None for groups with no population.
    """
    expected = per_locality["expected_menu"]
    worst = weighted_slice_mean(expected, population, 0.0, 0.2)
    best = weighted_slice_mean(expected, population, 0.8, 1.0)
    ratio = best / worst if (best is not None and worst) else None
    rurality_labels, rurality_known = _rurality_labels(rurality)
    imd = np.asarray(imd_decile, dtype=np.int64)
    return {
        "n_localities": int(population.size),
        "n_options": int(n_options),
        "total_population": float(population.sum()),
        "mean": _weighted_means(per_locality, population),
        "full_menu_share_without_car": _share(per_locality["menu_without_car"] == n_options, population),
        "gini_expected_menu": weighted_gini(expected, population),
        "worst_fifth_expected_menu": worst,
        "best_fifth_expected_menu": best,
        "best_to_worst_fifth_ratio": ratio,
        "by_rurality": _group_summary(rurality_labels, rurality_known, per_locality, population, n_options),
        "by_imd_decile": _group_summary(imd, imd > 0, per_locality, population, n_options),
    }
