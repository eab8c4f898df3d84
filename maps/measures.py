"""What the map can colour localities by, and how values fall into legend classes (no ORM here)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_CLASSES = 7
DATA_CLASSES = 5
NO_DATA_COLOUR = "#d9d9d9"


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    field: str  # LocalityResult field; per-option measures index its array by the option
    per_option: bool = False
    counts: bool = True  # menu and provider counts get integer classes, others data breaks
    higher_is_better: bool = True
    no_data_label: str = "No data"
    digits: int = 2

    def describe(self) -> dict:
        return {"key": self.key, "label": self.label, "per_option": self.per_option}


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in [
        Measure("expected_menu", "Expected menu (car share weighted)", "expected_menu"),
        Measure("menu_without_car", "Menu without a car", "menu_without_car", digits=0),
        Measure("menu_with_car", "Menu with a car", "menu_with_car", digits=0),
        Measure("real_choice_without_car", "Real choice without a car (options)", "real_choice_without_car", digits=0),
        Measure("real_choice_with_car", "Real choice with a car (options)", "real_choice_with_car", digits=0),
        Measure(
            "providers_without_car",
            "Providers reachable without a car",
            "providers_without_car",
            per_option=True,
            digits=0,
        ),
        Measure(
            "providers_with_car", "Providers reachable with a car", "providers_with_car", per_option=True, digits=0
        ),
        Measure(
            "nearest_walk_minutes",
            "Nearest site on foot (minutes)",
            "nearest_walk_minutes",
            per_option=True,
            counts=False,
            higher_is_better=False,
            no_data_label="None within the walking limit",
            digits=1,
        ),
        Measure(
            "nearest_pt_minutes",
            "Nearest site by public transport (minutes)",
            "nearest_pt_minutes",
            per_option=True,
            counts=False,
            higher_is_better=False,
            no_data_label="None within the public transport limit",
            digits=1,
        ),
        Measure(
            "nearest_car_minutes",
            "Nearest site by car (minutes)",
            "nearest_car_minutes",
            per_option=True,
            counts=False,
            higher_is_better=False,
            no_data_label="None within the driving limit",
            digits=1,
        ),
        Measure(
            "access_without_car",
            "Places per 1,000 people, without a car (2SFCA)",
            "access_without_car",
            per_option=True,
            counts=False,
        ),
        Measure(
            "access_with_car",
            "Places per 1,000 people, with a car (2SFCA)",
            "access_with_car",
            per_option=True,
            counts=False,
        ),
    ]
}
DEFAULT_MEASURE = "expected_menu"
# Measures whose top class is "the whole menu" (their maximum is the number of options).
MENU_MEASURES = {
    "expected_menu",
    "menu_without_car",
    "menu_with_car",
    "real_choice_without_car",
    "real_choice_with_car",
}

# Viridis (colour-blind safe, prints in grey), 10 evenly spaced stops from dark to light.
VIRIDIS = ["#440154", "#482878", "#3e4a89", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6dcd59", "#b4de2c", "#fde725"]


def sequential_palette(n: int) -> list[str]:
    """n colours spread along viridis, dark first."""
    if n <= 1:
        return [VIRIDIS[-1]][:n]
    stops = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in VIRIDIS], dtype=float)
    positions = np.linspace(0, len(VIRIDIS) - 1, n)
    colours = []
    for position in positions:
        low = int(math.floor(position))
        high = min(low + 1, len(VIRIDIS) - 1)
        rgb = stops[low] + (stops[high] - stops[low]) * (position - low)
        colours.append("#" + "".join(f"{int(round(v)):02x}" for v in rgb))
    return colours


def _format(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}" if digits else f"{int(value):,}"


def _integer_lowers(top: int) -> list[int]:
    """Lower bounds of integer classes covering 0..top, at most MAX_CLASSES of them, top alone."""
    if top + 1 <= MAX_CLASSES:
        return list(range(top + 1))
    step = math.ceil(top / (MAX_CLASSES - 1))
    return sorted(set(range(0, top, step)) | {top})


def _quantile_lowers(values: np.ndarray, digits: int) -> list[float]:
    qs = np.quantile(values, np.linspace(0, 1, DATA_CLASSES + 1)[:-1])
    rounded = np.floor(qs * 10**digits) / 10**digits  # round down so the minimum falls in class 1
    return sorted(set(float(v) for v in rounded))


def legend_classes(measure: Measure, values: list[float | None], *, n_options: int) -> dict:
    """Classes as lower bounds (a value is in the last class whose lower bound it reaches).

    Menu counts get integer classes up to the full menu, which always has a class of its own;
    provider counts integer classes up to the largest seen; times and 2SFCA quantile breaks.
    """
    known = np.array([v for v in values if v is not None], dtype=float)
    if measure.key in MENU_MEASURES:
        lowers: list[float] = list(_integer_lowers(n_options))
        kind = "integer"
    elif measure.counts:
        lowers = list(_integer_lowers(int(known.max()) if known.size else 0))
        kind = "integer"
    else:
        lowers = _quantile_lowers(known, measure.digits) if known.size else []
        kind = "quantile"
    colours = sequential_palette(len(lowers))
    if not measure.higher_is_better:
        colours.reverse()  # light (yellow) always means better served
    classes = []
    for i, lower in enumerate(lowers):
        upper = lowers[i + 1] if i + 1 < len(lowers) else None
        if kind == "integer":
            if upper is None or upper - lower == 1:
                label = _format(lower, 0)
            else:
                label = f"{_format(lower, 0)}–{_format(upper - 1, 0)}"
            if measure.key == "expected_menu" and upper is not None:
                label = f"{_format(lower, 0)} to under {_format(upper, 0)}"
        else:
            label = (
                f"{_format(lower, measure.digits)} or more"
                if upper is None
                else f"{_format(lower, measure.digits)} to under {_format(upper, measure.digits)}"
            )
        if measure.key in MENU_MEASURES and upper is None:
            label += " (the whole menu)"
        classes.append({"min": lower, "label": label, "colour": colours[i]})
    return {"kind": kind, "classes": classes, "no_data": {"label": measure.no_data_label, "colour": NO_DATA_COLOUR}}


# ---- the unmet-preference layer ----------------------------------------------------------------

# ColorBrewer OrRd's darker half (colour-blind safe): the layer's hatching, apart from viridis fills.
UNMET_PALETTE = ["#fc8d59", "#ef6548", "#d7301f", "#990000"]
UNMET_ZERO_COLOUR = "#fdbb84"


def protected_count_classes(values: list[int | None]) -> dict:
    """Legend classes for disclosure-controlled counts (None = suppressed, never a class of its own here).

    0 has a class of its own; the counts shown above it get a class each when there are at most four of
    them, else four quantile classes whose lower bounds are counts that occur; each is labelled by the
    smallest and largest count in it.
    """
    shown = np.array(sorted(v for v in values if v), dtype=float)
    classes = [{"min": 0, "label": "0", "colour": UNMET_ZERO_COLOUR}]
    if shown.size:
        lowers = sorted({int(v) for v in shown})
        if len(lowers) > len(UNMET_PALETTE):
            quantiles = np.quantile(shown, np.linspace(0, 1, len(UNMET_PALETTE) + 1)[:-1])
            lowers = sorted({int(shown[shown <= q].max()) for q in quantiles})
        colours = UNMET_PALETTE[len(UNMET_PALETTE) - len(lowers) :]  # the darkest for the largest counts
        for i, lower in enumerate(lowers):
            upper = lowers[i + 1] if i + 1 < len(lowers) else math.inf
            inside = shown[(shown >= lower) & (shown < upper)]
            top = int(inside.max())
            label = _format(lower, 0) if top == lower else f"{_format(lower, 0)}–{_format(top, 0)}"
            classes.append({"min": lower, "label": label, "colour": colours[i]})
    return {"kind": "count", "classes": classes}


# ---- the difference view (scenario minus base) ---------------------------------------------------

# ColorBrewer PuOr (colour-blind safe), by number of classes: orange for losses, purple for gains and
# the neutral middle for no change.
PUOR = {
    1: ["#f7f7f7"],
    3: ["#f1a340", "#f7f7f7", "#998ec3"],
    5: ["#e66101", "#fdb863", "#f7f7f7", "#b2abd2", "#5e3c99"],
    7: ["#b35806", "#f1a340", "#fee0b6", "#f7f7f7", "#d8daeb", "#998ec3", "#542788"],
    9: ["#b35806", "#e08214", "#fdb863", "#fee0b6", "#f7f7f7", "#d8daeb", "#b2abd2", "#8073ac", "#542788"],
}
MAX_STEPS = {"integer": 4, "fraction": 3}  # classes each side of "no change"
DIFFERENCE_DIGITS = 4
DIFFERENCE_UNAVAILABLE = (
    "Times and places per 1,000 people have no value where nothing is in reach, so a difference would hide "
    "the localities that gain or lose an option altogether: compare them in the base and scenario views."
)


def difference_available(measure: Measure) -> bool:
    """Counts (of options or providers) difference meaningfully; times and 2SFCA do not (see above)."""
    return measure.counts


def _unit(measure: Measure, amount: float) -> str:
    noun = "provider" if measure.per_option else "option"
    return noun if amount == 1 else f"{noun}s"


def _loss_or_gain(measure: Measure, step: int, *, fractional: bool, open_ended: bool) -> str:
    """The words for the class `step` places from "no change" (negative: losses)."""
    verb, size = ("gains" if step > 0 else "loses"), abs(step)
    if fractional:  # class `size` holds changes of size-1 to under size whole options
        if open_ended:
            return f"{verb} {size - 1} or more {_unit(measure, 2)}"
        if size == 1:
            return f"{verb} less than 1 {_unit(measure, 1)}"
        return f"{verb} {size - 1} to under {size} {_unit(measure, 2)}"
    return f"{verb} {size}{' or more' if open_ended else ''} {_unit(measure, size if not open_ended else 2)}"


def difference_classes(measure: Measure, differences: list[float | None]) -> tuple[dict, list[int | None]]:
    """A diverging legend centred on zero for scenario-minus-base values, and each value's class index.

    Zero ("no change") is a class of its own; the classes either side are symmetric and as many as the
    largest change needs, up to MAX_STEPS (then the outermost is open: "loses 4 or more options").
    Whole-number measures get a class per count; the expected menu (a fraction) a class per whole option.
    """
    fractional = measure.digits > 0
    kind = "fraction" if fractional else "integer"
    largest = max((abs(d) for d in differences if d is not None), default=0.0)
    needed = (int(math.floor(largest)) + 1 if fractional else int(round(largest))) if largest else 0
    steps = min(needed, MAX_STEPS[kind])
    open_ended = needed > steps

    def step_of(difference: float) -> int:
        if difference == 0:
            return 0
        size = int(math.floor(abs(difference))) + 1 if fractional else int(round(abs(difference)))
        return int(math.copysign(min(size, steps), difference))

    signed_steps = [*range(-steps, 0), 0, *range(1, steps + 1)]
    classes = [
        {
            "step": step,
            "label": "no change"
            if step == 0
            else _loss_or_gain(measure, step, fractional=fractional, open_ended=open_ended and abs(step) == steps),
            "colour": colour,
        }
        for step, colour in zip(signed_steps, PUOR[2 * steps + 1], strict=True)
    ]
    index_of_step = {step: i for i, step in enumerate(signed_steps)}
    indices = [None if d is None else index_of_step[step_of(d)] for d in differences]
    no_data = {"label": "Not in both runs", "colour": NO_DATA_COLOUR}
    legend = {"kind": "diverging", "classes": classes, "no_data": no_data}
    return legend, indices
