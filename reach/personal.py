"""The personal menu: the reach engine evaluated for one person, with a reason for every option out of reach.

Pure numpy, no Django, like ``reach.engine`` (whose offer arrays, wait rule and delivery codes it uses).
The caller turns a service user's needs into ``PersonNeeds``, the catalogue into ``OfferArrays`` plus
``OfferFacts``, and gives the travel minutes from the person's home locality to every site by mode.

Each active offer passes through the checks in ``STAGES`` order and stops at the first it fails. An
option is reachable when one of its offers passes them all; otherwise its reason is the failure of the
offer that got furthest, so the reason names the last obstacle ("too far" only once the person is
eligible, the format suits them, the wait is short enough and it is open when they can come).
Unknown facts rule nothing out: an offer with no recorded hours may be open, a person not asked about
groups may accept one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from reach.engine import HOME_VISIT, ON_SITE, OUTREACH, REMOTE, OfferArrays, ReachParams, candidate_offers
from reach.travel import MODES, haversine_km

# Reason codes, in the order the checks are made; REACHABLE means every check passed.
NOT_ELIGIBLE, FORMAT_NOT_ACCEPTABLE, WAIT_OVER_LIMIT, NOT_OPEN_WHEN_AVAILABLE, TOO_FAR, REACHABLE = range(6)
NO_PROVIDER = -1
REASON_CODES: dict[int, str] = {
    NO_PROVIDER: "no_provider",
    NOT_ELIGIBLE: "not_eligible",
    FORMAT_NOT_ACCEPTABLE: "format_not_acceptable",
    WAIT_OVER_LIMIT: "wait_over_limit",
    NOT_OPEN_WHEN_AVAILABLE: "not_open_when_available",
    TOO_FAR: "too_far",
    REACHABLE: "reachable",
}
SESSIONS: tuple[str, ...] = ("weekday_morning", "weekday_afternoon", "weekday_evening", "weekend")
WORKER_GENDER_BITS: dict[str, int] = {"female": 1, "male": 2}
UNKNOWN = -1  # tri-state facts (is_group, creche): -1 not recorded, 0 no, 1 yes


@dataclass(frozen=True)
class PersonNeeds:
    """One person's constraints. Empty or None means "not asked" and rules nothing out.

    ``modes``: the travel modes they can use; ``max_minutes``: their own longest journey, which
    replaces the profile's per-mode limits; ``age_range``: the youngest and oldest age they may be
    (their age band), matched against an offer's eligible ages by overlap.
    """

    modes: tuple[str, ...] = MODES
    max_minutes: float | None = None
    age_range: tuple[float, float] | None = None
    can_attend: tuple[str, ...] = ()
    accepts_remote: bool | None = None
    accepts_home_visits: bool | None = None
    accepts_groups: bool | None = None
    worker_gender: str = ""
    needs_childcare: bool | None = None
    interpreter_language: str = ""

    def __post_init__(self) -> None:
        unknown = [m for m in self.modes if m not in MODES] + [s for s in self.can_attend if s not in SESSIONS]
        if unknown:
            raise ValueError(f"unknown modes or sessions: {unknown}")
        if self.worker_gender and self.worker_gender not in WORKER_GENDER_BITS:
            raise ValueError(f"unknown worker gender {self.worker_gender!r}")


def modes_for(*, travel_access: str, walking_limited: bool | None) -> tuple[str, ...]:
    """The modes a person can use: a car only with one in the household or lifts; walking unless limited."""
    modes = [m for m in MODES if not (m == "car" and travel_access == "no_car")]
    return tuple(m for m in modes if not (m == "walk" and walking_limited))


@dataclass
class OfferFacts:
    """The matching facts of each offer, in ``OfferArrays`` order (NaN, -1, 0 or empty when not recorded).

    ``open_sessions[k, s]``: offer k is open in session ``SESSIONS[s]``; only read where ``hours_known``.
    ``worker_genders``: a bitmask of ``WORKER_GENDER_BITS``.
    """

    min_age: np.ndarray
    max_age: np.ndarray
    is_group: np.ndarray
    worker_genders: np.ndarray
    creche: np.ndarray
    languages: list[frozenset[str]]
    open_sessions: np.ndarray
    hours_known: np.ndarray

    def __post_init__(self) -> None:
        self.min_age = np.asarray(self.min_age, dtype=np.float64)
        self.max_age = np.asarray(self.max_age, dtype=np.float64)
        self.is_group = np.asarray(self.is_group, dtype=np.int8)
        self.worker_genders = np.asarray(self.worker_genders, dtype=np.uint8)
        self.creche = np.asarray(self.creche, dtype=np.int8)
        self.open_sessions = np.asarray(self.open_sessions, dtype=bool).reshape(-1, len(SESSIONS))
        self.hours_known = np.asarray(self.hours_known, dtype=bool)
        sizes = {a.shape[0] for a in (self.min_age, self.max_age, self.is_group, self.worker_genders, self.creche)}
        sizes |= {len(self.languages), self.open_sessions.shape[0], self.hours_known.shape[0]}
        if len(sizes) != 1:
            raise ValueError(f"offer facts: arrays must be of equal length, got {sorted(sizes)}")


@dataclass
class PersonalMenu:
    """Per option: the reason code, the nearest on-site time (and mode) by the person's modes among
    offers that passed every other check (NaN / "" when none), and the providers they can reach."""

    reason: np.ndarray  # int8, REASON_CODES keys
    nearest_minutes: np.ndarray  # float64
    nearest_mode: list[str]
    providers: np.ndarray  # int16
    offer_stage: np.ndarray = field(repr=False)  # int8 per offer: the check it failed, or REACHABLE

    @property
    def reachable(self) -> np.ndarray:
        return self.reason == REACHABLE


def personal_menu(
    *,
    person: PersonNeeds,
    params: ReachParams,
    offers: OfferArrays,
    facts: OfferFacts,
    n_options: int,
    home_locality: int,
    home_lat: float,
    home_lon: float,
    site_lat: np.ndarray,
    site_lon: np.ndarray,
    site_minutes: dict[str, np.ndarray],
) -> PersonalMenu:
    """The menu for one person from their home locality. ``site_minutes[mode]``: minutes from home to
    each site (NaN where no route is known); the profile's limits apply unless the person gave their own."""
    if facts.min_age.shape[0] != offers.n:
        raise ValueError("offer facts and offers differ in length")
    stage = np.full(offers.n, REACHABLE, np.int8)
    # The person's modes that the profile counts: cycling only when it counts cycling, as the engine does.
    modes = tuple(m for m in person.modes if m in params.modes_with_car())
    onsite_minutes = _onsite_minutes(modes, offers, site_minutes)
    limits = params.max_minutes() if person.max_minutes is None else dict.fromkeys(MODES, float(person.max_minutes))
    # Later checks first, so that the earliest failed check is the one left standing.
    travelled = _within_travel(
        offers=offers,
        onsite_minutes=onsite_minutes,
        limits=limits,
        home_locality=home_locality,
        home_lat=home_lat,
        home_lon=home_lon,
        site_lat=site_lat,
        site_lon=site_lon,
    )
    stage[~travelled] = TOO_FAR
    stage[~_open_when_available(person, facts)] = NOT_OPEN_WHEN_AVAILABLE
    stage[offers.active & ~candidate_offers(offers, params)] = WAIT_OVER_LIMIT
    stage[~_format_acceptable(person, params, offers, facts)] = FORMAT_NOT_ACCEPTABLE
    stage[~_age_eligible(person, facts)] = NOT_ELIGIBLE
    return _by_option(offers, stage, onsite_minutes, n_options)


