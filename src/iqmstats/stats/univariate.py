"""Per-IQM paired tests, Bland-Altman agreement and effect sizes, corrected across IQMs.

Differences are first minus second condition (A - B). Numbers checked against R 4.2
(``t.test(paired=TRUE)``, ``wilcox.test(paired=TRUE)``, ``p.adjust``, the noncentral t via
``pt(ncp=)``): ``tests/stats/reference/per_iqm.R``; the bootstrap against
``scipy.stats.bootstrap``.

Examples
--------
>>> import pandas as pd
>>> a = pd.DataFrame({"cjv": [0.50, 0.61, 0.45, 0.58, 0.52, 0.49]})
>>> b = pd.DataFrame({"cjv": [0.48, 0.57, 0.46, 0.53, 0.50, 0.45]})
>>> row = per_iqm_tests(a, b, bootstrap=2000).iloc[0]
>>> [round(float(row[c]), 4) for c in ("bias", "sd_diff", "t", "p_t", "dz", "rank_biserial")]
[0.0267, 0.0216, 3.0237, 0.0293, 1.2344, 0.9048]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests

from ..errors import InsufficientDataError, ParameterError
from .preprocess import CONSTANT_TOLERANCE

#: Column contract of ``per_iqm.tsv`` (README); columns may be added, never renamed.
PER_IQM_COLUMNS = [
    "iqm", "n", "mean_a", "mean_b", "bias", "sd_diff", "loa_lower", "loa_upper", "ci_lower", "ci_upper",
    "ci_lower_boot", "ci_upper_boot", "t", "p_t", "p_t_holm", "p_t_fdr", "p_t_bonferroni",
    "w", "p_w", "p_w_holm", "p_w_fdr", "p_w_bonferroni", "dz", "dz_ci_lower", "dz_ci_upper", "g_av", "rank_biserial",
]
#: Limits of agreement: bias +/- this many SDs of the differences (Bland & Altman 1986).
LOA_Z = 1.96


def per_iqm_tests(
    first: pd.DataFrame,
    second: pd.DataFrame,
    *,
    bootstrap: int = 10_000,
    confidence: float = 0.95,
    random_state: int = 0,
) -> pd.DataFrame:
    """One row per IQM (columns :data:`PER_IQM_COLUMNS`) for paired data A = ``first``, B = ``second``.

    - Bland-Altman: ``bias`` = mean(A - B), ``sd_diff`` (ddof=1), limits of agreement
      bias +/- 1.96 sd_diff, t-based CI of the bias (``ci_*``) and percentile bootstrap CI
      (``ci_*_boot``, ``bootstrap`` resamples of participants, seeded by ``random_state``).
    - Paired t-test (``t``, ``p_t``) and Wilcoxon signed-rank test (``w`` = sum of the ranks of the
      positive differences, R's V; zeros dropped; exact for n <= 50 without ties, else normal
      with continuity correction, as R's ``wilcox.test``) (``p_w``).
    - Holm, Benjamini-Hochberg (``_fdr``) and Bonferroni corrections across IQMs, per test.
    - Cohen's dz = bias / sd_diff with an exact CI from the noncentral t distribution; Hedges'
      g_av = bias / sqrt((sd_A^2 + sd_B^2) / 2) x (1 - 3 / (4 (n - 1) - 1)) (Lakens 2013);
      matched-pairs rank-biserial correlation (W+ - W-) / (W+ + W-) (Kerby 2014).
    """
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence={confidence!r} must be in (0, 1)")
    if bootstrap < 0:
        raise ParameterError(f"bootstrap={bootstrap!r} must be >= 0 (0 skips the bootstrap)")
    if list(first.columns) != list(second.columns) or len(first) != len(second):
        raise ParameterError("first and second must have the same IQM columns and participants")
    a, b = first.to_numpy(dtype=float), second.to_numpy(dtype=float)
    n = len(a)
    if n < 3:
        raise InsufficientDataError(f"{n} pairs: per-IQM tests need at least 3")
    if np.isnan(a).any() or np.isnan(b).any():
        raise InsufficientDataError("missing values: prepare the IQMs first (iqmstats.stats.prepare_iqms)")
    d = a - b
    bias, sd = d.mean(axis=0), d.std(axis=0, ddof=1)
    flat = sd <= CONSTANT_TOLERANCE * np.maximum(np.abs(a).max(axis=0), np.abs(b).max(axis=0))
    if flat.any():
        constant = [name for name, is_flat in zip(first.columns, flat) if is_flat]
        raise InsufficientDataError(
            f"{', '.join(constant)}: the same difference for every participant, so no test applies; "
            "prepare the IQMs first (iqmstats.stats.prepare_iqms drops them)"
        )
    alpha = 1 - confidence
    half = stats.t.ppf(1 - alpha / 2, n - 1) * sd / np.sqrt(n)
    t, p_t = stats.ttest_rel(a, b, axis=0)
    w_plus, w_minus = _signed_rank_sums(d)
    p_w = np.array([_wilcoxon_p(d[:, j]) for j in range(d.shape[1])])
    dz = bias / sd
    dz_ci = np.array([_dz_interval(value, n, confidence) for value in dz])
    boot = bootstrap_mean_interval(d, bootstrap, confidence, random_state) if bootstrap else np.full((2, d.shape[1]), np.nan)
    sd_av = np.sqrt((a.var(axis=0, ddof=1) + b.var(axis=0, ddof=1)) / 2)
    result = pd.DataFrame({
        "iqm": list(first.columns), "n": n, "mean_a": a.mean(axis=0), "mean_b": b.mean(axis=0),
        "bias": bias, "sd_diff": sd, "loa_lower": bias - LOA_Z * sd, "loa_upper": bias + LOA_Z * sd,
        "ci_lower": bias - half, "ci_upper": bias + half, "ci_lower_boot": boot[0], "ci_upper_boot": boot[1],
        "t": t, "p_t": p_t, "w": w_plus, "p_w": p_w,
        "dz": dz, "dz_ci_lower": dz_ci[:, 0], "dz_ci_upper": dz_ci[:, 1],
        "g_av": bias / sd_av * (1 - 3 / (4 * (n - 1) - 1)),
        "rank_biserial": (w_plus - w_minus) / (w_plus + w_minus),
    })
    for test in ("t", "w"):
        for suffix, method in (("holm", "holm"), ("fdr", "fdr_bh"), ("bonferroni", "bonferroni")):
            result[f"p_{test}_{suffix}"] = adjust(result[f"p_{test}"].to_numpy(), method)
    return result[PER_IQM_COLUMNS]


def adjust(p_values: np.ndarray, method: str) -> np.ndarray:
    """Adjusted p-values (statsmodels' ``multipletests``); NaN stays NaN and is not counted."""
    out = np.full(len(p_values), np.nan)
    present = ~np.isnan(p_values)
    if present.any():
        out[present] = multipletests(p_values[present], method=method)[1]
    return out


def _signed_rank_sums(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """W+ and W- per column: rank |d| without zeros (average ranks for ties)."""
    plus, minus = np.empty(d.shape[1]), np.empty(d.shape[1])
    for j in range(d.shape[1]):
        column = d[:, j][d[:, j] != 0]
        ranks = stats.rankdata(np.abs(column))
        plus[j], minus[j] = ranks[column > 0].sum(), ranks[column < 0].sum()
    return plus, minus


def _wilcoxon_p(d: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p as R computes it (see :func:`per_iqm_tests`)."""
    nonzero = d[d != 0]
    if len(nonzero) == 0:
        return float("nan")
    exact = len(nonzero) < 50 and len(np.unique(np.abs(nonzero))) == len(nonzero) and len(nonzero) == len(d)
    result = stats.wilcoxon(nonzero, method="exact" if exact else "approx", correction=not exact)
    return float(result.pvalue)


def _dz_interval(dz: float, n: int, confidence: float) -> tuple[float, float]:
    """CI of dz by inverting the noncentral t: t = dz sqrt(n) ~ t(n - 1, ncp = delta sqrt(n))."""
    t_observed, df, tail = dz * np.sqrt(n), n - 1, (1 - confidence) / 2

    step = 4 * np.sqrt(1 + t_observed**2 / (2 * df)) + 1  # a few sampling SDs of t

    def gap(ncp, probability):
        cdf = stats.nct.cdf(t_observed, df, ncp)
        if np.isnan(cdf):  # scipy's cdf fails far in the upper tail, where its sf does not
            cdf = 1 - stats.nct.sf(t_observed, df, ncp)
        return cdf - probability

    def ncp_where(probability):
        low, high = t_observed - step, t_observed + step
        while gap(low, probability) < 0:
            low -= step
        while gap(high, probability) > 0:
            high += step
        return optimize.brentq(gap, low, high, args=(probability,), xtol=1e-12)

    return ncp_where(1 - tail) / np.sqrt(n), ncp_where(tail) / np.sqrt(n)


def bootstrap_mean_interval(d: np.ndarray, resamples: int, confidence: float, random_state: int) -> np.ndarray:
    """Percentile bootstrap CI of each column's mean, resampling rows (participants).

    Each resample is a vector of counts (how often each participant is drawn), so the B means of
    all IQMs come from one matrix product per chunk: memory O(chunk x n), time O(B x n x p).
    """
    rng = np.random.default_rng(random_state)
    n = len(d)
    chunk = max(1, min(resamples, 4_000_000 // n))
    means = np.empty((resamples, d.shape[1]))
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        draws = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
        counts = np.bincount(draws.ravel(), minlength=size * n).reshape(size, n)
        means[start : start + size] = counts @ d / n
    tail = (1 - confidence) / 2
    return np.quantile(means, [tail, 1 - tail], axis=0)
