"""The planner: which candidate offers to add, under a budget, for the most reach (pure numpy/scipy).

No Django. The caller (reach.plan_services) turns a base run and a candidate file into a
`PlanningProblem`: each candidate's coverage, computed by the reach engine itself, as sparse rows
over cells (locality × option). Objectives, population-weighted (the weight may carry deprivation):

- ``expected_menu``: Σ weight × (car share × menu with a car + (1 − car share) × menu without);
- ``real_choice``: Σ weight × options with at least k distinct providers without a car;
- ``min_menu``: Σ weight over localities whose menu without a car has at least N options.

`plan` solves it exactly as a mixed-integer programme with HiGHS (`scipy.optimize.milp`) and says
whether it proved optimality (else the MIP gap it reached). Above `max_exact_variables` it falls
back to lazy greedy (CELF): for ``expected_menu``, a coverage function and so monotone submodular,
the better of cost-benefit and plain greedy is within (1 − 1/e)/2 of the optimum, (1 − 1/e) with
equal costs (Leskovec et al. 2007, Nemhauser et al. 1978), and the data-dependent bound
f(S) + fractional knapsack of the marginal gains is printed. The two threshold objectives are not
submodular: greedy there has no guarantee and none is claimed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

OBJECTIVES = ("expected_menu", "real_choice", "min_menu")
DEFAULT_MAX_EXACT_VARIABLES = 2_000_000


@dataclass
class PlanningProblem:
    """Base reach per cell (cell = locality × n_options + option) and what each candidate adds.

    ``cover_without``/``cover_with``: (n_candidates, n_cells) 0/1, the cells a candidate reaches without
    / with a car (with includes without). ``new_provider``: the cells it reaches without a car with a
    provider that does not reach them today; ``provider``: each candidate's provider (any integer id).
    """

    weight: np.ndarray
    car_share: np.ndarray
    base_without: np.ndarray  # bool (n_localities, n_options)
    base_with: np.ndarray
    base_providers: np.ndarray  # int (n_localities, n_options), without a car
    cost: np.ndarray
    provider: np.ndarray
    cover_without: sp.csr_matrix
    cover_with: sp.csr_matrix
    new_provider: sp.csr_matrix
    real_choice_providers: int = 2
    min_options: int = 1

    def __post_init__(self) -> None:
        self.weight = np.asarray(self.weight, dtype=np.float64)
        self.car_share = np.asarray(self.car_share, dtype=np.float64)
        self.base_without = np.asarray(self.base_without, dtype=bool)
        self.base_with = np.asarray(self.base_with, dtype=bool) | self.base_without
        self.base_providers = np.asarray(self.base_providers, dtype=np.int64)
        self.cost = np.asarray(self.cost, dtype=np.float64)
        self.provider = np.asarray(self.provider, dtype=np.int64)
        self.cover_without, self.cover_with, self.new_provider = (
            sp.csr_matrix(m, dtype=np.float64) for m in (self.cover_without, self.cover_with, self.new_provider)
        )
        union = self.cover_with + self.cover_without  # whatever is reachable without a car is with one
        union.data[:] = 1.0
        self.cover_with = union
        n_cells = self.base_without.size
        for name in ("cover_without", "cover_with", "new_provider"):
            if getattr(self, name).shape != (self.cost.size, n_cells):
                raise ValueError(f"{name} must be (n_candidates, n_localities × n_options)")
        if np.any(self.cost < 0) or not np.all(np.isfinite(self.cost)):
            raise ValueError("costs must be finite and not negative")

    @property
    def n_localities(self) -> int:
        return int(self.base_without.shape[0])

    @property
    def n_options(self) -> int:
        return int(self.base_without.shape[1])

    @property
    def n_candidates(self) -> int:
        return int(self.cost.size)


@dataclass
class Outcome:
    """Reach after adding a set of candidates."""

    reach_without: np.ndarray
    reach_with: np.ndarray
    providers_without: np.ndarray

    def expected_menu(self, car_share: np.ndarray) -> np.ndarray:
        return car_share * self.reach_with.sum(axis=1) + (1 - car_share) * self.reach_without.sum(axis=1)


def outcome(problem: PlanningProblem, chosen) -> Outcome:
    """Reach with the chosen candidates added: union of cells, distinct new providers per cell."""
    chosen = np.asarray(sorted(set(int(a) for a in chosen)), dtype=np.int64)
    shape = problem.base_without.shape
    without = problem.base_without.ravel().copy()
    with_car = problem.base_with.ravel().copy()
    providers = problem.base_providers.ravel().copy()
    if chosen.size:
        without[problem.cover_without[chosen].indices] = True
        with_car[problem.cover_with[chosen].indices] = True
        with_car |= without
        rows = problem.new_provider[chosen].tocoo()
        pairs = np.unique(np.column_stack((rows.col, problem.provider[chosen][rows.row])), axis=0)
        np.add.at(providers, pairs[:, 0], 1)
    return Outcome(without.reshape(shape), with_car.reshape(shape), providers.reshape(shape))


def locality_values(problem: PlanningProblem, objective: str, result: Outcome) -> np.ndarray:
    """Each locality's weighted contribution to the objective."""
    if objective == "expected_menu":
        return problem.weight * result.expected_menu(problem.car_share)
    if objective == "real_choice":
        return problem.weight * (result.providers_without >= problem.real_choice_providers).sum(axis=1)
    if objective == "min_menu":
        return problem.weight * (result.reach_without.sum(axis=1) >= problem.min_options)
    raise ValueError(f"unknown objective {objective!r} (one of {', '.join(OBJECTIVES)})")


