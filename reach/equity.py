"""Equity figures of one set of locality results, and a scenario against its base (pure numpy).

No Django: the scenario selectors load two runs' locality figures and call `compare_figures`.
All figures are population-weighted. Rural means ONS 2011 classes D1–E2, urban A1–C2; the most
deprived fifth is IMD deciles 1–2 and the least deprived fifth deciles 9–10 (0 = unknown, left out).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reach.engine import weighted_gini

RURAL_CLASS_PREFIXES = ("D", "E")
URBAN_CLASS_PREFIXES = ("A", "B", "C")
MOST_DEPRIVED_DECILES = (1, 2)
LEAST_DEPRIVED_DECILES = (9, 10)
_EPS = 1e-9  # expected menus are float sums of shares: smaller moves are rounding, not change


@dataclass
class LocalityFigures:
    """One run's per-locality figures, in one order (the same order in both sides of a comparison)."""

    codes: list[str]
    population: np.ndarray
    car_share: np.ndarray
    menu_without_car: np.ndarray
    menu_with_car: np.ndarray
    expected_menu: np.ndarray
    real_choice_without_car: np.ndarray
    rurality: np.ndarray
    imd_decile: np.ndarray
    n_options: int


def _mean(values: np.ndarray, weights: np.ndarray, members: np.ndarray) -> float | None:
    total = float(weights[members].sum())
    return float((values[members] * weights[members]).sum() / total) if total > 0 else None


def _gap(high: float | None, low: float | None) -> float | None:
    return None if high is None or low is None else high - low


def equity_figures(figures: LocalityFigures) -> dict:
    """Gini of expected menu, full-menu share without a car, rural vs urban and most vs least
    deprived fifth (mean expected menu of each and the gap: urban − rural, least − most deprived)."""
    pop = np.asarray(figures.population, dtype=np.float64)
    expected = np.asarray(figures.expected_menu, dtype=np.float64)
    classes = [str(c or "") for c in figures.rurality]
    rural = np.array([c.startswith(RURAL_CLASS_PREFIXES) for c in classes], dtype=bool)
    urban = np.array([c.startswith(URBAN_CLASS_PREFIXES) for c in classes], dtype=bool)
    decile = np.asarray(figures.imd_decile, dtype=np.int64)
    most = np.isin(decile, MOST_DEPRIVED_DECILES)
    least = np.isin(decile, LEAST_DEPRIVED_DECILES)
    everyone = np.ones(pop.size, dtype=bool)
    full = np.asarray(figures.menu_without_car) >= figures.n_options if figures.n_options else np.zeros(pop.size, bool)
    rural_mean, urban_mean = _mean(expected, pop, rural), _mean(expected, pop, urban)
    most_mean, least_mean = _mean(expected, pop, most), _mean(expected, pop, least)
    return {
        "population": float(pop.sum()),
        "mean_expected_menu": _mean(expected, pop, everyone),
        "gini_expected_menu": weighted_gini(expected, pop),
        "full_menu_share_without_car": _mean(full.astype(np.float64), pop, everyone),
        "rural_expected_menu": rural_mean,
        "urban_expected_menu": urban_mean,
        "urban_minus_rural": _gap(urban_mean, rural_mean),
        "most_deprived_fifth_expected_menu": most_mean,
        "least_deprived_fifth_expected_menu": least_mean,
        "least_minus_most_deprived": _gap(least_mean, most_mean),
    }


def compare_figures(*, before: LocalityFigures, after: LocalityFigures) -> dict:
    """Per locality change (menu without/with car, expected menu, real choice without car), the people
    in localities whose expected menu rises or falls, and the equity figures before and after.

    Both sides must list the same localities in the same order; the people counted are the after side's.
    """
    if list(before.codes) != list(after.codes):
        raise ValueError("before and after must list the same localities in the same order")
    pop = np.asarray(after.population, dtype=np.float64)
    delta = {
        name: np.asarray(getattr(after, name)) - np.asarray(getattr(before, name))
        for name in ("menu_without_car", "menu_with_car", "expected_menu", "real_choice_without_car")
    }
    gains = delta["expected_menu"] > _EPS
    losses = delta["expected_menu"] < -_EPS
    localities = [
        {
            "locality_code": code,
            "population": float(pop[i]),
            **{f"{name}_before": _plain(getattr(before, name)[i]) for name in delta},
            **{f"{name}_after": _plain(getattr(after, name)[i]) for name in delta},
            **{f"{name}_change": _plain(values[i]) for name, values in delta.items()},
        }
        for i, code in enumerate(after.codes)
    ]
    return {
        "people_gaining": float(pop[gains].sum()),
        "people_losing": float(pop[losses].sum()),
        "localities_gaining": [after.codes[i] for i in np.flatnonzero(gains)],
        "localities_losing": [after.codes[i] for i in np.flatnonzero(losses)],
        "equity_before": equity_figures(before),
        "equity_after": equity_figures(after),
        "localities": localities,
    }


def _plain(value) -> float | int:
    return value.item() if hasattr(value, "item") else value