def _onsite_minutes(modes: tuple[str, ...], offers: OfferArrays, site_minutes: dict[str, np.ndarray]) -> np.ndarray:
    """(MODES, offers) minutes to each on-site offer by each of `modes`; NaN elsewhere."""
    table = np.full((len(MODES), offers.n), np.nan)
    for m, mode in enumerate(MODES):
        if mode in modes and mode in site_minutes:
            table[m] = np.asarray(site_minutes[mode], dtype=np.float64)[offers.site_idx]
    table[:, offers.delivery != ON_SITE] = np.nan
    return table


def _within_travel(*, offers, onsite_minutes, limits, home_locality, home_lat, home_lon, site_lat, site_lon):
    """Per offer, whether the delivery reaches the person: on-site by some mode within its limit, outreach
    held in the home locality, a home visit within its radius, or remote."""
    limit_column = np.array([limits[m] for m in MODES])[:, None]
    with np.errstate(invalid="ignore"):
        ok = np.any(onsite_minutes <= limit_column, axis=0)
    held_here = np.zeros(offers.n, bool)
    held_here[offers.outreach_offer_idx[offers.outreach_locality_idx == home_locality]] = True
    ok |= (offers.delivery == OUTREACH) & held_here
    site = offers.site_idx
    km = haversine_km(home_lat, home_lon, np.asarray(site_lat)[site], np.asarray(site_lon)[site])
    ok |= (offers.delivery == HOME_VISIT) & (km <= offers.home_visit_km)
    ok |= offers.delivery == REMOTE
    return ok


