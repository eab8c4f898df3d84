"""The personal menu: every reason code on a hand-built catalogue, a naive per-offer oracle on random
catalogues, and the engine's own answer for a person with no constraints. Pure numpy, no Django."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reach.engine import HOME_VISIT, ON_SITE, OUTREACH, REMOTE, ReachParams, compute_reach
from reach.personal import (
    FORMAT_NOT_ACCEPTABLE,
    NO_PROVIDER,
    NOT_ELIGIBLE,
    NOT_OPEN_WHEN_AVAILABLE,
    REACHABLE,
    REASON_CODES,
    SESSIONS,
    TOO_FAR,
    WAIT_OVER_LIMIT,
    WORKER_GENDER_BITS,
    OfferFacts,
    PersonNeeds,
    modes_for,
    personal_menu,
)
from reach.travel import MODES, matrix_travel_times
from tests.reach.test_engine import make_localities, make_offers, make_sites

NaN = float("nan")
PARAMS = ReachParams(walk_minutes=30, pt_minutes=45, car_minutes=30, max_wait_weeks=3)


def make_facts(rows: list[dict[str, Any]]) -> OfferFacts:
    """rows: optional min_age, max_age, group (-1/0/1), genders (bitmask), creche (-1/0/1), languages, open."""

    def col(name: str, default: Any) -> list[Any]:
        return [row.get(name, default) for row in rows]

    opens = col("open", None)
    return OfferFacts(
        min_age=np.array(col("min_age", NaN), float),
        max_age=np.array(col("max_age", NaN), float),
        is_group=np.array(col("group", -1), np.int8),
        worker_genders=np.array(col("genders", 0), np.uint8),
        creche=np.array(col("creche", -1), np.int8),
        languages=[frozenset(x) for x in col("languages", ())],
        open_sessions=np.array([[s in (o or ()) for s in SESSIONS] for o in opens], bool).reshape(-1, len(SESSIONS)),
        hours_known=np.array([o is not None for o in opens], bool),
    )


def menu_for(rows, person=None, *, minutes=None, n_options=1, outreach=(), params=PARAMS, site_km=None):
    """One home (locality 0 at 50N 0E) and one site per row's `site`; minutes[mode] per site."""
    person = person or PersonNeeds()
    n_sites = max([r.get("site", 0) for r in rows], default=0) + 1
    minutes = minutes or {
        "walk": [NaN] * n_sites,
        "pt": [NaN] * n_sites,
        "car": [10.0] * n_sites,
        "cycle": [NaN] * n_sites,
    }
    site_lat = np.full(n_sites, 50.0) if site_km is None else 50.0 + np.asarray(site_km) / 111.195
    return personal_menu(
        person=person,
        params=params,
        offers=make_offers(rows, outreach),
        facts=make_facts(rows),
        n_options=n_options,
        home_locality=0,
        home_lat=50.0,
        home_lon=0.0,
        site_lat=site_lat,
        site_lon=np.zeros(n_sites),
        site_minutes={mode: np.array(v, float) for mode, v in minutes.items()},
    )


# --------------------------------------------------------------------------------------
# every reason code on a hand-built catalogue
# --------------------------------------------------------------------------------------


def test_no_provider_when_the_option_has_no_active_offer():
    menu = menu_for([{"option": 0}, {"option": 1, "active": False}], n_options=3)
    assert list(menu.reason) == [REACHABLE, NO_PROVIDER, NO_PROVIDER]
    assert list(menu.providers) == [1, 0, 0]


def test_too_far_by_the_persons_modes_gives_the_nearest_time():
    minutes = {"walk": [70.0], "pt": [50.0], "car": [12.0]}
    without_car = PersonNeeds(modes=modes_for(travel_access="no_car", walking_limited=False))
    menu = menu_for([{}], without_car, minutes=minutes)
    assert menu.reason[0] == TOO_FAR
    assert (menu.nearest_minutes[0], menu.nearest_mode[0]) == (50.0, "pt")
    # The same person with lifts: the car is theirs to use, and 12 minutes is within 30.
    with_lifts = PersonNeeds(modes=modes_for(travel_access="lifts", walking_limited=False))
    lifted = menu_for([{}], with_lifts, minutes=minutes)
    assert lifted.reason[0] == REACHABLE and lifted.nearest_mode[0] == "car"


