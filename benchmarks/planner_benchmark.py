"""The planner beside PySAL spopt's MCLP on the same pure coverage instance.

One option, unit costs, budget p: choose p of the candidate sites so that the most people are
within the car time limit of one (crow-fly car minutes from the reach engine's provider). spopt
gets the origin × candidate cost table its documentation uses and solves with CBC (PuLP); ours
builds the sparse coverage and solves with HiGHS (scipy.optimize.milp). Both are timed end to end
from the same travel pairs; travel itself is timed once, apart. Same optimum value or it says so.

Run from the repository root (no Django needed):

    .venv/bin/python -m benchmarks.planner_benchmark
    .venv/bin/python -m benchmarks.planner_benchmark --localities 2000 --candidates 200 --p 5   # quick

With ``--menu`` it plans the whole menu instead (``expected_menu``) on synthetic England with its
base catalogue: each candidate a new site at a locality's origin offering one option on site, each
candidate's reach from the reach engine (as ``reach.plan_services.build_problem`` does), then the
plan with HiGHS under a time limit and the greedy bound:

    .venv/bin/python -m benchmarks.planner_benchmark --menu --localities 33755 --candidates 5000 --p 20
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic_england import make_england
from reach.engine import ON_SITE, OfferArrays, ReachParams, SiteArrays, compute_reach, crowfly_for_params
from reach.planner import PlanningProblem, plan, weighted_coverage

COVERAGE_CHUNK = 256


def ours(
    loc, site, *, n_loc: int, n_cand: int, population: np.ndarray, p: int, time_limit: float
) -> tuple[float, float, str]:
    started = time.perf_counter()
    cover = sp.csr_matrix((np.ones(loc.size), (site, loc)), shape=(n_cand, n_loc))
    problem = PlanningProblem(
        weight=population,
        car_share=np.ones(n_loc),  # expected menu = reach with a car: pure coverage
        base_without=np.zeros((n_loc, 1), bool),
        base_with=np.zeros((n_loc, 1), bool),
        base_providers=np.zeros((n_loc, 1), int),
        cost=np.ones(n_cand),
        provider=np.arange(n_cand),
        cover_without=sp.csr_matrix((n_cand, n_loc)),
        cover_with=cover,
        new_provider=sp.csr_matrix((n_cand, n_loc)),
    )
    result = plan(problem, objective="expected_menu", budget=p, time_limit=time_limit)
    proof = "optimal" if result.optimal else f"{result.method}, gap ≤ {result.gap:.4f} to the bound {result.bound:,.0f}"
    return result.value_after, time.perf_counter() - started, proof


def spopt_mclp(loc, site, minutes, *, n_loc: int, n_cand: int, population: np.ndarray, p: int, limit: float):
    import pulp  # noqa: PLC0415  (optional: only the benchmark needs spopt)
    from spopt.locate import MCLP  # noqa: PLC0415

    started = time.perf_counter()
    cost = np.full((n_loc, n_cand), 1e9)
    cost[loc, site] = minutes
    model = MCLP.from_cost_matrix(cost, population, service_radius=limit, p_facilities=p)
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    value = float(pulp.value(model.problem.objective))
    return value, time.perf_counter() - started


def menu_instance(args) -> tuple[PlanningProblem, dict]:
    """Synthetic England's catalogue today, and `candidates` new on-site offers at locality origins."""
    timings = {}
    started = time.perf_counter()
    world = make_england(seed=args.seed, n_localities=args.localities)
    rng = np.random.default_rng(args.seed + 1)
    population = world.localities.population
    host = rng.choice(args.localities, size=args.candidates, p=population / population.sum())
    option = rng.integers(0, world.n_options, args.candidates)
    n_base = world.sites.n
    sites = SiteArrays(
        lat=np.r_[world.sites.lat, world.localities.lat[host]], lon=np.r_[world.sites.lon, world.localities.lon[host]]
    )
    params = ReachParams()
    travel = crowfly_for_params(localities=world.localities, sites=sites, params=params)
    timings["world_and_travel"] = time.perf_counter() - started
    started = time.perf_counter()
    today = compute_reach(
        localities=world.localities,
        sites=sites,
        offers=world.offers,
        n_options=world.n_options,
        n_providers=world.n_providers,
        travel=travel,
        params=params,
    )
    n_loc, n_opt = args.localities, world.n_options
    without, with_car = [], []
    for start in range(0, args.candidates, COVERAGE_CHUNK):
        chunk = np.arange(start, min(start + COVERAGE_CHUNK, args.candidates))
        labels = np.arange(chunk.size)
        offers = OfferArrays(
            site_idx=n_base + chunk,
            option_idx=labels,
            provider_idx=labels,
            delivery=np.full(chunk.size, ON_SITE),
            capacity_per_week=np.full(chunk.size, np.nan),
            waiting_weeks=np.full(chunk.size, np.nan),
            active=np.ones(chunk.size, bool),
            home_visit_km=np.full(chunk.size, np.nan),
        )
        reach = compute_reach(
            localities=world.localities,
            sites=sites,
            offers=offers,
            n_options=chunk.size,
            n_providers=chunk.size,
            travel=travel,
            params=params,
        )
        for store, part in ((without, reach.reachable_without_car), (with_car, reach.reachable_with_car)):
            loc, cand = np.nonzero(part)
            store.append((loc, start + cand))

    def cells(pairs) -> sp.csr_matrix:
        loc, cand = (np.concatenate(side) for side in zip(*pairs, strict=True))
        return sp.csr_matrix(
            (np.ones(loc.size), (cand, loc * n_opt + option[cand])), shape=(args.candidates, n_loc * n_opt)
        )

    cover_without = cells(without)
    problem = PlanningProblem(
        weight=population,
        car_share=today.car_share,
        base_without=today.reachable_without_car,
        base_with=today.reachable_with_car,
        base_providers=today.providers_without_car,
        cost=np.ones(args.candidates),
        provider=rng.integers(0, world.n_providers, args.candidates),
        cover_without=cover_without,
        cover_with=cells(with_car),
        new_provider=cover_without,
    )
    timings["coverage"] = time.perf_counter() - started
    return problem, timings


