"""The reach engine: delivery modes, limits, menus, providers, 2SFCA and equity figures.

Pure numpy tests (no Django). Most cases use an imported travel matrix so minutes are exact.
"""

from __future__ import annotations

import json
import math
from typing import Any

import access  # pinned in requirements.txt: a missing package must fail, not skip
import numpy as np
import pandas as pd
import pytest

from reach.engine import (
    DELIVERY_CODES,
    HOME_VISIT,
    ON_SITE,
    OUTREACH,
    REMOTE,
    LocalityArrays,
    OfferArrays,
    ReachParams,
    ReachResult,
    SiteArrays,
    catchment_pairs,
    compute_reach,
    crowfly_for_params,
    two_step_fca,
    weighted_gini,
    weighted_slice_mean,
)
from reach.travel import MODES, TravelTimes, haversine_km, matrix_travel_times

NaN = float("nan")


# --------------------------------------------------------------------------------------
# builders
# --------------------------------------------------------------------------------------


def make_localities(n: int, **overrides: Any) -> LocalityArrays:
    values: dict[str, Any] = {
        "lat": np.full(n, 50.0),
        "lon": np.zeros(n),
        "population": np.full(n, 1000.0),
        "car_share": np.full(n, 0.5),
        "rurality": np.array(["urban"] * n, dtype=object),
        "imd_decile": np.full(n, 5),
    }
    values.update(overrides)
    return LocalityArrays(**values)


def make_sites(n: int, **overrides: Any) -> SiteArrays:
    values: dict[str, Any] = {"lat": np.full(n, 50.0), "lon": np.zeros(n)}
    values.update(overrides)
    return SiteArrays(**values)


def make_offers(rows: list[dict[str, Any]], outreach: list[tuple[int, int]] = ()) -> OfferArrays:
    """rows: dicts with site, option, provider and optional delivery/capacity/wait/active/home_km."""

    def col(name: str, default: Any) -> list[Any]:
        return [row.get(name, default) for row in rows]

    return OfferArrays(
        site_idx=np.array(col("site", 0), dtype=np.int32),
        option_idx=np.array(col("option", 0), dtype=np.int32),
        provider_idx=np.array(col("provider", 0), dtype=np.int32),
        delivery=np.array([DELIVERY_CODES[d] for d in col("delivery", "on_site")], dtype=np.int8),
        capacity_per_week=np.array(col("capacity", NaN), dtype=float),
        waiting_weeks=np.array(col("wait", NaN), dtype=float),
        active=np.array(col("active", True), dtype=bool),
        home_visit_km=np.array(col("home_km", NaN), dtype=float),
        outreach_offer_idx=np.array([o for o, _ in outreach], dtype=np.int32),
        outreach_locality_idx=np.array([loc for _, loc in outreach], dtype=np.int32),
    )


def matrix(rows: list[tuple[int, int, str, float]], n_loc: int, n_sites: int) -> TravelTimes:
    """rows: (locality, site, mode, minutes)."""
    if not rows:
        return TravelTimes(pairs={}, n_localities=n_loc, n_sites=n_sites)
    loc, site, mode, minutes = zip(*rows, strict=True)
    return matrix_travel_times(
        locality_idx=np.array(loc),
        site_idx=np.array(site),
        mode_idx=np.array(mode),
        minutes=np.array(minutes, dtype=float),
        n_localities=n_loc,
        n_sites=n_sites,
    )


def run(
    *,
    localities: LocalityArrays,
    sites: SiteArrays,
    offers: OfferArrays,
    travel: TravelTimes,
    n_options: int = 1,
    n_providers: int = 4,
    params: ReachParams | None = None,
    progress: Any = None,
) -> ReachResult:
    return compute_reach(
        localities=localities,
        sites=sites,
        offers=offers,
        n_options=n_options,
        n_providers=n_providers,
        travel=travel,
        params=params or ReachParams(),
        progress=progress,
    )


# --------------------------------------------------------------------------------------
# constants and params
# --------------------------------------------------------------------------------------


def test_delivery_codes_and_param_defaults() -> None:
    assert (ON_SITE, OUTREACH, HOME_VISIT, REMOTE) == (0, 1, 2, 3)
    assert DELIVERY_CODES == {"on_site": 0, "outreach": 1, "home_visit": 2, "remote": 3}
    p = ReachParams()
    assert (p.walk_minutes, p.pt_minutes, p.car_minutes) == (30, 45, 30)
    assert (p.walk_kmh, p.pt_kmh, p.car_kmh) == (4.8, 20, 40)
    assert (p.walk_access_minutes, p.pt_access_minutes, p.car_access_minutes) == (0, 10, 5)
    assert (p.detour_factor, p.max_wait_weeks, p.count_remote) == (1.3, 3, False)
    assert (p.real_choice_providers, p.default_car_share) == (2, 0.77)
    assert p.max_minutes() == {"walk": 30.0, "pt": 45.0, "car": 30.0, "cycle": 30.0}
    assert (p.cycle_kmh, p.count_cycle) == (15, False)  # cycling is off in the menu measures by default
    assert p.speeds_kmh() == {"walk": 4.8, "pt": 20.0, "car": 40.0, "cycle": 15.0}
    assert p.access_minutes() == {"walk": 0.0, "pt": 10.0, "car": 5.0, "cycle": 0.0}


