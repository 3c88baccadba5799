"""The distribution functions from scipy.special, and the pieces written here, against scipy.stats
and statsmodels (the oracles the package does not import at run time)."""

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from iqmstats.stats.distributions import (
    binomial_two_sided,
    chi2_sf,
    f_sf,
    noncentrality_interval,
    signed_rank_p,
    t_quantile,
    t_sf,
    t_two_sided,
)
from iqmstats.stats.univariate import adjust, wilcoxon_p


def test_library_distributions_agree_with_scipy_stats():
    x = np.array([-40.0, -3.0, 0.0, 0.7, 2.5, 12.0])
    for df in (1, 4, 30, 578):
        np.testing.assert_allclose(t_sf(x, df), stats.t.sf(x, df), rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(t_two_sided(x, df), 2 * stats.t.sf(np.abs(x), df), rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(t_quantile(0.95, df), stats.t.ppf(0.95, df), rtol=1e-12)
    f = np.array([0.0, 0.5, 3.0, 113.43])
    np.testing.assert_allclose(f_sf(f, 53, 526), stats.f.sf(f, 53, 526), rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(chi2_sf(f, 3), stats.chi2.sf(f, 3), rtol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 5, 13, 30, 49])
def test_exact_signed_rank_distribution_matches_scipy(n):
    rng = np.random.default_rng(n)
    for _ in range(20):
        d = rng.permutation(np.arange(1, n + 1)) * rng.choice([-1.0, 1.0], size=n) + rng.normal(0, 0.01, n)
        ranks = stats.rankdata(np.abs(d))
        expected = stats.wilcoxon(d, method="exact").pvalue
        assert signed_rank_p(ranks[d > 0].sum(), n) == pytest.approx(expected, rel=1e-12)
        assert wilcoxon_p(d) == pytest.approx(expected, rel=1e-12)


def test_normal_approximation_with_ties_and_zeros_matches_scipy():
    rng = np.random.default_rng(1)
    for n in (10, 60, 300):
        d = np.round(rng.normal(0.2, 1, n), 1)  # ties, and some zeros
        d[:3] = 0.0
        expected = stats.wilcoxon(d, method="approx", correction=True, zero_method="wilcox").pvalue
        assert wilcoxon_p(d) == pytest.approx(expected, rel=1e-10)


def test_binomial_two_sided_is_mcnemars_exact_test():
    for k, n in [(0, 0), (0, 5), (1, 9), (7, 7), (30, 70), (3, 12)]:
        expected = stats.binomtest(k, n, 0.5).pvalue if n else 1.0
        assert binomial_two_sided(k, n) == pytest.approx(expected, rel=1e-12)


def test_noncentrality_interval_inverts_the_noncentral_t():
    t = np.array([0.0, 1.2, -3.0, 8.0, -60.0, 105.0])
    df = np.array([5, 10, 30, 100, 578, 578])
    lower, upper = noncentrality_interval(t, df, 0.95)
    np.testing.assert_allclose(stats.nct.cdf(t, df, lower), 0.975, atol=1e-9)
    np.testing.assert_allclose(stats.nct.sf(t, df, upper), 0.975, atol=1e-9)
    assert np.all(lower < t) and np.all(upper > t)


def test_corrections_match_statsmodels_and_skip_missing_values():
    rng = np.random.default_rng(4)
    p = np.concatenate([rng.uniform(0, 0.05, 10), rng.uniform(0, 1, 30), [0.04, 0.04]])
    for method in ("holm", "fdr_bh", "bonferroni"):
        np.testing.assert_allclose(adjust(p, method), multipletests(p, method=method)[1], rtol=1e-12)
    with_gap = np.insert(p, 3, np.nan)
    adjusted = adjust(with_gap, "holm")
    assert np.isnan(adjusted[3]) and np.allclose(np.delete(adjusted, 3), multipletests(p, method="holm")[1])
