"""The planner beside PySAL spopt's MCLP on the same pure coverage instance.

One option, unit costs, budget p: choose p of the candidate sites so that the most people are
within the car time limit of one (crow-fly car minutes from the reach engine's provider). spopt
gets the origin × candidate cost table its documentation uses and solves with CBC (PuLP); ours
builds the sparse coverage and solves with HiGHS (scipy.optimize.milp). Both are timed end to end
from the same travel pairs; travel itself is timed once, apart. Same optimum value or it says so.

Run from the repository root (no Django needed):

    .venv/bin/python -m benchmarks.planner_benchmark
    .venv/bin/python -m benchmarks.planner_benchmark --localities 2000 --candidates 200 --p 5   # quick
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
from reach.engine import ReachParams, crowfly_for_params
from reach.planner import PlanningProblem, plan


def ours(loc, site, *, n_loc: int, n_cand: int, population: np.ndarray, p: int) -> tuple[float, float, str]:
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
    result = plan(problem, objective="expected_menu", budget=p)
    proof = "optimal" if result.optimal else f"gap {result.gap}"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--localities", type=int, default=5000)
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--p", type=int, default=5)
    parser.add_argument("--car-minutes", type=float, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-spopt", action="store_true")
    args = parser.parse_args()

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
        loc, site, n_loc=args.localities, n_cand=args.candidates, population=population, p=args.p
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