# --------------------------------------------------------------------------------------
# on-site reach by mode and time limits
# --------------------------------------------------------------------------------------


def test_on_site_reach_by_mode_limits() -> None:
    # five localities, one site with option 0; walk limit 30, pt 45, car 30
    travel = matrix(
        [
            (0, 0, "walk", 30.0),  # exactly at the walk limit → without car
            (1, 0, "walk", 31.0),  # just over walk limit ...
            (1, 0, "pt", 45.0),  # ... but pt at its limit → without car
            (2, 0, "pt", 46.0),  # pt over the limit ...
            (2, 0, "car", 30.0),  # ... car at the limit → with car only
            (3, 0, "car", 30.5),  # over every limit → nothing
            # locality 4: no pair at all (missing = unreachable)
        ],
        n_loc=5,
        n_sites=1,
    )
    res = run(localities=make_localities(5), sites=make_sites(1), offers=make_offers([{}]), travel=travel)
    assert res.reachable_without_car[:, 0].tolist() == [True, True, False, False, False]
    assert res.reachable_with_car[:, 0].tolist() == [True, True, True, False, False]
    assert res.menu_without_car.tolist() == [1, 1, 0, 0, 0]
    assert res.menu_with_car.tolist() == [1, 1, 1, 0, 0]
    assert res.providers_with_car[:, 0].tolist() == [1, 1, 1, 0, 0]
    # nearest minutes only count pairs within the mode's limit
    np.testing.assert_array_equal(res.nearest_minutes["walk"][:, 0], [30.0, NaN, NaN, NaN, NaN])
    np.testing.assert_array_equal(res.nearest_minutes["pt"][:, 0], [NaN, 45.0, NaN, NaN, NaN])
    np.testing.assert_array_equal(res.nearest_minutes["car"][:, 0], [NaN, NaN, 30.0, NaN, NaN])
    assert res.nearest_site["car"][:, 0].tolist() == [-1, -1, 0, -1, -1]


def test_custom_limits_are_used() -> None:
    travel = matrix([(0, 0, "car", 50.0)], n_loc=1, n_sites=1)
    common = {"localities": make_localities(1), "sites": make_sites(1), "offers": make_offers([{}]), "travel": travel}
    assert run(**common).menu_with_car.tolist() == [0]
    assert run(**common, params=ReachParams(car_minutes=50)).menu_with_car.tolist() == [1]


def test_nearest_site_and_minutes_per_option() -> None:
    # sites 0,1,2: option 0 at sites 0 and 1, option 1 at sites 1 and 2
    offers = make_offers(
        [
            {"site": 0, "option": 0},
            {"site": 1, "option": 0},
            {"site": 1, "option": 1},
            {"site": 2, "option": 1},
        ]
    )
    travel = matrix(
        [
            (0, 0, "car", 12.0),
            (0, 1, "car", 8.0),
            (0, 2, "car", 8.0),  # ties with site 1 for option 1 → lowest site index wins
            (0, 0, "pt", 20.0),
            (0, 2, "walk", 29.5),
            (1, 2, "car", 3.0),
        ],
        n_loc=2,
        n_sites=3,
    )
    res = run(localities=make_localities(2), sites=make_sites(3), offers=offers, travel=travel, n_options=2)
    np.testing.assert_array_equal(res.nearest_minutes["car"], [[8.0, 8.0], [NaN, 3.0]])
    assert res.nearest_site["car"].tolist() == [[1, 1], [-1, 2]]
    np.testing.assert_array_equal(res.nearest_minutes["pt"], [[20.0, NaN], [NaN, NaN]])
    assert res.nearest_site["pt"].tolist() == [[0, -1], [-1, -1]]
    np.testing.assert_array_equal(res.nearest_minutes["walk"], [[NaN, 29.5], [NaN, NaN]])
    assert res.nearest_site["walk"].tolist() == [[-1, 2], [-1, -1]]
    assert res.nearest_minutes["car"].dtype == np.float32
    assert res.nearest_site["car"].dtype == np.int32


# --------------------------------------------------------------------------------------
# candidate offers: waits and activity
# --------------------------------------------------------------------------------------


def test_wait_limit_and_inactive_offers() -> None:
    # one option per offer so each offer's fate shows in its own column
    offers = make_offers(
        [
            {"option": 0, "wait": 3.0},  # equal to the 3 week limit: allowed
            {"option": 1, "wait": 3.5},  # above: excluded
            {"option": 2, "wait": NaN},  # unknown wait: allowed
            {"option": 3, "wait": 0.0, "active": False},  # inactive: excluded
        ]
    )
    travel = matrix([(0, 0, "walk", 5.0)], n_loc=1, n_sites=1)
    res = run(localities=make_localities(1), sites=make_sites(1), offers=offers, travel=travel, n_options=4)
    assert res.reachable_without_car[0].tolist() == [True, False, True, False]
    assert res.menu_without_car.tolist() == [2]
    # a longer acceptable wait lets the 3.5 week offer in
    res = run(
        localities=make_localities(1),
        sites=make_sites(1),
        offers=offers,
        travel=travel,
        n_options=4,
        params=ReachParams(max_wait_weeks=4),
    )
    assert res.reachable_without_car[0].tolist() == [True, True, True, False]


