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
