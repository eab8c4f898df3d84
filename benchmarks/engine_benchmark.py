"""Benchmark the reach engine on a synthetic England, and compare its 2SFCA with PySAL access.

Run from the repository root (no Django needed):

    .venv/bin/python -m benchmarks.engine_benchmark
    .venv/bin/python -m benchmarks.engine_benchmark --localities 3000 --sites 200 --offers 600 \\
        --access-localities 1000 --access-sites 100          # quick

Prints: travel-building and engine seconds, peak memory; then PySAL access vs ours
(a) end to end from points, access fed a full origin × destination cost table as its
documentation does, on a subsample; (b) on the same sparse catchment table. Exit code 0.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # allow `python benchmarks/engine_benchmark.py`

from benchmarks.synthetic_england import SyntheticEngland, make_england
from reach.engine import (
    ON_SITE,
    LocalityArrays,
    OfferArrays,
    ReachParams,
    SiteArrays,
    candidate_offers,
    catchment_pairs,
    compute_reach,
    crowfly_for_params,
    two_step_fca,
)
from reach.travel import haversine_km

SCENARIO_MODES = {"without_car": ("walk", "pt"), "with_car": ("walk", "pt", "car")}


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[Any, float]:
    """(result of the last call, best wall time in seconds)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


def traced_peak_mb(fn: Callable[[], Any]) -> float:
    """Peak Python-heap allocation (numpy registers its buffers with tracemalloc) during fn."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def subsample(world: SyntheticEngland, n_loc: int, n_sites: int, seed: int) -> SyntheticEngland:
    """A random subset of localities and sites with their candidate-eligible on-site offers only
    (access's cost-table workflow has no notion of outreach, home visits or remote)."""
    rng = np.random.default_rng(seed)
    locs = np.sort(rng.choice(world.localities.n, size=min(n_loc, world.localities.n), replace=False))
    site_ids = np.sort(rng.choice(world.sites.n, size=min(n_sites, world.sites.n), replace=False))
    new_site = np.full(world.sites.n, -1)
    new_site[site_ids] = np.arange(site_ids.size)
    L, S, offers = world.localities, world.sites, world.offers
    keep = (new_site[offers.site_idx] >= 0) & (offers.delivery == ON_SITE)
    return SyntheticEngland(
        localities=LocalityArrays(
            lat=L.lat[locs],
            lon=L.lon[locs],
            population=L.population[locs],
            car_share=L.car_share[locs],
            rurality=L.rurality[locs],
            imd_decile=L.imd_decile[locs],
        ),
        sites=SiteArrays(lat=S.lat[site_ids], lon=S.lon[site_ids]),
        offers=OfferArrays(
            site_idx=new_site[offers.site_idx[keep]],
            option_idx=offers.option_idx[keep],
            provider_idx=offers.provider_idx[keep],
            delivery=offers.delivery[keep],
            capacity_per_week=offers.capacity_per_week[keep],
            waiting_weeks=offers.waiting_weeks[keep],
            active=offers.active[keep],
            home_visit_km=offers.home_visit_km[keep],
        ),
        n_options=world.n_options,
        n_providers=world.n_providers,
    )


def run_engine(world: SyntheticEngland, params: ReachParams):
    travel = crowfly_for_params(localities=world.localities, sites=world.sites, params=params)
    return compute_reach(
        localities=world.localities,
        sites=world.sites,
        offers=world.offers,
        n_options=world.n_options,
        n_providers=world.n_providers,
        travel=travel,
        params=params,
    )


def access_from_points(world: SyntheticEngland, params: ReachParams) -> dict[str, np.ndarray]:
    """PySAL access the documented way: a full origin × destination cost table, then 2SFCA.

    Cost for a scenario = min over its modes of (crow-fly minutes − the mode's limit), so
    cost ≤ 0 exactly when some mode is within its limit; max_cost = 0. Supply = weekly
    capacity of candidate, capacity-known on-site offers per site, one column per option.
    """
    import pandas as pd
    from access import Access

    L, S, offers = world.localities, world.sites, world.offers
    km = haversine_km(L.lat[:, None], L.lon[:, None], S.lat[None, :], S.lon[None, :])
    speeds, access_min, limits = params.speeds_kmh(), params.access_minutes(), params.max_minutes()
    cand = candidate_offers(offers, params) & np.isfinite(offers.capacity_per_week)
    supply = np.zeros((S.n, world.n_options))
    np.add.at(supply, (offers.site_idx[cand], offers.option_idx[cand]), offers.capacity_per_week[cand])
    supply_df = pd.DataFrame(supply, columns=[f"opt{o}" for o in range(world.n_options)])
    supply_df["site"] = np.arange(S.n)
    demand_df = pd.DataFrame({"loc": np.arange(L.n), "pop": L.population})
    origin = np.repeat(np.arange(L.n), S.n)
    dest = np.tile(np.arange(S.n), L.n)
    out = {}
    for scenario, modes in SCENARIO_MODES.items():
        excess = np.full(km.shape, np.inf)
        for mode in modes:
            minutes = km * params.detour_factor / speeds[mode] * 60.0 + access_min[mode]
            np.minimum(excess, minutes - limits[mode], out=excess)
        cost_df = pd.DataFrame({"origin": origin, "dest": dest, "cost": excess.ravel()})
        model = Access(
            demand_df=demand_df,
            demand_index="loc",
            demand_value="pop",
            supply_df=supply_df,
            supply_index="site",
            supply_value=[f"opt{o}" for o in range(world.n_options)],
            cost_df=cost_df,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
        )
        result = model.two_stage_fca(name="fca", max_cost=0.0)
        out[scenario] = result.reindex(np.arange(L.n)).fillna(0.0).to_numpy() * 1000.0
    return out


def access_on_pairs(loc: np.ndarray, off: np.ndarray, world: SyntheticEngland, per_option: bool) -> np.ndarray:
    """PySAL access 2SFCA given only the catchment pairs (cost 0), per 1,000 people.

    per_option=False: one Access object with a supply column per option (as documented);
    per_option=True: one Access per option on that option's pairs only (its fastest use).
    """
    import pandas as pd
    from access import Access

    L, offers = world.localities, world.offers
    cap = np.nan_to_num(offers.capacity_per_week, nan=0.0)
    demand_df = pd.DataFrame({"loc": np.arange(L.n), "pop": L.population})
    result = np.zeros((L.n, world.n_options))

    def solve(pair_loc, pair_off, supply_df, columns):
        cost_df = pd.DataFrame({"origin": pair_loc, "dest": pair_off, "cost": np.zeros(pair_loc.size)})
        model = Access(
            demand_df=demand_df,
            demand_index="loc",
            demand_value="pop",
            supply_df=supply_df,
            supply_index="offer",
            supply_value=columns,
            cost_df=cost_df,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
        )
        return model.two_stage_fca(name="fca", max_cost=0.0).reindex(np.arange(L.n)).fillna(0.0).to_numpy()

    if per_option:
        for o in range(world.n_options):
            sel = offers.option_idx[off] == o
            offers_o = np.flatnonzero(offers.option_idx == o)
            supply_df = pd.DataFrame({"offer": offers_o, "cap": cap[offers_o]})
            result[:, o] = solve(loc[sel], off[sel], supply_df, "cap")[:, 0]
    else:
        supply_df = pd.DataFrame(
            {f"opt{o}": np.where(offers.option_idx == o, cap, 0.0) for o in range(world.n_options)}
        )
        supply_df["offer"] = np.arange(offers.n)
        result[:] = solve(loc, off, supply_df, [f"opt{o}" for o in range(world.n_options)])
    return result * 1000.0


def engine_figures(world: SyntheticEngland, params: ReachParams, repeat: int) -> tuple[Any, Any]:
    """Crow-fly travel and compute_reach at full size: times, memory and the summary; returns both."""
    L, S, offers = world.localities, world.sites, world.offers
    # ---- engine --------------------------------------------------------------------------
    rss_before = maxrss_mb()
    travel, travel_s = timed(lambda: crowfly_for_params(localities=L, sites=S, params=params), repeat)

    def engine():
        return compute_reach(
            localities=L,
            sites=S,
            offers=offers,
            n_options=world.n_options,
            n_providers=world.n_providers,
            travel=travel,
            params=params,
        )

    result, engine_s = timed(engine, repeat)
    rss_after = maxrss_mb()
    travel_peak = traced_peak_mb(lambda: crowfly_for_params(localities=L, sites=S, params=params))
    engine_peak = traced_peak_mb(engine)
    pairs = travel.n_pairs()
    print("travel pairs within limits: " + ", ".join(f"{m} {n:,}" for m, n in pairs.items()))
    print(f"crow-fly travel build : {travel_s:7.3f} s   peak traced {travel_peak:7.1f} MB")
    print(
        f"compute_reach         : {engine_s:7.3f} s   peak traced {engine_peak:7.1f} MB "
        f"(all measures, {world.n_options} options, 3 modes)"
    )
    print(
        f"travel + engine total : {travel_s + engine_s:7.3f} s   process maxrss {rss_after:.0f} MB "
        f"(+{rss_after - rss_before:.0f} MB during travel + engine)"
    )
    s = result.summary
    print(
        f"summary: mean menu without/with car {s['mean']['menu_without_car']:.2f}/{s['mean']['menu_with_car']:.2f}, "
        f"expected {s['mean']['expected_menu']:.2f}, Gini {s['gini_expected_menu']:.3f}, "
        f"best/worst fifth {s['best_to_worst_fifth_ratio']}"
    )

    return travel, result


def compare_from_points(world: SyntheticEngland, params: ReachParams, args: argparse.Namespace) -> None:
    """(a) end to end from points on a subsample: PySAL access's full cost table against ours."""
    sub = subsample(world, args.access_localities, args.access_sites, args.seed)
    ours, ours_s = timed(lambda: run_engine(sub, params), max(1, args.repeat))
    theirs, theirs_s = timed(lambda: access_from_points(sub, params), 1)
    diff = max(
        float(np.abs(ours.accessibility_without_car - theirs["without_car"]).max()),
        float(np.abs(ours.accessibility_with_car - theirs["with_car"]).max()),
    )
    scale = float(np.abs(ours.accessibility_with_car).max())
    print(
        f"(a) from points, {sub.localities.n} localities × {sub.sites.n} sites "
        f"({sub.localities.n * sub.sites.n:,} cost rows), {sub.offers.n} on-site offers, 2 scenarios:"
    )
    print(f"    PySAL access 2SFCA (full cost table) {theirs_s:8.3f} s")
    print(f"    ours: crow-fly + compute_reach      {ours_s:8.3f} s   → {theirs_s / ours_s:,.0f}× faster")
    print(
        f"    max |ours − access| = {diff:.3g} (values up to {scale:.3g} per 1,000) → "
        f"{'EQUAL' if diff <= 1e-9 * max(scale, 1) else 'DIFFERENT'}"
    )


def compare_on_pairs(world: SyntheticEngland, params: ReachParams, travel: Any, result: Any, repeat: int) -> None:
    """(b) the same sparse catchment table at full size: ours against PySAL access."""
    L, S, offers = world.localities, world.sites, world.offers
    # ---- (b) same sparse catchment table at full size ----------------------------------------
    loc, off = catchment_pairs(localities=L, sites=S, offers=offers, travel=travel, params=params, with_car=True)

    def ours_fca():
        return two_step_fca(
            catchment_locality_idx=loc,
            catchment_offer_idx=off,
            population=L.population,
            capacity=offers.capacity_per_week,
            offer_option=offers.option_idx,
            n_options=world.n_options,
        )

    ours_b, ours_b_s = timed(ours_fca, repeat)
    engine_diff = float(np.abs(ours_b - result.accessibility_with_car).max())
    print(f"(b) same sparse catchment table: {loc.size:,} (locality, offer) pairs, with car, full size:")
    print(f"    ours two_step_fca                    {ours_b_s:8.3f} s   (max |Δ| vs compute_reach {engine_diff:.3g})")
    for per_option, label in ((False, "one Access, a column per option"), (True, "one Access per option")):
        theirs_b, theirs_b_s = timed(lambda per_option=per_option: access_on_pairs(loc, off, world, per_option), 1)
        diff_b = float(np.abs(ours_b - theirs_b).max())
        print(
            f"    PySAL access ({label:32s}) {theirs_b_s:8.3f} s   → {theirs_b_s / ours_b_s:,.0f}× "
            f"faster; max |Δ| = {diff_b:.3g} → {'EQUAL' if diff_b <= 1e-9 * max(ours_b.max(), 1) else 'DIFFERENT'}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--localities", type=int, default=33755)
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--offers", type=int, default=6000)
    parser.add_argument("--options", type=int, default=15)
    parser.add_argument("--providers", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5, help="timing repeats (best is reported)")
    parser.add_argument("--count-remote", action="store_true", help="profile counts remote delivery")
    parser.add_argument("--access-localities", type=int, default=8000, help="(a) subsample size; 0 skips (a)")
    parser.add_argument("--access-sites", type=int, default=800)
    parser.add_argument("--skip-access", action="store_true", help="engine figures only")
    args = parser.parse_args(argv)

    params = ReachParams(count_remote=args.count_remote)
    world = make_england(
        seed=args.seed,
        n_localities=args.localities,
        n_sites=args.sites,
        n_options=args.options,
        n_offers=args.offers,
        n_providers=args.providers,
    )
    L, S, offers = world.localities, world.sites, world.offers
    print(
        f"synthetic England: {L.n} localities, {S.n} sites, {offers.n} offers, {world.n_options} options, "
        f"{world.n_providers} providers, population {L.population.sum():,.0f}"
    )

    travel, result = engine_figures(world, params, args.repeat)
    if args.skip_access:
        return 0
    try:
        import access  # noqa: F401
    except ImportError as exc:
        print(f"PySAL access not importable ({exc}); comparison skipped")
        return 0
    warnings.filterwarnings("ignore", message="The inplace keyword")  # access's pandas usage

    if args.access_localities > 0:
        compare_from_points(world, params, args)
    compare_on_pairs(world, params, travel, result, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
