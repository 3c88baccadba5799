"""Per-IQM tests against R (tests/stats/reference/reference.R), closed forms and invariants."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from iqmstats.errors import InsufficientDataError
from iqmstats.stats.preprocess import prepare_iqms
from iqmstats.stats.univariate import PER_IQM_COLUMNS, per_iqm_tests

REFERENCE = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def study_result(ixi_paired):
    prepared = prepare_iqms(ixi_paired, modality="T1w").paired
    return per_iqm_tests(prepared.condition("original"), prepared.condition("defaced"), bootstrap=2000)


def test_every_number_agrees_with_r(study_result):
    r = pd.read_csv(REFERENCE / "per_iqm.csv")
    ours = study_result.set_index("iqm").loc[r["iqm"]]
    assert len(r) == 53
    for column in ("bias", "sd_diff", "ci_lower", "ci_upper", "t"):
        np.testing.assert_allclose(ours[column], r[column], rtol=1e-9, atol=1e-300, err_msg=column)
    # R's pt(ncp=) is only approximate beyond |ncp| = 37.62 (?pt); compare there with the integral below
    accurate = (r["t"].abs() < 30).to_numpy()
    assert accurate.sum() == 52
    for column in ("dz_ci_lower", "dz_ci_upper"):
        np.testing.assert_allclose(ours[column][accurate], r[column][accurate], rtol=1e-8, err_msg=column)
    np.testing.assert_array_equal(ours["w"], r["w"])
    for column in ("p_t", "p_w", "p_t_holm", "p_t_fdr", "p_w_holm", "p_w_fdr"):
        np.testing.assert_allclose(ours[column], r[column], rtol=1e-6, atol=1e-300, err_msg=column)


def _nct_cdf_by_integration(t, df, ncp):
    """P(T <= t) for T = (Z + ncp) / sqrt(V / df): the defining integral over V ~ chi2(df)."""
    integrand = lambda v: stats.norm.cdf(t * np.sqrt(v / df) - ncp) * stats.chi2.pdf(v, df)  # noqa: E731
    low, high = stats.chi2.ppf([1e-15, 1 - 1e-15], df)
    return integrate.quad(integrand, low, high, limit=400, epsabs=1e-14)[0]


def test_dz_interval_where_r_is_approximate(study_result):
    efc = study_result.set_index("iqm").loc["efc"]  # t = -61: beyond R's accurate range
    n = efc.n
    assert _nct_cdf_by_integration(efc.t, n - 1, efc.dz_ci_lower * np.sqrt(n)) == pytest.approx(0.975, abs=1e-8)
    assert _nct_cdf_by_integration(efc.t, n - 1, efc.dz_ci_upper * np.sqrt(n)) == pytest.approx(0.025, abs=1e-8)


def test_closed_forms_on_a_hand_sized_example():
    a = pd.DataFrame({"x": [10.0, 12.0, 9.0, 11.0, 14.0]})
    b = pd.DataFrame({"x": [9.0, 12.5, 7.0, 10.0, 11.0]})
    row = per_iqm_tests(a, b, bootstrap=0).iloc[0]
    d = np.array([1.0, -0.5, 2.0, 1.0, 3.0])  # by hand
    assert row.bias == pytest.approx(1.3) and row.sd_diff == pytest.approx(np.sqrt(np.sum((d - 1.3) ** 2) / 4))
    assert row.loa_upper - row.loa_lower == pytest.approx(2 * 1.96 * row.sd_diff)
    assert row.t == pytest.approx(1.3 / (row.sd_diff / np.sqrt(5)))
    assert row.w == 14.0  # |d| ranks 2.5, 1, 4, 2.5, 5; positive: 2.5 + 4 + 2.5 + 5
    assert row.rank_biserial == pytest.approx((14 - 1) / 15)
    assert row.dz == pytest.approx(row.bias / row.sd_diff)
    sd_av = np.sqrt((a.x.var() + b.x.var()) / 2)
    assert row.g_av == pytest.approx(1.3 / sd_av * (1 - 3 / 15))
    assert np.isnan(row.ci_lower_boot)


def test_bootstrap_agrees_with_scipy_within_monte_carlo_error(ixi_paired):
    d = ixi_paired.differences()["cnr"].to_numpy()
    ours = per_iqm_tests(
        ixi_paired.condition("original")[["cnr"]], ixi_paired.condition("defaced")[["cnr"]], bootstrap=20_000, seed=1
    ).iloc[0]
    scipy_ci = stats.bootstrap(
        (d,), np.mean, n_resamples=20_000, method="percentile", rng=np.random.default_rng(2)
    ).confidence_interval
    se = d.std(ddof=1) / np.sqrt(len(d))
    assert abs(ours.ci_lower_boot - scipy_ci.low) < 0.05 * se
    assert abs(ours.ci_upper_boot - scipy_ci.high) < 0.05 * se


def test_swapping_conditions_flips_signs_and_keeps_p(study_result, ixi_paired):
    prepared = prepare_iqms(ixi_paired, modality="T1w").paired
    swapped = per_iqm_tests(prepared.condition("defaced"), prepared.condition("original"), bootstrap=2000)
    for column in ("bias", "t", "dz", "g_av", "rank_biserial"):
        np.testing.assert_allclose(swapped[column], -study_result[column], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(swapped["dz_ci_lower"], -study_result["dz_ci_upper"], rtol=1e-8)
    for column in ("p_t", "p_w", "p_t_holm", "p_w_fdr"):
        np.testing.assert_allclose(swapped[column], study_result[column], rtol=1e-12)


def test_schema_and_refusals():
    a = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    b = pd.DataFrame({"x": [1.5, 2.1, 3.3, 4.2]})
    assert list(per_iqm_tests(a, b, bootstrap=10).columns) == PER_IQM_COLUMNS
    with pytest.raises(InsufficientDataError, match="x: the same difference for every participant"):
        per_iqm_tests(a, a + 0.5)
    with pytest.raises(InsufficientDataError, match="x: fewer than 2 pairs"):
        per_iqm_tests(a.iloc[:1], b.iloc[:1])


def test_each_measure_uses_every_pair_that_has_it():
    """A value missing in one image costs that measure one pair, nothing else: the row of a
    measure with a gap equals the test on its complete pairs alone."""
    rng = np.random.default_rng(3)
    a = pd.DataFrame(rng.normal(size=(12, 2)), columns=["x", "y"])
    b = a + rng.normal(0.3, 1.0, size=(12, 2))
    gappy = a.assign(y=a.y.where(np.arange(12) != 4))
    both = per_iqm_tests(gappy, b, bootstrap=0).set_index("iqm")
    alone = per_iqm_tests(gappy[["y"]].drop(index=4), b[["y"]].drop(index=4), bootstrap=0).set_index("iqm")
    assert both.loc["x", "n"] == 12 and both.loc["y", "n"] == 11
    for column in ("bias", "sd_diff", "t", "p_t", "w", "p_w", "dz", "dz_ci_lower"):
        assert both.loc["y", column] == pytest.approx(alone.loc["y", column], rel=1e-12)
    assert both.loc["x", "p_t"] == pytest.approx(per_iqm_tests(a[["x"]], b[["x"]], bootstrap=0).p_t.item(), rel=1e-12)