# --------------------------------------------------------------------------------------
# other delivery modes
# --------------------------------------------------------------------------------------


def test_outreach_only_reaches_listed_localities_in_both_scenarios() -> None:
    offers = make_offers([{"delivery": "outreach", "site": 0, "capacity": 30.0}], outreach=[(0, 1), (0, 2), (0, 2)])
    travel = matrix([], n_loc=3, n_sites=1)  # outreach needs no travel at all
    pops = np.array([1000.0, 1000.0, 2000.0])
    res = run(localities=make_localities(3, population=pops), sites=make_sites(1), offers=offers, travel=travel)
    assert res.reachable_without_car[:, 0].tolist() == [False, True, True]
    assert res.reachable_with_car[:, 0].tolist() == [False, True, True]
    assert all(np.isnan(res.nearest_minutes[m]).all() for m in MODES)  # not on-site
    # catchment = localities 1 and 2 (the duplicate venue counts once): 30 / 3000 per person
    np.testing.assert_allclose(res.accessibility_without_car[:, 0], [0.0, 10.0, 10.0])
    np.testing.assert_allclose(res.accessibility_with_car[:, 0], [0.0, 10.0, 10.0])


def test_home_visit_radius_boundary() -> None:
    # localities due north of the site on the same meridian: distance = R × Δlat (radians)
    d = 6371.0088 * math.radians(0.1)  # 11.1195 km
    assert d == pytest.approx(11.1195, abs=1e-4)
    lats = np.array([50.1, 50.2])  # 11.12 km and 22.24 km away
    localities = make_localities(2, lat=lats)
    travel = matrix([], n_loc=2, n_sites=1)
    for radius, expected in [(11.12, [True, False]), (11.11, [False, False]), (22.24, [True, True])]:
        offers = make_offers([{"delivery": "home_visit", "home_km": radius}])
        res = run(localities=localities, sites=make_sites(1), offers=offers, travel=travel)
        assert res.reachable_without_car[:, 0].tolist() == expected, radius
        assert res.reachable_with_car[:, 0].tolist() == expected, radius
    # an unknown radius reaches nobody
    res = run(
        localities=localities, sites=make_sites(1), offers=make_offers([{"delivery": "home_visit"}]), travel=travel
    )
    assert not res.reachable_with_car.any()


def test_remote_counts_only_when_profile_says_so() -> None:
    offers = make_offers([{"delivery": "remote", "capacity": 8.0}])
    localities = make_localities(2, population=np.array([1000.0, 3000.0]))
    travel = matrix([], n_loc=2, n_sites=1)
    off = run(localities=localities, sites=make_sites(1), offers=offers, travel=travel)
    assert not off.reachable_with_car.any()
    assert off.accessibility_with_car.tolist() == [[0.0], [0.0]]
    on = run(
        localities=localities, sites=make_sites(1), offers=offers, travel=travel, params=ReachParams(count_remote=True)
    )
    assert on.reachable_without_car[:, 0].tolist() == [True, True]
    assert on.menu_with_car.tolist() == [1, 1]
    # everyone is in the catchment: 8 / 4000 people → 2 per 1,000
    np.testing.assert_allclose(on.accessibility_without_car[:, 0], [2.0, 2.0])


# --------------------------------------------------------------------------------------
# menus, car share, real choice
# --------------------------------------------------------------------------------------


def test_expected_menu_uses_car_share_with_default_for_unknown() -> None:
    # options 0,1 walkable; option 2 by car only → without car 2, with car 3
    offers = make_offers([{"site": 0, "option": 0}, {"site": 0, "option": 1}, {"site": 1, "option": 2}])
    rows = []
    for loc in range(3):
        rows += [(loc, 0, "walk", 10.0), (loc, 1, "car", 20.0)]
    localities = make_localities(3, car_share=np.array([0.25, NaN, 1.0]))
    res = run(localities=localities, sites=make_sites(2), offers=offers, travel=matrix(rows, 3, 2), n_options=3)
    assert res.menu_without_car.tolist() == [2, 2, 2]
    assert res.menu_with_car.tolist() == [3, 3, 3]
    # 0.25×3 + 0.75×2 = 2.25; default 0.77×3 + 0.23×2 = 2.77; 1.0×3 = 3
    np.testing.assert_allclose(res.expected_menu, [2.25, 2.77, 3.0])
    res = run(
        localities=localities,
        sites=make_sites(2),
        offers=offers,
        travel=matrix(rows, 3, 2),
        n_options=3,
        params=ReachParams(default_car_share=0.5),
    )
    assert res.expected_menu[1] == pytest.approx(2.5)