def test_walking_limited_drops_walking_and_own_limit_replaces_the_profiles():
    minutes = {"walk": [20.0], "pt": [NaN], "car": [NaN]}
    assert menu_for([{}], PersonNeeds(), minutes=minutes).reason[0] == REACHABLE
    limited = PersonNeeds(modes=modes_for(travel_access="no_car", walking_limited=True))
    menu = menu_for([{}], limited, minutes=minutes)
    assert menu.reason[0] == TOO_FAR and math.isnan(menu.nearest_minutes[0])
    assert menu_for([{}], PersonNeeds(max_minutes=15), minutes=minutes).reason[0] == TOO_FAR
    # Their own 60 minutes reaches a 50-minute bus ride the profile's 45 would not.
    bus = {"walk": [NaN], "pt": [50.0], "car": [NaN]}
    assert menu_for([{}], PersonNeeds(), minutes=bus).reason[0] == TOO_FAR
    assert menu_for([{}], PersonNeeds(max_minutes=60), minutes=bus).reason[0] == REACHABLE


def test_cycling_counts_only_when_the_profile_counts_it():
    minutes = {"walk": [NaN], "pt": [NaN], "car": [NaN], "cycle": [20.0]}
    no_car = PersonNeeds(modes=modes_for(travel_access="no_car", walking_limited=False))
    menu = menu_for([{}], no_car, minutes=minutes)
    assert menu.reason[0] == TOO_FAR and math.isnan(menu.nearest_minutes[0])
    cycling = menu_for([{}], no_car, minutes=minutes, params=ReachParams(count_cycle=True))
    assert cycling.reason[0] == REACHABLE and cycling.nearest_mode[0] == "cycle"


def test_a_slower_mode_within_its_own_limit_reaches():
    # car 35 > 30 (car limit), pt 40 <= 45 (pt limit): reachable by bus though the car is quicker.
    menu = menu_for([{}], minutes={"walk": [NaN], "pt": [40.0], "car": [35.0]})
    assert menu.reason[0] == REACHABLE


def test_wait_over_the_limit():
    menu = menu_for([{"wait": 4}, {"wait": 3, "option": 1}, {"option": 2}], n_options=3)
    assert list(menu.reason) == [WAIT_OVER_LIMIT, REACHABLE, REACHABLE]


def test_not_open_when_they_can_attend():
    rows = [
        {"option": 0, "open": ("weekday_morning",)},
        {"option": 1, "open": ("weekday_morning", "weekday_evening")},
        {"option": 2},  # hours not recorded: may be open
        {"option": 3, "open": ()},  # recorded, never open in any of the four sessions
    ]
    evenings = PersonNeeds(can_attend=("weekday_evening",))
    assert list(menu_for(rows, evenings, n_options=4).reason) == [
        NOT_OPEN_WHEN_AVAILABLE,
        REACHABLE,
        REACHABLE,
        NOT_OPEN_WHEN_AVAILABLE,
    ]
    assert list(menu_for(rows, PersonNeeds(), n_options=4).reason) == [REACHABLE] * 4


def test_not_eligible_by_age_band_overlap():
    rows = [{"option": 0, "max_age": 17}, {"option": 1, "min_age": 25}, {"option": 2, "min_age": 21}]
    person = PersonNeeds(age_range=(18, 24))
    # 21+ overlaps 18–24: the person may be 21, so the option stays on their menu.
    assert list(menu_for(rows, person, n_options=3).reason) == [NOT_ELIGIBLE, NOT_ELIGIBLE, REACHABLE]
    assert list(menu_for(rows, PersonNeeds(), n_options=3).reason) == [REACHABLE] * 3


@pytest.mark.parametrize(
    "person, row",
    [
        (PersonNeeds(accepts_remote=False), {"delivery": "remote"}),
        (PersonNeeds(accepts_home_visits=False), {"delivery": "home_visit", "home_km": 50}),
        (PersonNeeds(accepts_groups=False), {"group": 1}),
        (PersonNeeds(needs_childcare=True), {"creche": 0}),
        (PersonNeeds(worker_gender="female"), {"genders": WORKER_GENDER_BITS["male"]}),
        (PersonNeeds(interpreter_language="pl"), {"languages": ("en", "ur")}),
    ],
)
def test_format_not_acceptable(person, row):
    assert menu_for([row], person).reason[0] == FORMAT_NOT_ACCEPTABLE
    # Not asked rules nothing out (remote counts when the person accepts it or the profile does).
    neutral = PersonNeeds(accepts_remote=True)
    assert menu_for([row], neutral).reason[0] == REACHABLE