def _open_when_available(person: PersonNeeds, facts: OfferFacts) -> np.ndarray:
    if not person.can_attend:
        return np.ones(facts.hours_known.shape[0], bool)
    wanted = np.array([s in person.can_attend for s in SESSIONS])
    return ~facts.hours_known | np.any(facts.open_sessions & wanted, axis=1)


def _format_acceptable(person: PersonNeeds, params: ReachParams, offers: OfferArrays, facts: OfferFacts) -> np.ndarray:
    ok = np.ones(offers.n, bool)
    remote_ok = params.count_remote if person.accepts_remote is None else person.accepts_remote
    if not remote_ok:
        ok &= offers.delivery != REMOTE
    if person.accepts_home_visits is False:
        ok &= offers.delivery != HOME_VISIT
    if person.accepts_groups is False:
        ok &= facts.is_group != 1
    if person.needs_childcare:
        ok &= facts.creche != 0
    if person.worker_gender:
        genders = facts.worker_genders
        ok &= (genders == 0) | ((genders & WORKER_GENDER_BITS[person.worker_gender]) != 0)
    if person.interpreter_language:
        # An offer with no recorded languages may still arrange an interpreter.
        ok &= np.array([not langs or person.interpreter_language in langs for langs in facts.languages], bool)
    return ok


def _age_eligible(person: PersonNeeds, facts: OfferFacts) -> np.ndarray:
    if person.age_range is None:
        return np.ones(facts.min_age.shape[0], bool)
    youngest, oldest = person.age_range
    too_young = ~np.isnan(facts.max_age) & (facts.max_age < youngest)
    too_old = ~np.isnan(facts.min_age) & (facts.min_age > oldest)
    return ~(too_young | too_old)


def _by_option(offers: OfferArrays, stage: np.ndarray, onsite_minutes: np.ndarray, n_options: int) -> PersonalMenu:
    """Each option's furthest stage, its distinct reachable providers, and the nearest on-site time among
    offers that failed on distance alone or passed (NaN when none)."""
    active = np.flatnonzero(offers.active)
    reason = np.full(n_options, NO_PROVIDER, np.int8)
    np.maximum.at(reason, offers.option_idx[active], stage[active])
    reached = active[stage[active] == REACHABLE]
    pairs = np.unique(np.stack([offers.option_idx[reached], offers.provider_idx[reached]]), axis=1)
    providers = np.bincount(pairs[0], minlength=n_options).astype(np.int16)
    nearest = np.full(n_options, np.nan)
    nearest_mode = [""] * n_options
    travelling = active[stage[active] >= TOO_FAR]
    for option in range(n_options):
        mine = travelling[offers.option_idx[travelling] == option]
        table = onsite_minutes[:, mine]
        if table.size and not np.all(np.isnan(table)):
            mode, column = np.unravel_index(np.nanargmin(table), table.shape)
            nearest[option], nearest_mode[option] = table[mode, column], MODES[mode]
    return PersonalMenu(
        reason=reason, nearest_minutes=nearest, nearest_mode=nearest_mode, providers=providers, offer_stage=stage
    )