def test_real_choice_counts_distinct_providers() -> None:
    # option 0: provider 7 at sites 0 and 1 (one provider, twice);
    # option 1: providers 1 and 2 → a real choice; option 2: provider 3 walkable, provider 4 by car
    offers = make_offers(
        [
            {"site": 0, "option": 0, "provider": 7},
            {"site": 1, "option": 0, "provider": 7},
            {"site": 0, "option": 1, "provider": 1},
            {"site": 1, "option": 1, "provider": 2},
            {"site": 0, "option": 2, "provider": 3},
            {"site": 2, "option": 2, "provider": 4},
        ]
    )
    travel = matrix([(0, 0, "walk", 10.0), (0, 1, "pt", 30.0), (0, 2, "car", 25.0)], 1, 3)
    res = run(
        localities=make_localities(1), sites=make_sites(3), offers=offers, travel=travel, n_options=3, n_providers=8
    )
    assert res.providers_without_car[0].tolist() == [1, 2, 1]
    assert res.providers_with_car[0].tolist() == [1, 2, 2]
    assert res.providers_with_car.dtype == np.int16
    assert res.real_choice_without_car.tolist() == [1]
    assert res.real_choice_with_car.tolist() == [2]
    three = run(
        localities=make_localities(1),
        sites=make_sites(3),
        offers=offers,
        travel=travel,
        n_options=3,
        n_providers=8,
        params=ReachParams(real_choice_providers=1),
    )
    assert three.real_choice_with_car.tolist() == [3]


def test_more_than_64_providers_per_option() -> None:
    # 70 providers each with one on-site offer of option 0 at its own site; locality 0 walks
    # to sites 0..69, locality 1 reaches sites 60..69 by car only
    n = 70
    offers = make_offers([{"site": i, "option": 0, "provider": i} for i in range(n)])
    rows = [(0, i, "walk", 10.0) for i in range(n)] + [(1, i, "car", 10.0) for i in range(60, n)]
    res = run(
        localities=make_localities(2), sites=make_sites(n), offers=offers, travel=matrix(rows, 2, n), n_providers=n
    )
    assert res.providers_without_car[:, 0].tolist() == [70, 0]
    assert res.providers_with_car[:, 0].tolist() == [70, 10]


# --------------------------------------------------------------------------------------
# 2SFCA
# --------------------------------------------------------------------------------------


def test_2sfca_hand_example() -> None:
    # one offer, capacity 40, reachable from both localities (pop 1000 and 3000):
    # R = 40 / 4000 = 0.01 per person → 10 per 1,000 for both
    offers = make_offers([{"capacity": 40.0}])
    travel = matrix([(0, 0, "walk", 5.0), (1, 0, "pt", 20.0)], 2, 1)
    localities = make_localities(2, population=np.array([1000.0, 3000.0]))
    res = run(localities=localities, sites=make_sites(1), offers=offers, travel=travel)
    np.testing.assert_allclose(res.accessibility_without_car[:, 0], [10.0, 10.0])
    np.testing.assert_allclose(res.accessibility_with_car[:, 0], [10.0, 10.0])


def test_2sfca_catchment_depends_on_car_scenario() -> None:
    # offer A (cap 40) walkable from L0 (pop 1000), car-only from L1 (pop 3000);
    # offer B (cap 6, same option, other site) walkable from L1 only; offer C has no capacity
    offers = make_offers(
        [
            {"site": 0, "capacity": 40.0},
            {"site": 1, "capacity": 6.0},
            {"site": 1, "capacity": NaN, "provider": 2},
        ]
    )
    travel = matrix([(0, 0, "walk", 5.0), (1, 0, "car", 20.0), (1, 1, "walk", 10.0)], 2, 2)
    localities = make_localities(2, population=np.array([1000.0, 3000.0]))
    res = run(localities=localities, sites=make_sites(2), offers=offers, travel=travel)
    # without car: A → 40/1000 = 0.04 for L0; B → 6/3000 = 0.002 for L1
    np.testing.assert_allclose(res.accessibility_without_car[:, 0], [40.0, 2.0])
    # with car: A → 40/4000 = 0.01 for both; L1 also gets B's 0.002
    np.testing.assert_allclose(res.accessibility_with_car[:, 0], [10.0, 12.0])


def test_2sfca_same_site_two_modes_counts_population_once() -> None:
    # L0 reaches the site by walk, pt and car: its population must be counted once
    offers = make_offers([{"capacity": 10.0}])
    travel = matrix([(0, 0, "walk", 5.0), (0, 0, "pt", 15.0), (0, 0, "car", 8.0)], 1, 1)
    res = run(
        localities=make_localities(1, population=np.array([500.0])), sites=make_sites(1), offers=offers, travel=travel
    )
    np.testing.assert_allclose(res.accessibility_with_car, [[20.0]])
    np.testing.assert_allclose(res.accessibility_without_car, [[20.0]])


def test_zero_population_localities() -> None:
    # L0 has no people: an offer reachable only from L0 has an empty-population catchment
    # and contributes nothing (no inf/NaN); L1's offer is shared normally
    offers = make_offers([{"site": 0, "capacity": 10.0}, {"site": 1, "capacity": 10.0, "option": 1}])
    travel = matrix([(0, 0, "walk", 5.0), (0, 1, "walk", 5.0), (1, 1, "walk", 5.0)], 2, 2)
    localities = make_localities(2, population=np.array([0.0, 2000.0]))
    res = run(localities=localities, sites=make_sites(2), offers=offers, travel=travel, n_options=2)
    np.testing.assert_allclose(res.accessibility_with_car, [[0.0, 5.0], [0.0, 5.0]])
    assert res.menu_without_car.tolist() == [2, 1]
    assert res.summary["total_population"] == 2000.0
    assert res.summary["mean"]["menu_without_car"] == 1.0  # L0 weighs nothing
    # nobody at all: figures are None, never NaN
    empty = run(
        localities=make_localities(2, population=np.zeros(2)),
        sites=make_sites(2),
        offers=offers,
        travel=travel,
        n_options=2,
    )
    assert empty.summary["mean"]["expected_menu"] is None
    assert empty.summary["gini_expected_menu"] is None
    assert empty.summary["best_to_worst_fifth_ratio"] is None
    json.dumps(empty.summary, allow_nan=False)


