"""Power by simulation: calibrated at delta = 0, monotone, and equal to the closed form for one IQM."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.power import TTestPower

from iqmstats.errors import InsufficientDataError
from iqmstats.stats.power import simulate_power, smallest_n
from iqmstats.stats.preprocess import prepare_iqms


@pytest.fixture(scope="module")
def reference(ixi_paired):
    prepared = prepare_iqms(ixi_paired, modality="T1w").paired
    return prepared.values[:, 0], prepared.values[:, 0] - prepared.values[:, 1], prepared.iqms


def test_type_i_error_is_alpha_for_every_test_on_real_iqms(reference):
    values, _, names = reference
    table = simulate_power(values, n_values=[200], deltas=[0.0], names=names, simulations=4000, seed=7)
    single_tests = table[table.test != "any IQM (Holm)"]
    assert len(single_tests) == 1 + 53
    # 54 checks at once: a Monte-Carlo tolerance of 3.7 SE keeps the chance of a false alarm at 1%
    # (summary_bg_stdv, kurtosis 40, sits near 0.045: its t-test is slightly conservative)
    tolerance = 3.7 * np.sqrt(0.05 * 0.95 / 4000)
    assert (single_tests["power"] - 0.05).abs().max() < tolerance, single_tests.sort_values("power").iloc[[0, -1]]
    holm = table[table.test == "any IQM (Holm)"].iloc[0]
    assert holm.power <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 4000)  # family-wise error controlled


def test_power_grows_with_n_and_delta(reference):
    values, _, names = reference
    table = simulate_power(
        values, n_values=[60, 120, 240], deltas=[0.05, 0.1, 0.2], names=names, simulations=300, shifted=["cjv"], seed=1
    )
    grid = table[table.test == "t: cjv"].pivot(index="n", columns="delta", values="power")
    assert (np.diff(grid.to_numpy(), axis=0) >= -0.03).all() and (np.diff(grid.to_numpy(), axis=1) >= -0.03).all()
    assert grid.iloc[0, 0] < 0.5 < grid.iloc[-1, -1]
    unshifted = table[(table.test == "t: efc")]["power"]
    assert unshifted.max() < 0.1  # only cjv was moved


def test_single_iqm_agrees_with_the_closed_form():
    rng = np.random.default_rng(3)
    population = rng.normal(size=(50_000, 1))
    rho, n, delta = 0.6, 40, 0.4
    table = simulate_power(population, n_values=[n], deltas=[delta], simulations=4000, within_correlation=rho, seed=11)
    simulated = table[table.test == "t: iqm0"].iloc[0].power
    dz = delta / np.sqrt(2 * (1 - rho))  # shift of delta SDs; differences have SD sqrt(2 (1 - rho))
    expected = TTestPower().power(effect_size=dz, nobs=n, alpha=0.05, alternative="two-sided")
    assert abs(simulated - expected) < 3 * np.sqrt(expected * (1 - expected) / 4000)


def test_paired_pilot_differences_and_multiplicative_effects(reference):
    values, differences, names = reference
    table = simulate_power(
        values,
        n_values=[150],
        deltas=[0.0, 0.01],
        names=names,
        differences=differences,
        multiplicative=True,
        shifted=["efc"],
        simulations=300,
    )
    efc = table[table.test == "t: efc"].set_index("delta")["power"]
    assert efc.loc[0.01] > 0.9 > efc.loc[0.0]
    assert set(table.loc[table.delta == 0, "type_i"]) <= {"calibrated", "conservative", "liberal"}


def test_smallest_n_and_refusals(reference):
    values, _, names = reference
    table = simulate_power(values, n_values=[60, 240], deltas=[0.0, 0.3], names=names, shifted=["cjv"], simulations=200)
    found = smallest_n(table, target=0.8).set_index(["test", "delta"])
    assert found.loc[("t: cjv", 0.3), "smallest_n"] in (60, 240)
    assert pd.isna(found.loc[("t: efc", 0.3), "smallest_n"])
    small = simulate_power(values, n_values=[40], deltas=[0.0], names=names, simulations=20).set_index("test")
    assert small.loc["hotelling", "type_i"] == "not testable: n = 40 pairs for 53 measures (needs n > 53)"
    assert np.isnan(small.loc["hotelling", "power"]) and small.loc["t: cjv", "power"] >= 0
    with pytest.raises(InsufficientDataError, match="n = 800 exceeds the 579 participants of the reference"):
        simulate_power(values, n_values=[100, 800], deltas=[0.0], names=names, simulations=20)


def test_rating_power_agrees_with_the_closed_form():
    """Balanced design, random intercepts: the participant and rater effects cancel in the
    condition contrast, Var(bias estimate) = 2 sigma^2 / (n r), and the LRT is asymptotically
    noncentral chi-square(1, lambda = bias^2 n r / (2 sigma^2))."""
    from scipy import stats

    from iqmstats.stats.power import simulate_rating_power

    variances = {"participant": 0.145, "rater": 0.05, "residual": 0.114}  # the IXI pilot's (lme4)
    n, raters, bias, simulations = 24, 3, 0.12, 120
    table = simulate_rating_power(
        variances, n_values=[n], biases=[0.0, bias], raters=raters, simulations=simulations, seed=2, jobs=2
    ).set_index("delta")
    null = table.loc[0.0].power
    assert abs(null - 0.05) < 3 * np.sqrt(0.05 * 0.95 / simulations)  # type-I error (few simulations: a loose check)
    simulated = table.loc[bias].power
    noncentrality = bias**2 * n * raters / (2 * variances["residual"])
    expected = stats.ncx2.sf(stats.chi2.ppf(0.95, 1), 1, noncentrality)
    assert abs(simulated - expected) < 3 * np.sqrt(expected * (1 - expected) / simulations) + 0.02
    assert set(table["test"]) == {"ratings LME (LRT)"}