@pytest.mark.parametrize(
    "person, row",
    [
        (PersonNeeds(accepts_groups=False), {"group": 0}),
        (PersonNeeds(accepts_groups=False), {"group": -1}),
        (PersonNeeds(needs_childcare=True), {"creche": -1}),
        (PersonNeeds(worker_gender="female"), {"genders": 3}),
        (PersonNeeds(worker_gender="female"), {"genders": 0}),
        (PersonNeeds(interpreter_language="pl"), {"languages": ("en", "pl")}),
        (PersonNeeds(interpreter_language="pl"), {"languages": ()}),
    ],
)
def test_matching_facts_that_suit_or_are_unknown(person, row):
    assert menu_for([row], person).reason[0] == REACHABLE


def test_remote_follows_the_person_then_the_profile():
    row = [{"delivery": "remote"}]
    assert menu_for(row, PersonNeeds()).reason[0] == FORMAT_NOT_ACCEPTABLE  # profile: remote does not count
    assert menu_for(row, PersonNeeds(), params=ReachParams(count_remote=True)).reason[0] == REACHABLE
    assert menu_for(row, PersonNeeds(accepts_remote=True)).reason[0] == REACHABLE


def test_outreach_and_home_visits_reach_by_place_not_by_time():
    rows = [
        {"option": 0, "delivery": "outreach"},
        {"option": 1, "delivery": "outreach"},
        {"option": 2, "delivery": "home_visit", "home_km": 10, "site": 1},
        {"option": 3, "delivery": "home_visit", "home_km": 5, "site": 1},
    ]
    menu = menu_for(rows, n_options=4, outreach=[(0, 0), (1, 7)], site_km=[0, 8])
    assert list(menu.reason) == [REACHABLE, TOO_FAR, REACHABLE, TOO_FAR]


def test_the_reason_is_the_offer_that_got_furthest():
    # One provider is out of the age range, another is too far: the person reads "too far", with its time.
    rows = [{"provider": 0, "max_age": 17, "site": 0}, {"provider": 1, "site": 1}, {"provider": 2, "wait": 9}]
    minutes = {"walk": [NaN, NaN], "pt": [5.0, 70.0], "car": [NaN, NaN]}
    menu = menu_for(rows, PersonNeeds(age_range=(25, 34)), minutes=minutes)
    assert menu.reason[0] == TOO_FAR and menu.nearest_minutes[0] == 70.0
    assert list(menu.offer_stage) == [NOT_ELIGIBLE, TOO_FAR, WAIT_OVER_LIMIT]


def test_providers_are_counted_once_each():
    rows = [
        {"provider": 0, "site": 0},
        {"provider": 0, "site": 1},
        {"provider": 1, "site": 1},
        {"provider": 2, "wait": 9},
    ]
    assert menu_for(rows).providers[0] == 2


def test_every_reason_code_has_a_name():
    assert set(REASON_CODES) == {
        NO_PROVIDER,
        NOT_ELIGIBLE,
        FORMAT_NOT_ACCEPTABLE,
        WAIT_OVER_LIMIT,
        NOT_OPEN_WHEN_AVAILABLE,
        TOO_FAR,
        REACHABLE,
    }


# --------------------------------------------------------------------------------------
# the naive per-offer oracle on random catalogues
# --------------------------------------------------------------------------------------