def test_two_step_fca_function() -> None:
    # offers 0 (option 0, cap 40) and 1 (option 1, cap 9); catchments {L0, L1} and {L1}
    acc = two_step_fca(
        catchment_locality_idx=np.array([0, 1, 1]),
        catchment_offer_idx=np.array([0, 0, 1]),
        population=np.array([1000.0, 3000.0]),
        capacity=np.array([40.0, 9.0]),
        offer_option=np.array([0, 1]),
        n_options=2,
    )
    np.testing.assert_allclose(acc, [[10.0, 0.0], [10.0, 3.0]])


# --------------------------------------------------------------------------------------
# equity figures
# --------------------------------------------------------------------------------------


def test_weighted_gini_known_values() -> None:
    assert weighted_gini(np.array([1.0, 1.0]), np.array([1.0, 1.0])) == 0.0
    assert weighted_gini(np.array([0.0, 0.0]), np.array([5.0, 1.0])) == 0.0
    # [1, 3] equally weighted: Σ|xi−xj| over ordered pairs = 4; 4 / (2 × 2² × 2) = 0.25
    assert weighted_gini(np.array([3.0, 1.0]), np.array([1.0, 1.0])) == pytest.approx(0.25)
    # [1, 4] with weights [3, 1] = list [1, 1, 1, 4]: mean 7/4, Σ|xi−xj| = 2×3×3 = 18,
    # G = 18 / (2 × 4² × 7/4) = 9/28
    assert weighted_gini(np.array([4.0, 1.0]), np.array([1.0, 3.0])) == pytest.approx(9 / 28)
    # zero-weight entries don't count
    assert weighted_gini(np.array([1.0, 4.0, 100.0]), np.array([3.0, 1.0, 0.0])) == pytest.approx(9 / 28)
    assert weighted_gini(np.array([1.0]), np.array([0.0])) is None


def test_weighted_slice_mean_splits_localities_fractionally() -> None:
    # [1, 5] with weights [1, 9]: worst 20% = 2 people = 1 person at 1 + 1 person at 5 → 3
    assert weighted_slice_mean(np.array([5.0, 1.0]), np.array([9.0, 1.0]), 0.0, 0.2) == pytest.approx(3.0)
    assert weighted_slice_mean(np.array([5.0, 1.0]), np.array([9.0, 1.0]), 0.8, 1.0) == pytest.approx(5.0)
    x, w = np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.ones(5)
    assert weighted_slice_mean(x, w, 0.0, 0.2) == pytest.approx(1.0)
    assert weighted_slice_mean(x, w, 0.8, 1.0) == pytest.approx(5.0)


def test_summary_equity_figures() -> None:
    # L0: menu 0 (nothing reachable), L1: menu 1 by walk, L2: menu 2 by car only, L3 pop 0
    offers = make_offers([{"site": 0, "option": 0}, {"site": 1, "option": 1}, {"site": 1, "option": 0, "provider": 1}])
    travel = matrix([(1, 0, "walk", 5.0), (2, 0, "car", 5.0), (2, 1, "car", 5.0), (3, 0, "walk", 1.0)], 4, 2)
    localities = make_localities(
        4,
        population=np.array([1000.0, 2000.0, 2000.0, 0.0]),
        car_share=np.array([0.5, 0.5, 0.5, 0.5]),
        rurality=np.array(["rural", "urban", "", "urban"], dtype=object),
        imd_decile=np.array([1, 1, 0, 10]),
    )
    calls: list[int] = []
    res = run(
        localities=localities, sites=make_sites(2), offers=offers, travel=travel, n_options=2, progress=calls.append
    )
    assert res.menu_without_car.tolist() == [0, 1, 0, 1]
    assert res.menu_with_car.tolist() == [0, 1, 2, 1]
    np.testing.assert_allclose(res.expected_menu, [0.0, 1.0, 1.0, 1.0])
    s = res.summary
    json.dumps(s, allow_nan=False)  # plain JSON
    assert s["n_localities"] == 4 and s["n_options"] == 2 and s["total_population"] == 5000.0
    # means over 5000 people: without car (2000×1)/5000, with car (2000×1 + 2000×2)/5000
    assert s["mean"]["menu_without_car"] == pytest.approx(0.4)
    assert s["mean"]["menu_with_car"] == pytest.approx(1.2)
    assert s["mean"]["expected_menu"] == pytest.approx(0.8)
    # L2 reaches option 0 from providers 0 and 1 by car → one real choice with a car
    assert s["mean"]["real_choice_with_car"] == pytest.approx(0.4)
    assert s["mean"]["real_choice_without_car"] == 0.0
    assert s["full_menu_share_without_car"] == 0.0
    # expected [0, 1, 1] weighted [1000, 2000, 2000]: mean 0.8,
    # Σ|xi−xj| over ordered pairs = 2 × 1000 × 4000 × 1 = 8e6, G = 8e6 / (2 × 25e6 × 0.8) = 0.2
    assert s["gini_expected_menu"] == pytest.approx(0.2)
    # worst fifth = 1000 people at 0 → ratio undefined → None; best fifth = 1000 people at 1
    assert s["worst_fifth_expected_menu"] == 0.0
    assert s["best_fifth_expected_menu"] == pytest.approx(1.0)
    assert s["best_to_worst_fifth_ratio"] is None
    # rurality: "" unknown skipped
    assert set(s["by_rurality"]) == {"rural", "urban"}
    assert s["by_rurality"]["urban"]["population"] == 2000.0
    assert s["by_rurality"]["urban"]["n_localities"] == 2
    assert s["by_rurality"]["urban"]["mean"]["menu_with_car"] == pytest.approx(1.0)
    assert s["by_rurality"]["rural"]["mean"]["expected_menu"] == 0.0
    # IMD: 0 unknown skipped; decile 10 has only the empty locality → means None
    assert set(s["by_imd_decile"]) == {"1", "10"}
    assert s["by_imd_decile"]["1"]["population"] == 3000.0
    assert s["by_imd_decile"]["1"]["mean"]["menu_without_car"] == pytest.approx(2 / 3)
    assert s["by_imd_decile"]["10"]["mean"]["menu_without_car"] is None
    assert calls[0] == 0 and calls[-1] == 100 and calls == sorted(calls)