def objective_value(problem: PlanningProblem, objective: str, chosen) -> float:
    return float(locality_values(problem, objective, outcome(problem, chosen)).sum())


@dataclass
class Plan:
    objective: str
    chosen: list[int]  # candidate indices, in the order of their marginal gains
    marginal_gains: list[float]
    value_before: float
    value_after: float
    cost: float
    method: str  # "milp" or "lazy_greedy"
    optimal: bool
    gap: float | None  # MIP relative gap reached (0 when proved optimal); None for greedy
    bound: float | None  # an upper bound on the optimum, when one is known
    guarantee: str
    seconds: float
    solver_status: str = ""
    before: Outcome | None = field(default=None, repr=False)
    after: Outcome | None = field(default=None, repr=False)


def plan(
    problem: PlanningProblem,
    *,
    objective: str,
    budget: float,
    time_limit: float = 60.0,
    max_exact_variables: int = DEFAULT_MAX_EXACT_VARIABLES,
    bound_time_limit: float | None = None,
) -> Plan:
    """The best set of candidates whose costs fit the budget: exact (MILP) when the programme is small
    enough, lazy greedy with its guarantee above that or when HiGHS stops at its time limit (then the
    better of its incumbent and greedy, with the tighter of the two bounds and the gap to it)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r} (one of {', '.join(OBJECTIVES)})")
    if not np.isfinite(budget) or budget < 0:
        raise ValueError("the budget must be a finite number, not negative")
    started = time.perf_counter()
    coverage = weighted_coverage(problem) if objective == "expected_menu" else None
    programme = _programme(problem, objective, coverage)
    chosen, optimal, gap, bound, status = None, False, None, None, ""
    if programme.n_variables <= max_exact_variables:
        chosen, optimal, gap, bound, status = _solve_milp(problem, programme, budget, time_limit)
    method, guarantee = "milp", "optimal"
    if not optimal:
        # too large, or HiGHS stopped at its time limit: greedy, kept when it is better
        greedy, greedy_bound, guarantee = _lazy_greedy(problem, objective, budget, coverage)
        if chosen is None or objective_value(problem, objective, greedy) > objective_value(problem, objective, chosen):
            chosen, method = greedy, "lazy_greedy"
        else:
            guarantee = f"HiGHS stopped ({status}); its incumbent beats greedy"
        if coverage is not None and programme.n_variables <= max_exact_variables:
            # HiGHS's branch and bound may stop before its root LP is done: the LP relaxation alone,
            # by interior point, is a far tighter bound than greedy's
            lp_bound = _lp_bound(
                problem, programme, budget, time_limit if bound_time_limit is None else bound_time_limit
            )
            bound = min(b for b in (bound, lp_bound, np.inf) if b is not None)
        bound = min(b for b in (bound, greedy_bound, np.inf) if b is not None)
        bound = None if np.isinf(bound) else float(bound)
        if bound is not None:
            guarantee += f"; optimum ≤ {bound:.6g}"
        value = objective_value(problem, objective, chosen)
        gap = (bound - value) / abs(value) if bound is not None and value else None
    if chosen is None:  # an optimal MILP has an incumbent, and otherwise greedy was taken
        raise RuntimeError("the planner chose no set of candidates")
    ordered, gains = (
        _coverage_greedy(coverage, problem.cost, np.inf, per_cost=False, among=chosen)
        if coverage is not None
        else _order_by_gain(problem, objective, chosen)
    )
    before = outcome(problem, [])
    after = outcome(problem, chosen)
    return Plan(
        objective=objective,
        chosen=ordered,
        marginal_gains=gains,
        value_before=float(locality_values(problem, objective, before).sum()),
        value_after=float(locality_values(problem, objective, after).sum()),
        cost=float(problem.cost[ordered].sum()) if ordered else 0.0,
        method=method,
        optimal=optimal,
        gap=gap,
        bound=bound,
        guarantee=guarantee,
        seconds=time.perf_counter() - started,
        solver_status=status,
        before=before,
        after=after,
    )


# --------------------------------------------------------------------------------------------
# the mixed-integer programme
# --------------------------------------------------------------------------------------------


@dataclass
class _Programme:
    """Variables: x (candidates, binary) then auxiliaries; maximise gain·v subject to rows ≤ upper."""

    gain: np.ndarray  # objective coefficient per variable (to maximise)
    integral: np.ndarray  # 1 for binary variables
    rows: sp.csr_matrix
    upper: np.ndarray
    constant: float

    @property
    def n_variables(self) -> int:
        return int(self.gain.size)


def _cover_rows(cover: sp.csr_matrix, cells: np.ndarray, first_var: int, n_vars: int) -> sp.csr_matrix:
    """One row per cell: y_cell − Σ_{a covers cell} x_a ≤ 0."""
    n = cells.size
    part = cover[:, cells].T.tocsr()  # (cells, candidates)
    identity = sp.csr_matrix((np.ones(n), (np.arange(n), first_var + np.arange(n))), shape=(n, n_vars))
    minus_x = sp.csr_matrix((-part.data, part.indices, part.indptr), shape=(n, n_vars))
    return identity + minus_x


def _new_cells(cover: sp.csr_matrix, base: np.ndarray) -> np.ndarray:
    covered = np.unique(cover.indices)
    return covered[~base.ravel()[covered]]


def _programme(problem: PlanningProblem, objective: str, coverage: _Coverage | None = None) -> _Programme:
    base_value = float(locality_values(problem, objective, outcome(problem, [])).sum())
    if objective == "expected_menu":
        coverage = coverage or weighted_coverage(problem)
        n_cand, n_groups = problem.n_candidates, coverage.n_groups
        n = n_cand + n_groups
        # one row per group: y_group − Σ_{a covers it} x_a ≤ 0
        groups = coverage.groups.tocoo()
        rows = sp.csr_matrix(
            (
                np.r_[np.ones(n_groups), -groups.data],
                (np.r_[np.arange(n_groups), groups.row], np.r_[n_cand + np.arange(n_groups), groups.col]),
            ),
            shape=(n_groups, n),
        )
        return _Programme(
            np.r_[coverage.own_gain, coverage.group_gain],
            np.r_[np.ones(n_cand), np.zeros(n_groups)],
            rows,
            np.zeros(n_groups),
            base_value,
        )
    if objective == "min_menu":
        return _min_menu_programme(problem, base_value)
    return _real_choice_programme(problem, base_value)


# --------------------------------------------------------------------------------------------
# expected_menu as weighted coverage, reduced
# --------------------------------------------------------------------------------------------


@dataclass
class _Coverage:
    """expected_menu − its value today = own_gain·x + Σ_groups group_gain × [a chosen candidate covers the group].

    A group is a set of cells (without or with a car) not reached today that exactly the same
    candidates would reach; their gains add up, so one variable stands for them all. A group
    only one candidate reaches is folded into that candidate's own gain.
    """

    own_gain: np.ndarray  # (n_candidates,)
    groups: sp.csr_matrix  # (n_groups, n_candidates) 0/1: which candidates cover the group
    group_gain: np.ndarray  # (n_groups,)
    n_cells: int  # new cells before the reduction, for the record

    @property
    def n_groups(self) -> int:
        return int(self.group_gain.size)


def weighted_coverage(problem: PlanningProblem) -> _Coverage:
    n_opt = problem.n_options
    w, c = problem.weight, problem.car_share
    cells0 = _new_cells(problem.cover_without, problem.base_without)
    cells1 = _new_cells(problem.cover_with, problem.base_with)
    loc0, loc1 = cells0 // n_opt, cells1 // n_opt
    gain = np.r_[w[loc0] * (1 - c[loc0]), w[loc1] * c[loc1]]
    # (cells, candidates): who reaches each new cell
    cover = sp.vstack((problem.cover_without[:, cells0].T, problem.cover_with[:, cells1].T)).tocsr()
    cover.sum_duplicates()
    cover.sort_indices()
    cover.data[:] = 1.0
    n_cand = problem.n_candidates
    counts = np.diff(cover.indptr)
    own_gain = np.zeros(n_cand)
    single = counts == 1
    np.add.at(own_gain, cover.indices[cover.indptr[:-1][single]], gain[single])
    shared = np.flatnonzero(counts > 1)
    cover, gain = cover[shared], gain[shared]
    group_of_row = _identical_rows(cover)
    n_groups = int(group_of_row.max()) + 1 if group_of_row.size else 0
    first = np.full(n_groups, -1, dtype=np.int64)
    first[group_of_row[::-1]] = np.arange(group_of_row.size)[::-1]
    return _Coverage(
        own_gain=own_gain,
        groups=cover[first] if n_groups else sp.csr_matrix((0, n_cand)),
        group_gain=np.bincount(group_of_row, weights=gain, minlength=n_groups),
        n_cells=int(cells0.size + cells1.size),
    )


def _identical_rows(rows: sp.csr_matrix) -> np.ndarray:
    """A group number per row, equal exactly when the rows are equal (sorted 0/1 rows).

    Rows are hashed by two random projections, then each row is compared with its group's first
    row; a row that differs (a hash collision) gets a group of its own, so the grouping is exact.
    """
    if rows.shape[0] == 0:
        return np.empty(0, dtype=np.int64)
    rng = np.random.default_rng(20260101)
    keys = rows @ rng.random((rows.shape[1], 2))
    keys = np.column_stack((keys, np.diff(rows.indptr)))
    _, group = np.unique(keys, axis=0, return_inverse=True)
    group = group.ravel().astype(np.int64)
    first = np.full(int(group.max()) + 1, -1, dtype=np.int64)
    first[group[::-1]] = np.arange(group.size)[::-1]
    differs = np.flatnonzero(np.diff((rows - rows[first[group]]).tocsr().indptr) != 0)
    for extra, row in enumerate(differs):  # practically never: a collision of both projections
        group[row] = first.size + extra
    return group


def _min_menu_programme(problem: PlanningProblem, base_value: float) -> _Programme:
    """t_i (binary) ≤ (today's menu_i + Σ_o y_io) / N for localities short of N today."""
    n_cand, n_opt, need = problem.n_candidates, problem.n_options, problem.min_options
    cells = _new_cells(problem.cover_without, problem.base_without)
    base_menu = problem.base_without.sum(axis=1)
    locs = np.flatnonzero(base_menu < need)
    locs = locs[base_menu[locs] + np.bincount(cells // n_opt, minlength=problem.n_localities)[locs] >= need]
    n = n_cand + cells.size + locs.size
    t_of_loc = np.full(problem.n_localities, -1)
    t_of_loc[locs] = n_cand + cells.size + np.arange(locs.size)
    cover = _cover_rows(problem.cover_without, cells, n_cand, n)
    cell_loc = cells // n_opt
    in_t = t_of_loc[cell_loc] >= 0
    threshold = sp.csr_matrix(
        (
            np.r_[np.full(locs.size, float(need)), -np.ones(int(in_t.sum()))],
            (
                np.r_[np.arange(locs.size), np.searchsorted(locs, cell_loc[in_t])],
                np.r_[t_of_loc[locs], n_cand + np.flatnonzero(in_t)],
            ),
        ),
        shape=(locs.size, n),
    )
    gain = np.zeros(n)
    gain[t_of_loc[locs]] = problem.weight[locs]
    integral = np.zeros(n)
    integral[:n_cand] = 1
    integral[t_of_loc[locs]] = 1
    rows = sp.vstack((cover, threshold)).tocsr()
    return _Programme(gain, integral, rows, np.r_[np.zeros(cells.size), base_menu[locs]], base_value)


def _real_choice_programme(problem: PlanningProblem, base_value: float) -> _Programme:
    """u_{cell,p} ≤ Σ x_a of provider p new to the cell; z_cell (binary) ≤ (today's providers + Σ_p u) / k."""
    n_cand, n_opt, k = problem.n_candidates, problem.n_options, problem.real_choice_providers
    entries = problem.new_provider.tocoo()
    keys, pair_of_entry = np.unique(
        np.column_stack((entries.col, problem.provider[entries.row])), axis=0, return_inverse=True
    )
    pair_of_entry = pair_of_entry.ravel()
    base = problem.base_providers.ravel()
    pair_cells = keys[:, 0] if keys.size else np.empty(0, np.int64)
    cells, pairs_per_cell = np.unique(pair_cells, return_counts=True)
    short = (base[cells] < k) & (base[cells] + pairs_per_cell >= k)
    cells = cells[short]
    n_pairs = keys.shape[0]
    n = n_cand + n_pairs + cells.size
    u_rows = sp.csr_matrix(
        (
            np.r_[np.ones(n_pairs), -np.ones(entries.nnz)],
            (np.r_[np.arange(n_pairs), pair_of_entry], np.r_[n_cand + np.arange(n_pairs), entries.row]),
        ),
        shape=(n_pairs, n),
    )
    z_of_cell = {int(cell): n_cand + n_pairs + i for i, cell in enumerate(cells.tolist())}
    z_pairs = np.array([z_of_cell.get(int(cell), -1) for cell in pair_cells], dtype=np.int64)
    in_z = z_pairs >= 0
    z_index = np.searchsorted(cells, pair_cells[in_z])
    z_rows = sp.csr_matrix(
        (
            np.r_[np.full(cells.size, float(k)), -np.ones(int(in_z.sum()))],
            (
                np.r_[np.arange(cells.size), z_index],
                np.r_[n_cand + n_pairs + np.arange(cells.size), n_cand + np.flatnonzero(in_z)],
            ),
        ),
        shape=(cells.size, n),
    )
    gain = np.zeros(n)
    gain[n_cand + n_pairs :] = problem.weight[cells // n_opt]
    integral = np.zeros(n)
    integral[:n_cand] = 1
    integral[n_cand + n_pairs :] = 1
    rows = sp.vstack((u_rows, z_rows)).tocsr()
    return _Programme(gain, integral, rows, np.r_[np.zeros(n_pairs), base[cells]], base_value)


def _solve_milp(problem: PlanningProblem, programme: _Programme, budget: float, time_limit: float):
    rows, upper = _with_budget(problem, programme, budget)
    result = milp(
        -programme.gain,
        integrality=programme.integral,
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(rows, -np.inf, upper),
        options={"time_limit": time_limit, "mip_rel_gap": 1e-9},
    )
    bound = programme.constant - float(result.mip_dual_bound) if result.mip_dual_bound is not None else None
    if result.x is None:  # stopped (time limit) before any incumbent
        return None, False, None, bound, str(result.message)
    chosen = np.flatnonzero(result.x[: problem.n_candidates] > 0.5).tolist()
    gap = float(result.mip_gap) if result.mip_gap is not None else None
    optimal = result.status == 0 and (gap is None or gap <= 1e-6)
    return chosen, optimal, (0.0 if optimal else gap), bound, str(result.message)


def _with_budget(problem: PlanningProblem, programme: _Programme, budget: float) -> tuple[sp.csr_matrix, np.ndarray]:
    n = programme.n_variables
    budget_row = sp.csr_matrix(
        (problem.cost, (np.zeros(problem.n_candidates, dtype=np.int64), np.arange(problem.n_candidates))), shape=(1, n)
    )
    return sp.vstack((programme.rows, budget_row)).tocsr(), np.r_[programme.upper, budget]


def _lp_bound(problem: PlanningProblem, programme: _Programme, budget: float, time_limit: float) -> float | None:
    """The optimum of the LP relaxation: an upper bound on the plan's optimum (None if not solved in time)."""
    rows, upper = _with_budget(problem, programme, budget)
    result = linprog(
        -programme.gain,
        A_ub=rows,
        b_ub=upper,
        bounds=(0, 1),
        method="highs-ipm",
        options={"time_limit": max(time_limit, 0.0)},
    )
    return programme.constant - float(result.fun) if result.status == 0 else None


# --------------------------------------------------------------------------------------------
# lazy greedy and the order of marginal gains
# --------------------------------------------------------------------------------------------


def _gain(problem: PlanningProblem, objective: str, chosen: list[int], candidate: int, base_value: float) -> float:
    return objective_value(problem, objective, [*chosen, candidate]) - base_value


def _order_by_gain(problem: PlanningProblem, objective: str, chosen: list[int]) -> tuple[list[int], list[float]]:
    """The chosen candidates, each next one the one adding most to those before it."""
    ordered: list[int] = []
    gains: list[float] = []
    remaining = list(chosen)
    current = objective_value(problem, objective, [])
    while remaining:
        values = [objective_value(problem, objective, [*ordered, a]) for a in remaining]
        best = int(np.argmax(values))
        ordered.append(remaining.pop(best))
        gains.append(values[best] - current)
        current = values[best]
    return ordered, gains


def _celf(problem: PlanningProblem, objective: str, budget: float, *, per_cost: bool) -> list[int]:
    """Lazy greedy (CELF): stale gains are upper bounds of fresh ones for a submodular objective."""
    chosen: list[int] = []
    spent = 0.0
    current = objective_value(problem, objective, [])
    cost = np.where(problem.cost > 0, problem.cost, 1e-12)
    stale = {a: _gain(problem, objective, [], a, current) for a in range(problem.n_candidates)}
    fresh_round = dict.fromkeys(stale, 0)
    round_number = 0
    while stale:
        key = (lambda a: stale[a] / cost[a]) if per_cost else (lambda a: stale[a])
        best = max(stale, key=key)
        if spent + problem.cost[best] > budget + 1e-9:
            del stale[best]
            continue
        if fresh_round[best] != round_number:
            stale[best] = _gain(problem, objective, chosen, best, current)
            fresh_round[best] = round_number
            continue
        if stale[best] <= 0:
            break
        chosen.append(best)
        spent += problem.cost[best]
        current += stale.pop(best)
        round_number += 1
    return chosen


def _lazy_greedy(
    problem: PlanningProblem, objective: str, budget: float, coverage: _Coverage | None = None
) -> tuple[list[int], float | None, str]:
    equal_costs = np.ptp(problem.cost) == 0 if problem.n_candidates else True
    if coverage is not None:  # expected_menu: every candidate's gain at once from the sparse coverage
        picks = [_coverage_greedy(coverage, problem.cost, budget, per_cost=False)[0]]
        if not equal_costs:
            picks.append(_coverage_greedy(coverage, problem.cost, budget, per_cost=True)[0])
    else:
        picks = [_celf(problem, objective, budget, per_cost=False)]
        if not equal_costs:
            picks.append(_celf(problem, objective, budget, per_cost=True))
    chosen = max(picks, key=lambda s: objective_value(problem, objective, s))
    if objective != "expected_menu":
        return chosen, None, "none: this objective is not submodular, so greedy promises no ratio"
    bound = _online_bound(problem, objective, chosen, budget, coverage)
    ratio = "(1 − 1/e) ≈ 0.632" if equal_costs else "(1 − 1/e)/2 ≈ 0.316"
    return chosen, bound, f"at least {ratio} × optimum"


class _Marginals:
    """Every candidate's marginal gain on a weighted coverage, kept up to date as candidates are taken:
    one sparse product at the start, then only the groups a taken candidate newly covers."""

    def __init__(self, coverage: _Coverage):
        self.coverage = coverage
        self.by_candidate = coverage.groups.T.tocsr()  # (candidates, groups)
        self.open_gain = coverage.group_gain.copy()  # a covered group's gain becomes 0
        self.gains = coverage.own_gain + self.by_candidate @ self.open_gain
        self.taken = np.zeros(coverage.own_gain.size, dtype=bool)

    def take(self, candidate: int) -> float:
        gain = float(self.gains[candidate])
        start, end = self.by_candidate.indptr[candidate], self.by_candidate.indptr[candidate + 1]
        groups = self.by_candidate.indices[start:end]
        closing = groups[self.open_gain[groups] > 0]
        if closing.size:  # the other candidates covering these groups lose their share
            lost = self.coverage.groups[closing].T @ self.open_gain[closing]
            self.gains -= lost
            self.open_gain[closing] = 0.0
        self.gains[candidate] = 0.0
        self.taken[candidate] = True
        return gain


def _coverage_greedy(
    coverage: _Coverage, cost: np.ndarray, budget: float, *, per_cost: bool, among=None
) -> tuple[list[int], list[float]]:
    """Greedy on the weighted coverage (optionally only `among` some candidates), with each pick's gain.

    For a coverage function this is what lazy greedy (CELF) picks too; here no gain is ever stale.
    """
    marginals = _Marginals(coverage)
    allowed = np.zeros(cost.size, dtype=bool)
    allowed[list(range(cost.size)) if among is None else list(among)] = True
    safe_cost = np.where(cost > 0, cost, 1e-12)
    chosen: list[int] = []
    gains: list[float] = []
    room = float(budget)
    while True:
        open_ = allowed & ~marginals.taken & (cost <= room + 1e-9)
        if not open_.any():
            break
        score = marginals.gains / safe_cost if per_cost else marginals.gains
        best = int(np.flatnonzero(open_)[np.argmax(score[open_])])
        if marginals.gains[best] <= 1e-12 and among is None:
            break
        gains.append(marginals.take(best))
        chosen.append(best)
        room -= float(cost[best])
    return chosen, gains


def _online_bound(
    problem: PlanningProblem, objective: str, chosen: list[int], budget: float, coverage: _Coverage | None = None
) -> float:
    """f(S) + the best fractional knapsack of marginal gains over S: ≥ the optimum for submodular f."""
    current = objective_value(problem, objective, chosen)
    others = np.setdiff1d(np.arange(problem.n_candidates), np.asarray(chosen, dtype=np.int64))
    if coverage is not None:
        marginals = _Marginals(coverage)
        for a in chosen:
            marginals.take(a)
        gains = marginals.gains[others]
    else:
        gains = np.array([objective_value(problem, objective, [*chosen, a]) - current for a in others])
    costs = problem.cost[others]
    bound, room = current, float(budget)
    free = costs <= 0
    bound += float(gains[free].clip(min=0).sum())
    order = np.argsort(-(gains[~free] / costs[~free]))
    for gain, cost in zip(gains[~free][order], costs[~free][order], strict=True):
        if gain <= 0 or room <= 0:
            break
        take = min(1.0, room / cost)
        bound += take * gain
        room -= take * cost
    return float(bound)