def naive_menu(*, person, params, rows, outreach, n_options, minutes, site_km):
    """Each offer checked one rule at a time in plain Python; an option takes its best offer's stage."""
    limits = params.max_minutes() if person.max_minutes is None else dict.fromkeys(MODES, person.max_minutes)
    counted = params.modes_with_car()  # cycling counts only when the profile counts it
    stages: dict[int, list[int]] = {}
    nearest: dict[int, float] = {}
    for k, row in enumerate(rows):
        if not row.get("active", True):
            continue
        delivery = row.get("delivery", "on_site")
        times = {m: minutes[m][row.get("site", 0)] for m in person.modes if m in counted}
        times = {m: t for m, t in times.items() if delivery == "on_site" and not math.isnan(t)}
        lo, hi = person.age_range or (-math.inf, math.inf)
        remote_ok = params.count_remote if person.accepts_remote is None else person.accepts_remote
        if row.get("max_age", math.inf) < lo or row.get("min_age", -math.inf) > hi:
            stage = NOT_ELIGIBLE
        elif (
            (delivery == "remote" and not remote_ok)
            or (delivery == "home_visit" and person.accepts_home_visits is False)
            or (person.accepts_groups is False and row.get("group", -1) == 1)
            or (person.needs_childcare and row.get("creche", -1) == 0)
            or (
                person.worker_gender
                and row.get("genders", 0)
                and not row["genders"] & WORKER_GENDER_BITS[person.worker_gender]
            )
            or (
                person.interpreter_language
                and row.get("languages")
                and person.interpreter_language not in row["languages"]
            )
        ):
            stage = FORMAT_NOT_ACCEPTABLE
        elif row.get("wait", 0) > params.max_wait_weeks:
            stage = WAIT_OVER_LIMIT
        elif person.can_attend and row.get("open") is not None and not set(row["open"]) & set(person.can_attend):
            stage = NOT_OPEN_WHEN_AVAILABLE
        elif delivery == "on_site" and not any(t <= limits[m] for m, t in times.items()):
            stage = TOO_FAR
        elif delivery == "outreach" and (k, 0) not in outreach:
            stage = TOO_FAR
        elif delivery == "home_visit" and site_km[row.get("site", 0)] > row["home_km"]:
            stage = TOO_FAR
        else:
            stage = REACHABLE
        option = row.get("option", 0)
        stages.setdefault(option, []).append(stage)
        if stage >= TOO_FAR and times:
            nearest[option] = min(nearest.get(option, math.inf), *times.values())
    reasons = [max(stages.get(o, [NO_PROVIDER])) for o in range(n_options)]
    return reasons, [nearest.get(o, NaN) for o in range(n_options)]


maybe = st.sampled_from([None, True, False])
offer_rows = st.fixed_dictionaries(
    {
        "site": st.integers(0, 3),
        "option": st.integers(0, 3),
        "provider": st.integers(0, 2),
        "delivery": st.sampled_from(["on_site", "on_site", "outreach", "home_visit", "remote"]),
        "home_km": st.sampled_from([2.0, 20.0]),
        "wait": st.sampled_from([NaN, 1.0, 3.0, 6.0]),
        "active": st.booleans(),
        "min_age": st.sampled_from([NaN, 18.0, 25.0, 65.0]),
        "max_age": st.sampled_from([NaN, 17.0, 24.0, 64.0]),
        "group": st.sampled_from([-1, 0, 1]),
        "genders": st.integers(0, 3),
        "creche": st.sampled_from([-1, 0, 1]),
        "languages": st.sampled_from([(), ("en",), ("en", "pl")]),
        "open": st.sampled_from([None, (), ("weekday_morning",), ("weekday_evening", "weekend")]),
    }
)
people = st.builds(
    PersonNeeds,
    modes=st.sampled_from([MODES, ("walk", "pt"), ("walk", "pt", "cycle"), ("pt",), ("car",), ("cycle",), ()]),
    max_minutes=st.sampled_from([None, 20.0, 60.0]),
    age_range=st.sampled_from([None, (18.0, 24.0), (65.0, 120.0)]),
    can_attend=st.sampled_from([(), ("weekday_evening",), ("weekday_morning", "weekend")]),
    accepts_remote=maybe,
    accepts_home_visits=maybe,
    accepts_groups=maybe,
    worker_gender=st.sampled_from(["", "female", "male"]),
    needs_childcare=maybe,
    interpreter_language=st.sampled_from(["", "pl"]),
)
site_minutes = st.lists(st.sampled_from([NaN, 5.0, 25.0, 40.0, 90.0]), min_size=4, max_size=4)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(offer_rows, max_size=12),
    person=people,
    walk=site_minutes,
    pt=site_minutes,
    car=site_minutes,
    cycle=site_minutes,
    held=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 2)), max_size=6, unique=True),
    count_remote=st.booleans(),
    count_cycle=st.booleans(),
)
def test_matches_the_naive_per_offer_oracle(*, rows, person, walk, pt, car, cycle, held, count_remote, count_cycle):
    for row in rows:  # the strategy gives NaN for unknown ages; the oracle reads them as absent
        for key in ("min_age", "max_age"):
            if math.isnan(row[key]):
                del row[key]
        if math.isnan(row["wait"]):
            del row["wait"]
    outreach = [(k, loc) for k, loc in held if k < len(rows) and rows[k]["delivery"] == "outreach"]
    params = ReachParams(count_remote=count_remote, count_cycle=count_cycle)
    minutes = {"walk": walk, "pt": pt, "car": car, "cycle": cycle}
    site_km = [0.0, 5.0, 10.0, 30.0]
    menu = menu_for(rows, person, minutes=minutes, n_options=4, outreach=outreach, params=params, site_km=site_km)
    reasons, nearest = naive_menu(
        person=person, params=params, rows=rows, outreach=set(outreach), n_options=4, minutes=minutes, site_km=site_km
    )
    assert list(menu.reason) == reasons
    np.testing.assert_array_equal(menu.nearest_minutes, np.array(nearest))