def test_summary_ratio_and_full_menu_share() -> None:
    # five equal localities with menus 1..5 (options reachable by walk from site k)
    n = 5
    offers_by_loc = []
    for loc in range(n):  # give locality `loc` its own site with options 0..loc
        offers_by_loc += [{"site": loc, "option": o} for o in range(loc + 1)]
    offers = make_offers(offers_by_loc)
    rows = [(loc, loc, "walk", 5.0) for loc in range(n)]
    res = run(localities=make_localities(n), sites=make_sites(n), offers=offers, travel=matrix(rows, n, n), n_options=n)
    assert res.menu_without_car.tolist() == [1, 2, 3, 4, 5]
    s = res.summary
    assert s["best_to_worst_fifth_ratio"] == pytest.approx(5.0)
    assert s["full_menu_share_without_car"] == pytest.approx(0.2)
    # Gini of 1..5: Σ|i−j| over ordered pairs = 40; 40 / (2 × 25 × 3) = 4/15
    assert s["gini_expected_menu"] == pytest.approx(4 / 15)


def test_integer_rurality_labels() -> None:
    localities = make_localities(3, rurality=np.array([2, 1, 2]), population=np.array([100.0, 200.0, 300.0]))
    res = run(localities=localities, sites=make_sites(1), offers=make_offers([]), travel=matrix([], 3, 1))
    assert list(res.summary["by_rurality"]) == ["1", "2"]
    assert res.summary["by_rurality"]["2"]["population"] == 400.0
    floats = make_localities(2, rurality=np.array([NaN, 3.0]))
    res = run(localities=floats, sites=make_sites(1), offers=make_offers([]), travel=matrix([], 2, 1))
    assert list(res.summary["by_rurality"]) == ["3.0"]  # NaN = unknown


# --------------------------------------------------------------------------------------
# robustness
# --------------------------------------------------------------------------------------


def test_no_offers_and_shapes() -> None:
    res = run(
        localities=make_localities(3), sites=make_sites(2), offers=make_offers([]), travel=matrix([], 3, 2), n_options=4
    )
    assert res.reachable_with_car.shape == (3, 4) and not res.reachable_with_car.any()
    assert res.accessibility_with_car.shape == (3, 4)
    assert res.nearest_site["walk"].shape == (3, 4) and (res.nearest_site["walk"] == -1).all()
    assert res.summary["gini_expected_menu"] == 0.0


def test_rejects_mismatched_travel_and_bad_indices() -> None:
    with pytest.raises(ValueError):
        run(localities=make_localities(3), sites=make_sites(1), offers=make_offers([{}]), travel=matrix([], 2, 1))
    with pytest.raises(ValueError):
        run(
            localities=make_localities(1),
            sites=make_sites(1),
            offers=make_offers([{"option": 3}]),
            travel=matrix([], 1, 1),
        )
    with pytest.raises(ValueError):  # unknown delivery code
        OfferArrays(
            site_idx=[0],
            option_idx=[0],
            provider_idx=[0],
            delivery=[7],
            capacity_per_week=[1.0],
            waiting_weeks=[0.0],
            active=[True],
            home_visit_km=[NaN],
        )
    with pytest.raises(ValueError):  # outreach venue in a locality that doesn't exist
        run(
            localities=make_localities(1),
            sites=make_sites(1),
            offers=make_offers([{"delivery": "outreach"}], [(0, 5)]),
            travel=matrix([], 1, 1),
        )


# --------------------------------------------------------------------------------------
# a naive reference implementation on random data
# --------------------------------------------------------------------------------------


