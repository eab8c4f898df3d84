"""The planner against brute force: every subset within the budget, scored from the definitions."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from reach.planner import OBJECTIVES, PlanningProblem, plan


def random_problem(rng, *, n_loc=5, n_opt=3, n_cand=8, n_providers=3, unit_cost=False) -> PlanningProblem:
    cells = n_loc * n_opt
    base_without = rng.random((n_loc, n_opt)) < 0.3
    base_with = base_without | (rng.random((n_loc, n_opt)) < 0.3)
    base_providers = np.where(base_without, rng.integers(1, 3, (n_loc, n_opt)), 0)
    provider = rng.integers(0, n_providers, n_cand)
    cover_without = rng.random((n_cand, cells)) < 0.2
    cover_with = cover_without | (rng.random((n_cand, cells)) < 0.2)
    # today's providers per cell, as ids: a candidate of one of them adds no new provider there
    today = {
        cell: set(rng.choice(n_providers, size=min(n, n_providers), replace=False).tolist())
        for cell, n in enumerate(base_providers.ravel())
    }
    new_provider = np.array(
        [[cover_without[a, cell] and provider[a] not in today[cell] for cell in range(cells)] for a in range(n_cand)]
    )
    return PlanningProblem(
        weight=rng.integers(1, 50, n_loc).astype(float),
        car_share=rng.choice([0.0, 0.5, 0.8], n_loc),
        base_without=base_without,
        base_with=base_with,
        base_providers=base_providers,
        cost=np.ones(n_cand) if unit_cost else rng.integers(1, 4, n_cand).astype(float),
        provider=provider,
        cover_without=sp.csr_matrix(cover_without),
        cover_with=sp.csr_matrix(cover_with),
        new_provider=sp.csr_matrix(new_provider),
        real_choice_providers=2,
        min_options=2,
    ), today


def naive_value(problem: PlanningProblem, today: dict, objective: str, chosen) -> float:
    """Straight from the definitions, one locality and option at a time, with provider sets."""
    n_loc, n_opt = problem.base_without.shape
    total = 0.0
    for i in range(n_loc):
        menu_without = menu_with = real = 0
        for o in range(n_opt):
            cell = i * n_opt + o
            without = problem.base_without[i, o] or any(problem.cover_without[a, cell] for a in chosen)
            with_car = problem.base_with[i, o] or without or any(problem.cover_with[a, cell] for a in chosen)
            providers = set(today[cell]) | {int(problem.provider[a]) for a in chosen if problem.cover_without[a, cell]}
            menu_without += without
            menu_with += with_car
            real += len(providers) >= problem.real_choice_providers
        c = problem.car_share[i]
        per_locality = {
            "expected_menu": c * menu_with + (1 - c) * menu_without,
            "real_choice": real,
            "min_menu": menu_without >= problem.min_options,
        }[objective]
        total += problem.weight[i] * per_locality
    return total


def brute_force(problem, today, objective, budget) -> float:
    best = 0.0
    for size in range(problem.n_candidates + 1):
        for subset in itertools.combinations(range(problem.n_candidates), size):
            if problem.cost[list(subset)].sum() <= budget:
                best = max(best, naive_value(problem, today, objective, subset))
    return best


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("seed", range(8))
def test_the_exact_plan_reaches_the_brute_force_optimum(objective, seed):
    rng = np.random.default_rng(seed)
    problem, today = random_problem(rng)
    budget = float(rng.integers(2, 6))
    result = plan(problem, objective=objective, budget=budget)
    assert result.method == "milp" and result.optimal and result.gap == 0
    assert result.value_after == pytest.approx(brute_force(problem, today, objective, budget))
    assert result.value_after == pytest.approx(naive_value(problem, today, objective, result.chosen))
    assert result.value_before == pytest.approx(naive_value(problem, today, objective, []))
    assert result.cost <= budget
    assert sum(result.marginal_gains) == pytest.approx(result.value_after - result.value_before)


@pytest.mark.parametrize("unit_cost", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_lazy_greedy_keeps_its_guarantee_and_its_bound(seed, unit_cost):
    rng = np.random.default_rng(50 + seed)
    problem, today = random_problem(rng, unit_cost=unit_cost)
    budget = 3.0
    optimum = brute_force(problem, today, "expected_menu", budget)
    greedy = plan(problem, objective="expected_menu", budget=budget, max_exact_variables=0)
    assert greedy.method == "lazy_greedy" and not greedy.optimal
    assert greedy.cost <= budget
    ratio = (1 - 1 / np.e) if unit_cost else (1 - 1 / np.e) / 2
    gained, best_gain = greedy.value_after - greedy.value_before, optimum - greedy.value_before
    assert gained >= ratio * best_gain - 1e-9
    assert greedy.bound >= optimum - 1e-9  # the printed bound really bounds the optimum


def test_greedy_claims_no_guarantee_for_a_threshold_objective():
    problem, _ = random_problem(np.random.default_rng(3))
    greedy = plan(problem, objective="min_menu", budget=3, max_exact_variables=0)
    assert greedy.bound is None and greedy.guarantee.startswith("none")


def test_bad_input_is_refused():
    problem, _ = random_problem(np.random.default_rng(4))
    with pytest.raises(ValueError, match="unknown objective"):
        plan(problem, objective="happiness", budget=1)
    with pytest.raises(ValueError, match="budget"):
        plan(problem, objective="min_menu", budget=-1)


def test_the_planner_and_equity_modules_import_no_django():
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = "import sys, reach.planner, reach.equity; print(sorted(m for m in sys.modules if m.startswith('django')))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert output.strip() == "[]"


def test_when_highs_stops_at_its_time_limit_greedy_steps_in_with_a_true_bound():
    rng = np.random.default_rng(7)
    problem, today = random_problem(rng, n_loc=8, n_cand=10, unit_cost=True)
    optimum = brute_force(problem, today, "expected_menu", 3)
    stopped = plan(problem, objective="expected_menu", budget=3, time_limit=0.0)
    assert not stopped.optimal and stopped.method in ("lazy_greedy", "milp")
    assert stopped.bound >= optimum - 1e-9
    assert stopped.value_after <= optimum + 1e-9
    assert stopped.gap == pytest.approx((stopped.bound - stopped.value_after) / stopped.value_after)


def coverage_value(coverage, chosen) -> float:
    """The reduced (aggregated) formulation's gain for a set, straight from its groups."""
    x = np.zeros(coverage.own_gain.size)
    x[list(chosen)] = 1
    covered = (coverage.groups @ x) > 0
    return float(coverage.own_gain @ x + coverage.group_gain @ covered)