# --------------------------------------------------------------------------------------
# the same engine: a person with no constraints sees what compute_reach says of their locality
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("count_cycle", [False, True])
def test_unconstrained_person_sees_the_engines_menu(count_cycle):
    rng = np.random.default_rng(15)
    n_loc, n_sites, n_offers, n_opt = 6, 8, 40, 5
    localities = make_localities(n_loc, lat=50 + rng.uniform(0, 0.3, n_loc), lon=rng.uniform(0, 0.3, n_loc))
    sites = make_sites(n_sites, lat=50 + rng.uniform(0, 0.3, n_sites), lon=rng.uniform(0, 0.3, n_sites))
    deliveries = rng.choice([ON_SITE, ON_SITE, OUTREACH, HOME_VISIT, REMOTE], n_offers)
    names = {ON_SITE: "on_site", OUTREACH: "outreach", HOME_VISIT: "home_visit", REMOTE: "remote"}
    rows = [
        {
            "site": int(rng.integers(n_sites)),
            "option": int(rng.integers(n_opt)),
            "provider": int(rng.integers(4)),
            "delivery": names[int(d)],
            "wait": float(rng.choice([NaN, 1, 5])),
            "active": bool(rng.random() > 0.1),
            "home_km": 8.0,
        }
        for d in deliveries
    ]
    outreach = [(k, int(rng.integers(n_loc))) for k, row in enumerate(rows) if row["delivery"] == "outreach"]
    loc, site, mode = np.meshgrid(np.arange(n_loc), np.arange(n_sites), np.arange(len(MODES)), indexing="ij")
    minutes = rng.uniform(5, 80, loc.size)
    travel = matrix_travel_times(
        locality_idx=loc.ravel(),
        site_idx=site.ravel(),
        mode_idx=mode.ravel(),
        minutes=minutes,
        n_localities=n_loc,
        n_sites=n_sites,
    )
    params = ReachParams(count_remote=True, count_cycle=count_cycle)
    result = compute_reach(
        localities=localities,
        sites=sites,
        offers=make_offers(rows, outreach),
        travel=travel,
        params=params,
        n_options=n_opt,
        n_providers=4,
    )
    table = minutes.reshape(n_loc, n_sites, len(MODES))
    for home in range(n_loc):
        menu = personal_menu(
            person=PersonNeeds(),
            params=params,
            offers=make_offers(rows, outreach),
            facts=make_facts([{} for _ in rows]),
            n_options=n_opt,
            home_locality=home,
            home_lat=float(localities.lat[home]),
            home_lon=float(localities.lon[home]),
            site_lat=sites.lat,
            site_lon=sites.lon,
            site_minutes={m: table[home, :, i] for i, m in enumerate(MODES)},
        )
        np.testing.assert_array_equal(menu.reachable, result.reachable_with_car[home])
        np.testing.assert_array_equal(menu.providers, result.providers_with_car[home])
        no_car = personal_menu(
            person=PersonNeeds(modes=modes_for(travel_access="no_car", walking_limited=False)),
            params=params,
            offers=make_offers(rows, outreach),
            facts=make_facts([{} for _ in rows]),
            n_options=n_opt,
            home_locality=home,
            home_lat=float(localities.lat[home]),
            home_lon=float(localities.lon[home]),
            site_lat=sites.lat,
            site_lon=sites.lon,
            site_minutes={m: table[home, :, i] for i, m in enumerate(MODES)},
        )
        np.testing.assert_array_equal(no_car.reachable, result.reachable_without_car[home])