def random_case(
    seed: int, *, n_loc: int = 60, n_sites: int = 12, n_offers: int = 50, n_options: int = 5, n_prov: int = 6
):
    rng = np.random.default_rng(seed)
    localities = LocalityArrays(
        lat=rng.uniform(50.6, 50.9, n_loc),
        lon=rng.uniform(-2.2, -1.7, n_loc),
        population=np.where(rng.random(n_loc) < 0.1, 0.0, rng.integers(200, 3000, n_loc).astype(float)),
        car_share=np.where(rng.random(n_loc) < 0.2, NaN, rng.random(n_loc)),
        rurality=rng.choice(np.array(["A1", "C1", "E2", ""], dtype=object), n_loc),
        imd_decile=rng.integers(0, 11, n_loc),
    )
    sites = SiteArrays(lat=rng.uniform(50.6, 50.9, n_sites), lon=rng.uniform(-2.2, -1.7, n_sites))
    delivery = rng.choice([ON_SITE, OUTREACH, HOME_VISIT, REMOTE], n_offers, p=[0.6, 0.15, 0.15, 0.1])
    outreach = np.flatnonzero(delivery == OUTREACH)
    out_off = np.repeat(outreach, 3)
    offers = OfferArrays(
        site_idx=rng.integers(0, n_sites, n_offers),
        option_idx=rng.integers(0, n_options, n_offers),
        provider_idx=rng.integers(0, n_prov, n_offers),
        delivery=delivery,
        capacity_per_week=np.where(rng.random(n_offers) < 0.2, NaN, rng.uniform(1, 50, n_offers)),
        waiting_weeks=np.where(rng.random(n_offers) < 0.2, NaN, rng.uniform(0, 6, n_offers)),
        active=rng.random(n_offers) < 0.9,
        home_visit_km=np.where(delivery == HOME_VISIT, rng.uniform(2, 15, n_offers), NaN),
        outreach_offer_idx=out_off,
        outreach_locality_idx=rng.integers(0, n_loc, out_off.size),
    )
    return localities, sites, offers, n_options, n_prov


def travel_dict(travel: TravelTimes) -> dict[str, dict[tuple[int, int], float]]:
    return {m: {(int(loc), int(site)): float(t) for loc, site, t in zip(*travel.pairs[m], strict=True)} for m in MODES}


def naive_reachability(localities, sites, offers, travel, params) -> np.ndarray:
    """bool (n_loc, n_offers, 2): offer reachable [without car, with car], from the design text."""
    minutes = travel_dict(travel)
    limits = params.max_minutes()
    outreach = {
        (int(o), int(loc)) for o, loc in zip(offers.outreach_offer_idx, offers.outreach_locality_idx, strict=True)
    }
    R = np.zeros((localities.n, offers.n, 2), bool)
    for loc in range(localities.n):
        for j in range(offers.n):
            wait = offers.waiting_weeks[j]
            if not offers.active[j] or (not math.isnan(wait) and wait > params.max_wait_weeks):
                continue
            s, d = int(offers.site_idx[j]), offers.delivery[j]
            if d == ON_SITE:
                by = {m: minutes[m].get((loc, s), math.inf) <= limits[m] for m in MODES}
                R[loc, j] = (by["walk"] or by["pt"], by["walk"] or by["pt"] or by["car"])
            elif d == OUTREACH:
                R[loc, j] = (j, loc) in outreach
            elif d == HOME_VISIT:
                km = float(haversine_km(localities.lat[loc], localities.lon[loc], sites.lat[s], sites.lon[s]))
                R[loc, j] = km <= offers.home_visit_km[j]
            else:
                R[loc, j] = params.count_remote
    return R


def naive_reach(localities, sites, offers, travel, params, *, n_options):
    """Straight loops over localities × offers."""
    n_loc = localities.n
    minutes = travel_dict(travel)
    limits = params.max_minutes()
    R = naive_reachability(localities, sites, offers, travel, params)
    out: dict[str, Any] = {}
    for k, scen in enumerate(("without_car", "with_car")):
        reach_k = R[:, :, k]
        providers = np.zeros((n_loc, n_options), int)
        access = np.zeros((n_loc, n_options))
        for o in range(n_options):
            for loc in range(n_loc):
                providers[loc, o] = len(
                    {int(offers.provider_idx[j]) for j in np.flatnonzero(reach_k[loc]) if offers.option_idx[j] == o}
                )
        for j in range(offers.n):
            cap = offers.capacity_per_week[j]
            if math.isnan(cap) or not reach_k[:, j].any():
                continue
            demand = localities.population[reach_k[:, j]].sum()
            if demand > 0:
                access[reach_k[:, j], offers.option_idx[j]] += 1000 * cap / demand
        out[f"providers_{scen}"] = providers
        out[f"reachable_{scen}"] = providers > 0
        out[f"accessibility_{scen}"] = access
    nearest = {}
    for m in MODES:
        near = np.full((n_loc, n_options), np.nan)
        for loc in range(n_loc):
            for j in range(offers.n):
                if not R[loc, j, 1] or offers.delivery[j] != ON_SITE:
                    continue
                t = minutes[m].get((loc, int(offers.site_idx[j])), math.inf)
                if t <= limits[m]:
                    o = offers.option_idx[j]
                    near[loc, o] = t if math.isnan(near[loc, o]) else min(near[loc, o], t)
        nearest[m] = near
    out["nearest_minutes"] = nearest
    return out


