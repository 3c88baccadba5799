"""Plots are pure functions: they return Axes or Figures and survive edge cases."""

import pandas as pd

from iqmstats import plots


def test_power_curves_at_power_zero_and_one():
    """Wilson bounds can land a rounding error inside the estimate at power 0 or 1."""
    power = pd.DataFrame(
        {
            "test": ["hotelling"] * 3,
            "n": [50, 100, 200],
            "delta": [0.2] * 3,
            "power": [0.0, 0.5, 1.0],
            "ci_lower": [0.0, 0.45, 0.9963],
            "ci_upper": [0.0037, 0.55, 0.9999999999999999],
        }
    )
    ax = plots.power_curves(power, target=0.8)
    assert ax.get_ylabel() == "power" and len(ax.lines) >= 2


def test_power_curves_draw_tost_only_where_its_rate_is_power():
    """At a true shift equal to the margin TOST's rate is its type-I error: not a power curve."""
    rows = [
        (test, n, delta, 0.1 * n / 10 + delta / 10)
        for test in ("hotelling", "TOST: all (Holm)")
        for n in (10, 20)
        for delta in (0.0, 0.5)
    ]
    power = pd.DataFrame(rows, columns=["test", "n", "delta", "power"]).assign(
        ci_lower=lambda f: f["power"] - 0.01, ci_upper=lambda f: f["power"] + 0.01
    )
    ax = plots.power_curves(power, tests=["hotelling", "TOST: all (Holm)"], margin=0.5)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["TOST: all (Holm), delta 0", "hotelling, delta 0.5"]
    assert list(ax.get_xticks()) == [10, 20]  # the planned n, never 12.5 pairs
