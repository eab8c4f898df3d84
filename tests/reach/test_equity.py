"""Equity figures and scenario comparison against a naive oracle that expands localities into people."""

import itertools

import numpy as np
import pytest

from reach.equity import LocalityFigures, compare_figures, equity_figures

CLASSES = ["A1", "C1", "C2", "D1", "E1", "E2", ""]


def random_figures(rng, n: int, n_options: int = 4) -> LocalityFigures:
    without = rng.integers(0, n_options + 1, n)
    with_car = np.minimum(n_options, without + rng.integers(0, 3, n))
    car = rng.choice([0.0, 0.3, 0.77, 1.0], n)
    return LocalityFigures(
        codes=[f"L{i}" for i in range(n)],
        population=rng.integers(0, 6, n).astype(float),
        car_share=car,
        menu_without_car=without,
        menu_with_car=with_car,
        expected_menu=car * with_car + (1 - car) * without,
        real_choice_without_car=rng.integers(0, without + 1),
        rurality=np.array(rng.choice(CLASSES, n), dtype=object),
        imd_decile=rng.integers(0, 11, n),
        n_options=n_options,
    )


def naive_equity(f: LocalityFigures) -> dict:
    """One list entry per person; every figure straight from its definition."""
    people = [i for i, p in enumerate(f.population) for _ in range(int(p))]
    values = [f.expected_menu[i] for i in people]

    def mean(members):
        chosen = [f.expected_menu[i] for i in people if members(i)]
        return sum(chosen) / len(chosen) if chosen else None

    mu = sum(values) / len(values)
    pair_sum = sum(abs(a - b) for a, b in itertools.product(values, values))
    rural = mean(lambda i: f.rurality[i] in {"D1", "D2", "E1", "E2"})
    urban = mean(lambda i: f.rurality[i] in {"A1", "B1", "C1", "C2"})
    most = mean(lambda i: f.imd_decile[i] in (1, 2))
    least = mean(lambda i: f.imd_decile[i] in (9, 10))
    return {
        "population": float(len(people)),
        "mean_expected_menu": mu,
        "gini_expected_menu": 0.0 if mu == 0 else pair_sum / (2 * len(values) ** 2 * mu),
        "full_menu_share_without_car": sum(f.menu_without_car[i] == f.n_options for i in people) / len(people),
        "rural_expected_menu": rural,
        "urban_expected_menu": urban,
        "urban_minus_rural": None if rural is None or urban is None else urban - rural,
        "most_deprived_fifth_expected_menu": most,
        "least_deprived_fifth_expected_menu": least,
        "least_minus_most_deprived": None if most is None or least is None else least - most,
    }


def assert_same(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        if value is None:
            assert got[key] is None, key
        else:
            assert got[key] == pytest.approx(value, abs=1e-12), key


@pytest.mark.parametrize("seed", range(25))
def test_equity_figures_match_the_person_level_oracle(seed):
    rng = np.random.default_rng(seed)
    figures = random_figures(rng, int(rng.integers(1, 12)))
    if figures.population.sum() == 0:
        figures.population[0] = 3
    assert_same(equity_figures(figures), naive_equity(figures))


@pytest.mark.parametrize("seed", range(10))
def test_compare_counts_people_who_gain_and_lose_like_the_oracle(seed):
    rng = np.random.default_rng(100 + seed)
    before = random_figures(rng, 9)
    after = random_figures(rng, 9)
    after.population = before.population.copy()
    comparison = compare_figures(before=before, after=after)
    # the same expected menu reached by two sums differs in the last bits: that is no change
    gaining = sum(
        p
        for p, b, a in zip(after.population, before.expected_menu, after.expected_menu, strict=True)
        if round(a - b, 9) > 0
    )
    losing = sum(
        p
        for p, b, a in zip(after.population, before.expected_menu, after.expected_menu, strict=True)
        if round(a - b, 9) < 0
    )
    assert comparison["people_gaining"] == gaining and comparison["people_losing"] == losing
    for row, i in zip(comparison["localities"], range(9), strict=True):
        assert row["menu_with_car_change"] == after.menu_with_car[i] - before.menu_with_car[i]
        assert row["expected_menu_change"] == pytest.approx(after.expected_menu[i] - before.expected_menu[i])
    if before.population.sum():
        assert_same(comparison["equity_before"], naive_equity(before))


def test_a_hand_computed_case():
    # town 3,000 people urban decile 2 with 2 options; village 1,000 rural decile 9 with 1 of 2
    figures = LocalityFigures(
        codes=["TOWN", "VILL"],
        population=np.array([3000.0, 1000.0]),
        car_share=np.array([0.5, 0.5]),
        menu_without_car=np.array([2, 1]),
        menu_with_car=np.array([2, 1]),
        expected_menu=np.array([2.0, 1.0]),
        real_choice_without_car=np.array([0, 0]),
        rurality=np.array(["C1", "E1"], dtype=object),
        imd_decile=np.array([2, 9]),
        n_options=2,
    )
    got = equity_figures(figures)
    assert got["mean_expected_menu"] == pytest.approx(1.75)
    assert got["full_menu_share_without_car"] == pytest.approx(0.75)
    assert got["urban_minus_rural"] == pytest.approx(1.0)
    assert got["least_minus_most_deprived"] == pytest.approx(-1.0)
    # pairs differing: 2 × 3000 × 1000 × |2 − 1| over 2 × 4000² × 1.75
    assert got["gini_expected_menu"] == pytest.approx(6e6 / (2 * 16e6 * 1.75))


def test_compare_refuses_localities_in_another_order():
    rng = np.random.default_rng(1)
    before, after = random_figures(rng, 3), random_figures(rng, 3)
    after.codes = after.codes[::-1]
    with pytest.raises(ValueError, match="same localities"):
        compare_figures(before=before, after=after)