def menu(args) -> None:
    problem, timings = menu_instance(args)
    started = time.perf_counter()
    coverage = weighted_coverage(problem)
    reduce_seconds = time.perf_counter() - started
    print(
        f"instance: {args.localities} localities × {problem.n_options} options, {args.candidates} candidates, "
        f"budget {args.p}; world + travel {timings['world_and_travel']:.1f} s, engine coverage "
        f"{timings['coverage']:.1f} s; {coverage.n_cells:,} cells a candidate can change → "
        f"{coverage.n_groups:,} shared groups ({reduce_seconds:.2f} s)"
    )
    result = plan(problem, objective="expected_menu", budget=args.p, time_limit=args.time_limit)
    proof = "optimal" if result.optimal else f"gap ≤ {result.gap:.4f} to the bound {result.bound:,.1f}"
    print(
        f"plan: {result.method}, value {result.value_before:,.1f} → {result.value_after:,.1f} "
        f"({proof}); {result.guarantee}; HiGHS: {result.solver_status}; plan {result.seconds:.1f} s"
    )
    total = timings["coverage"] + result.seconds
    print(f"end to end from travel times (coverage + plan): {total:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--localities", type=int, default=5000)
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--p", type=int, default=5)
    parser.add_argument("--car-minutes", type=float, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-spopt", action="store_true")
    parser.add_argument("--menu", action="store_true", help="plan the whole menu on synthetic England")
    parser.add_argument("--time-limit", type=float, default=30.0, help="HiGHS time limit (s)")
    args = parser.parse_args()
    if args.menu:
        menu(args)
        return

    world = make_england(
        seed=args.seed, n_localities=args.localities, n_sites=args.candidates, n_offers=args.candidates
    )
    params = ReachParams(car_minutes=args.car_minutes)
    started = time.perf_counter()
    travel = crowfly_for_params(localities=world.localities, sites=world.sites, params=params)
    loc, site, minutes = travel.pairs["car"]
    keep = minutes <= args.car_minutes
    loc, site, minutes = loc[keep], site[keep], minutes[keep]
    travel_seconds = time.perf_counter() - started
    population = world.localities.population
    print(
        f"instance: {args.localities} localities, {args.candidates} candidates, p={args.p}, "
        f"car ≤ {args.car_minutes:g} min, {loc.size} covering pairs; travel {travel_seconds:.2f} s"
    )
    value, seconds, proof = ours(
        loc,
        site,
        n_loc=args.localities,
        n_cand=args.candidates,
        population=population,
        p=args.p,
        time_limit=args.time_limit,
    )
    print(f"choicemap planner (HiGHS MILP): covered {value:,.0f} people in {seconds:.3f} s ({proof})")
    if args.skip_spopt:
        return
    spopt_value, spopt_seconds = spopt_mclp(
        loc,
        site,
        minutes,
        n_loc=args.localities,
        n_cand=args.candidates,
        population=population,
        p=args.p,
        limit=args.car_minutes,
    )
    print(f"spopt MCLP (PuLP + CBC): covered {spopt_value:,.0f} people in {spopt_seconds:.3f} s")
    same = abs(spopt_value - value) <= 1e-6 * max(1.0, abs(value))
    print(f"same optimum: {'yes' if same else 'NO'}; speed-up {spopt_seconds / seconds:.1f}×")


if __name__ == "__main__":
    main()
