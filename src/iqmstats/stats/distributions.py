"""The distribution functions the tests need, from ``scipy.special``.

``scipy.stats`` costs over a second to import, more than every computation of ``iqmstats
compare`` on the study's data together (``benchmarks/bench_cli.py``); ``scipy.special`` holds
the same functions (``scipy.stats`` calls them) at a fraction of the cost. The two small pieces
scipy.special lacks, the exact null distribution of Wilcoxon's signed-rank statistic and the
inversion of the noncentral t for a confidence interval, are written here and tested against
``scipy.stats`` and R (``tests/stats/test_distributions.py``).

Examples
--------
>>> round(float(t_sf(2.0, 10)), 6), round(float(t_quantile(0.975, 10)), 6)
(0.036694, 2.228139)
>>> signed_rank_p(3.0, 10)  # R: wilcox.test(..., exact = TRUE) with V = 3, n = 10
0.009765625
>>> binomial_two_sided(1, 9)  # R: binom.test(1, 9)$p.value
0.0390625
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import special


def t_sf(t, df):
    """P(T > t) for Student's t with ``df`` degrees of freedom."""
    return special.stdtr(df, -np.asarray(t, dtype=float))


def t_two_sided(t, df):
    """Two-sided p of a t statistic."""
    return 2 * special.stdtr(df, -np.abs(np.asarray(t, dtype=float)))


def t_quantile(p, df):
    """The ``p`` quantile of Student's t."""
    return special.stdtrit(df, p)


def f_sf(f, df1, df2):
    """P(F > f) for the F distribution."""
    return special.fdtrc(df1, df2, np.maximum(np.asarray(f, dtype=float), 0))


def chi2_sf(x, df):
    """P(X > x) for the chi-square distribution."""
    return special.chdtrc(df, np.maximum(np.asarray(x, dtype=float), 0))


def norm_cdf(z):
    return special.ndtr(z)


def norm_quantile(p):
    return special.ndtri(p)


@lru_cache(maxsize=64)
def _signed_rank_counts(n: int) -> np.ndarray:
    """How many of the 2^n sign patterns of ranks 1..n give each sum W+ = 0 .. n(n+1)/2."""
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1
    for rank in range(1, n + 1):
        counts[rank:] = counts[rank:] + counts[:-rank].copy()
    return counts


def signed_rank_p(w_plus: float, n: int) -> float:
    """Exact two-sided p of Wilcoxon's signed-rank statistic W+ (no ties, no zeros), as R's
    ``psignrank``: 2 x the smaller tail, at most 1."""
    counts = _signed_rank_counts(n)
    cumulative = np.cumsum(counts) / counts.sum()
    w = round(w_plus)
    lower = cumulative[w]
    upper = 1 - (cumulative[w - 1] if w > 0 else 0.0)
    return float(min(1.0, 2 * min(lower, upper)))


def binomial_two_sided(k: int, n: int) -> float:
    """Exact two-sided binomial test of k successes in n at 1/2 (McNemar's exact test on the
    discordant pairs): 2 x the smaller tail, at most 1; 1 when n = 0."""
    if n == 0:
        return 1.0
    smaller = min(k, n - k)
    return float(min(1.0, 2 * special.bdtr(smaller, n, 0.5)))


def noncentrality_interval(t, df, confidence: float):
    """Confidence limits of the noncentrality parameter of t statistics (vectorised).

    The lower limit is the ncp at which P(T <= t) = 1 - tail, the upper the ncp at which it is
    ``tail`` (tail = (1 - confidence) / 2); P(T <= t) decreases in the ncp, so a bracket and
    bisection to 1e-12 find each limit. ``t`` and ``df`` broadcast."""
    t, df = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(df, dtype=float))
    tail = (1 - confidence) / 2
    step = 4 * np.sqrt(1 + t**2 / (2 * df)) + 1  # a few sampling SDs of t
    return _ncp_where(t, df, 1 - tail, step), _ncp_where(t, df, tail, step)


def _nct_cdf(t, df, ncp):
    cdf = special.nctdtr(df, ncp, t)
    return np.where(np.isnan(cdf), np.where(ncp > t, 0.0, 1.0), cdf)


def _ncp_where(t, df, probability, step):
    low, high = t - step, t + step
    for _ in range(200):  # widen the bracket until it holds the root
        below, above = _nct_cdf(t, df, low) < probability, _nct_cdf(t, df, high) > probability
        if not (below.any() or above.any()):
            break
        low, high = np.where(below, low - step, low), np.where(above, high + step, high)
    for _ in range(100):
        middle = (low + high) / 2
        right = _nct_cdf(t, df, middle) > probability
        low, high = np.where(right, middle, low), np.where(right, high, middle)
        if np.all(high - low <= 1e-12 * np.maximum(1, np.abs(middle))):
            break
    return (low + high) / 2