def clustered_problem(rng, *, n_loc=12, n_opt=2, n_cand=7):
    """Many cells share the same covering candidates, so the reduction really merges them."""
    problem, today = random_problem(rng, n_loc=n_loc, n_opt=n_opt, n_cand=n_cand)
    patterns = rng.random((3, n_cand)) < 0.4
    cells = n_loc * n_opt
    pick = rng.integers(0, 3, cells)
    cover_without = patterns[pick].T & (rng.random(cells) < 0.5)
    cover_with = cover_without | patterns[pick].T
    problem.cover_without = sp.csr_matrix(cover_without.astype(float))
    problem.cover_with = sp.csr_matrix(cover_with.astype(float))
    return problem, today


@pytest.mark.parametrize("seed", range(6))
def test_the_reduced_coverage_equals_the_unreduced_objective_for_every_subset(seed):
    from reach.planner import weighted_coverage  # noqa: PLC0415

    rng = np.random.default_rng(200 + seed)
    problem, today = clustered_problem(rng)
    coverage = weighted_coverage(problem)
    assert coverage.n_groups + int((coverage.own_gain > 0).sum()) < coverage.n_cells  # it did reduce
    before = naive_value(problem, today, "expected_menu", [])
    for size in range(problem.n_candidates + 1):
        for subset in itertools.combinations(range(problem.n_candidates), size):
            assert before + coverage_value(coverage, subset) == pytest.approx(
                naive_value(problem, today, "expected_menu", subset)
            )


@pytest.mark.parametrize("seed", range(6))
def test_the_reduced_programme_reaches_the_brute_force_optimum(seed):
    rng = np.random.default_rng(300 + seed)
    problem, today = clustered_problem(rng)
    budget = float(rng.integers(2, 5))
    result = plan(problem, objective="expected_menu", budget=budget)
    assert result.optimal
    assert result.value_after == pytest.approx(brute_force(problem, today, "expected_menu", budget))


@pytest.mark.parametrize("unit_cost", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_coverage_greedy_picks_what_plain_lazy_greedy_picks(seed, unit_cost):
    """The sparse incremental greedy against the generic CELF that scores every set from scratch."""
    from reach.planner import _celf, _coverage_greedy, objective_value, weighted_coverage  # noqa: PLC0415

    rng = np.random.default_rng(400 + seed)
    problem, _ = random_problem(rng, n_loc=10, n_cand=12, unit_cost=unit_cost)
    for per_cost in (False, True):
        fast, gains = _coverage_greedy(weighted_coverage(problem), problem.cost, 4.0, per_cost=per_cost)
        slow = _celf(problem, "expected_menu", 4.0, per_cost=per_cost)
        assert objective_value(problem, "expected_menu", fast) == pytest.approx(
            objective_value(problem, "expected_menu", slow)
        )
        assert sum(gains) == pytest.approx(
            objective_value(problem, "expected_menu", fast) - objective_value(problem, "expected_menu", [])
        )


@pytest.mark.parametrize("seed", range(4))
def test_when_highs_stops_the_lp_relaxation_bounds_the_optimum_tighter_than_greedy(seed):
    rng = np.random.default_rng(500 + seed)
    problem, today = random_problem(rng, n_loc=8, n_cand=10, unit_cost=True)
    optimum = brute_force(problem, today, "expected_menu", 3)
    stopped = plan(problem, objective="expected_menu", budget=3, time_limit=0.0, bound_time_limit=30)
    greedy_only = plan(problem, objective="expected_menu", budget=3, max_exact_variables=0)
    assert optimum - 1e-9 <= stopped.bound <= greedy_only.bound + 1e-9
    assert stopped.gap == pytest.approx((stopped.bound - stopped.value_after) / stopped.value_after)