@pytest.mark.parametrize("seed,count_remote", [(1, False), (2, True), (3, True)])
def test_engine_matches_naive_reference(seed: int, count_remote: bool) -> None:
    localities, sites, offers, n_options, n_prov = random_case(seed)
    params = ReachParams(count_remote=count_remote, walk_minutes=60, pt_minutes=40, car_minutes=25)
    travel = crowfly_for_params(localities=localities, sites=sites, params=params)
    res = run(
        localities=localities,
        sites=sites,
        offers=offers,
        travel=travel,
        n_options=n_options,
        n_providers=n_prov,
        params=params,
    )
    want = naive_reach(localities, sites, offers, travel, params, n_options=n_options)
    for scen in ("without_car", "with_car"):
        np.testing.assert_array_equal(getattr(res, f"providers_{scen}"), want[f"providers_{scen}"])
        np.testing.assert_array_equal(getattr(res, f"reachable_{scen}"), want[f"reachable_{scen}"])
        np.testing.assert_allclose(
            getattr(res, f"accessibility_{scen}"), want[f"accessibility_{scen}"], rtol=1e-10, atol=1e-12
        )
    for m in MODES:
        np.testing.assert_allclose(res.nearest_minutes[m], want["nearest_minutes"][m], rtol=1e-6)
        # the nearest site really offers a candidate of that option at that time
        has = ~np.isnan(res.nearest_minutes[m])
        assert ((res.nearest_site[m] >= 0) == has).all()
    # guard against a vacuous comparison
    assert want["reachable_with_car"].sum() > want["reachable_without_car"].sum() > 0
    car_share = np.where(np.isnan(localities.car_share), 0.77, localities.car_share)
    menu_w, menu_wo = want["reachable_with_car"].sum(1), want["reachable_without_car"].sum(1)
    np.testing.assert_allclose(res.expected_menu, car_share * menu_w + (1 - car_share) * menu_wo)
    np.testing.assert_array_equal(res.real_choice_with_car, (want["providers_with_car"] >= 2).sum(1))

    # the explicit catchment table matches the reference, and its 2SFCA is the engine's
    R = naive_reachability(localities, sites, offers, travel, params)
    for k, scen in enumerate(("without_car", "with_car")):
        loc, off = catchment_pairs(
            localities=localities, sites=sites, offers=offers, travel=travel, params=params, with_car=bool(k)
        )
        got = np.zeros((localities.n, offers.n), bool)
        got[loc, off] = True
        assert loc.size == got.sum()  # distinct pairs
        np.testing.assert_array_equal(got, R[:, :, k])
        acc = two_step_fca(
            catchment_locality_idx=loc,
            catchment_offer_idx=off,
            population=localities.population,
            capacity=offers.capacity_per_week,
            offer_option=offers.option_idx,
            n_options=n_options,
        )
        np.testing.assert_allclose(acc, getattr(res, f"accessibility_{scen}"), rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------------------
# PySAL access: same 2SFCA on the same catchments
# --------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # access's own pandas usage
def test_2sfca_matches_pysal_access() -> None:

    localities, sites, offers, n_options, n_prov = random_case(7, n_loc=80, n_sites=15, n_offers=70)
    localities.population[:] = np.random.default_rng(7).integers(
        100, 3000, localities.n
    )  # access divides by 0 otherwise
    params = ReachParams(count_remote=True)
    travel = crowfly_for_params(localities=localities, sites=sites, params=params)
    res = run(
        localities=localities,
        sites=sites,
        offers=offers,
        travel=travel,
        n_options=n_options,
        n_providers=n_prov,
        params=params,
    )
    # each offer's catchment by brute force, in both scenarios
    R = naive_reachability(localities, sites, offers, travel, params)
    demand_df = pd.DataFrame({"geoid": np.arange(localities.n), "pop": localities.population})
    cap = np.nan_to_num(offers.capacity_per_week, nan=0.0)
    for scen in ("without_car", "with_car"):
        loc_idx, off_idx = np.nonzero(R[:, :, 0 if scen == "without_car" else 1])
        supply_df = pd.DataFrame({"geoid": np.arange(offers.n)})
        for o in range(n_options):
            supply_df[f"opt{o}"] = np.where(offers.option_idx == o, cap, 0.0)
        # cost 0 inside the catchment; the table holds only catchment pairs
        cost_df = pd.DataFrame({"origin": loc_idx, "dest": off_idx, "cost": np.zeros(loc_idx.size)})
        model = access.Access(
            demand_df=demand_df,
            demand_index="geoid",
            demand_value="pop",
            supply_df=supply_df,
            supply_index="geoid",
            supply_value=[f"opt{o}" for o in range(n_options)],
            cost_df=cost_df,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
        )
        got = model.two_stage_fca(name="fca", max_cost=1.0)
        theirs = got.reindex(np.arange(localities.n)).fillna(0.0).to_numpy() * 1000.0  # per person → per 1,000
        ours = getattr(res, f"accessibility_{scen}")
        assert theirs.shape == ours.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
        assert (ours > 0).sum() > 20
