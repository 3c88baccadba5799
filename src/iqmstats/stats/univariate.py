"""Per-measure paired tests, Bland-Altman agreement and effect sizes, corrected across measures.

Differences are first minus second condition (A - B). Each measure uses every participant who
has it under both conditions (``n`` per row), so a sentinel in one image costs that measure one
pair, not every test the participant. Numbers checked against R 4.2 (``t.test(paired=TRUE)``,
``wilcox.test(paired=TRUE)``, ``p.adjust``, the noncentral t via ``pt(ncp=)``):
``tests/stats/reference/reference.R``; the bootstrap against ``scipy.stats.bootstrap``; the
corrections against statsmodels' ``multipletests``.

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

from ..errors import InsufficientDataError, Param, ParameterError
from .distributions import noncentrality_interval, norm_cdf, signed_rank_p, t_quantile, t_two_sided
from .preprocess import CONSTANT_TOLERANCE

#: Column contract of ``per_iqm.tsv`` (README); columns may be added, never renamed.
PER_IQM_COLUMNS = [
    "iqm",
    "n",
    "mean_a",
    "mean_b",
    "bias",
    "sd_diff",
    "loa_lower",
    "loa_upper",
    "ci_lower",
    "ci_upper",
    "ci_lower_boot",
    "ci_upper_boot",
    "t",
    "p_t",
    "p_t_holm",
    "p_t_fdr",
    "p_t_bonferroni",
    "w",
    "p_w",
    "p_w_holm",
    "p_w_fdr",
    "p_w_bonferroni",
    "dz",
    "dz_ci_lower",
    "dz_ci_upper",
    "g_av",
    "rank_biserial",
]
#: Limits of agreement: bias +/- this many SDs of the differences (Bland & Altman 1986).
LOA_Z = 1.96


def per_iqm_tests(
    first: pd.DataFrame,
    second: pd.DataFrame,
    *,
    bootstrap: int = 10_000,
    confidence: float = 0.95,
    seed: int = 0,
    decimals: int | None = None,
) -> pd.DataFrame:
    """One row per measure (columns :data:`PER_IQM_COLUMNS`) for paired data A = ``first``,
    B = ``second`` (participants x measures, same index and columns; NaN where missing).

    - Bland-Altman: ``bias`` = mean(A - B), ``sd_diff`` (ddof=1), limits of agreement
      bias +/- 1.96 sd_diff, t-based CI of the bias (``ci_*``) and percentile bootstrap CI
      (``ci_*_boot``, ``bootstrap`` resamples of participants, seeded by ``seed``).
    - Paired t-test (``t``, ``p_t``) and Wilcoxon signed-rank test (``w`` = sum of the ranks of the
      positive differences, R's V; zeros dropped; exact for n < 50 without ties or zeros, else
      normal with continuity and tie corrections, as R's ``wilcox.test``) (``p_w``).
    - Holm, Benjamini-Hochberg (``_fdr``) and Bonferroni corrections across measures, per test.
    - Cohen's dz = bias / sd_diff with an exact CI from the noncentral t distribution; Hedges'
      g_av = bias / sqrt((sd_A^2 + sd_B^2) / 2) x (1 - 3 / (4 (n - 1) - 1)) (Lakens 2013);
      matched-pairs rank-biserial correlation (W+ - W-) / (W+ + W-) (Kerby 2014).

    ``n`` is the number of pairs with the measure under both conditions (at least 2).
    ``decimals`` rounds the differences to that many decimal places before they are ranked
    (zeros and ties of the Wilcoxon test), so values such as ratings of 2.55 give the zeros and
    ties of exact arithmetic, not of floating-point noise.
    """
    if not 0 < confidence < 1:
        raise ParameterError("{0}: must be in (0, 1)", Param("confidence", confidence))
    if bootstrap < 0:
        raise ParameterError("{0}: must be >= 0 (0 skips the bootstrap)", Param("bootstrap", bootstrap))
    if list(first.columns) != list(second.columns) or len(first) != len(second):
        raise ParameterError("first and second must have the same measures and participants")
    a, b = first.to_numpy(dtype=float), second.to_numpy(dtype=float)
    present = ~(np.isnan(a) | np.isnan(b))
    groups: dict[bytes, list[int]] = {}
    for j in range(a.shape[1]):
        groups.setdefault(present[:, j].tobytes(), []).append(j)
    parts = [
        _tests(
            a[present[:, js[0]]][:, js],
            b[present[:, js[0]]][:, js],
            [first.columns[j] for j in js],
            bootstrap,
            confidence,
            seed,
            decimals,
        )
        for js in groups.values()
    ]
    result = pd.concat(parts, ignore_index=True).set_index("iqm").loc[list(first.columns)].reset_index()
    for test in ("t", "w"):
        for suffix, method in (("holm", "holm"), ("fdr", "fdr_bh"), ("bonferroni", "bonferroni")):
            result[f"p_{test}_{suffix}"] = adjust(result[f"p_{test}"].to_numpy(), method)
    return result[PER_IQM_COLUMNS]


def _tests(
    a: np.ndarray, b: np.ndarray, names, bootstrap: int, confidence: float, seed: int, decimals: int | None = None
) -> pd.DataFrame:
    """The per-measure table of complete pairs (every column has the same participants)."""
    n = len(a)
    if n < 2:
        raise InsufficientDataError(f"{', '.join(names)}: fewer than 2 pairs; per-measure tests need at least 2")
    d = a - b
    bias, sd = d.mean(axis=0), d.std(axis=0, ddof=1)
    flat = sd <= CONSTANT_TOLERANCE * np.maximum(np.abs(a).max(axis=0), np.abs(b).max(axis=0))
    if flat.any():
        constant = [name for name, is_flat in zip(names, flat) if is_flat]
        raise InsufficientDataError(
            f"{', '.join(constant)}: the same difference for every participant, so no test applies; "
            "prepare the measures first (iqmstats.stats.prepare_iqms drops them)"
        )
    alpha = 1 - confidence
    se = sd / np.sqrt(n)
    half = t_quantile(1 - alpha / 2, n - 1) * se
    t = bias / se
    ranked = d if decimals is None else np.round(d, decimals)
    w_plus, w_minus = _signed_rank_sums(ranked)
    dz = bias / sd
    dz_lower, dz_upper = noncentrality_interval(dz * np.sqrt(n), n - 1, confidence)
    boot = bootstrap_mean_interval(d, bootstrap, confidence, seed) if bootstrap else np.full((2, d.shape[1]), np.nan)
    sd_av = np.sqrt((a.var(axis=0, ddof=1) + b.var(axis=0, ddof=1)) / 2)
    return pd.DataFrame(
        {
            "iqm": list(names),
            "n": n,
            "mean_a": a.mean(axis=0),
            "mean_b": b.mean(axis=0),
            "bias": bias,
            "sd_diff": sd,
            "loa_lower": bias - LOA_Z * sd,
            "loa_upper": bias + LOA_Z * sd,
            "ci_lower": bias - half,
            "ci_upper": bias + half,
            "ci_lower_boot": boot[0],
            "ci_upper_boot": boot[1],
            "t": t,
            "p_t": t_two_sided(t, n - 1),
            "w": w_plus,
            "p_w": [wilcoxon_p(ranked[:, j]) for j in range(d.shape[1])],
            "dz": dz,
            "dz_ci_lower": dz_lower / np.sqrt(n),
            "dz_ci_upper": dz_upper / np.sqrt(n),
            "g_av": bias / sd_av * (1 - 3 / (4 * (n - 1) - 1)) if n > 2 else np.full(len(names), np.nan),
            "rank_biserial": (w_plus - w_minus) / (w_plus + w_minus),
        }
    )


def adjust(p_values: np.ndarray, method: str) -> np.ndarray:
    """Adjusted p-values: 'holm', 'fdr_bh' (Benjamini-Hochberg) or 'bonferroni', as statsmodels'
    ``multipletests`` and R's ``p.adjust`` compute them; NaN stays NaN and is not counted.

    >>> adjust(np.array([0.01, 0.04, 0.03, np.nan]), "holm").round(4).tolist()
    [0.03, 0.06, 0.06, nan]
    """
    p_values = np.asarray(p_values, dtype=float)
    out = np.full(len(p_values), np.nan)
    present = np.flatnonzero(~np.isnan(p_values))
    m = len(present)
    if not m:
        return out
    p = p_values[present]
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "bonferroni":
        adjusted = np.minimum(1, p * m)
    elif method == "holm":
        steps = np.minimum(1, np.maximum.accumulate(ranked * (m - np.arange(m))))
        adjusted = np.empty(m)
        adjusted[order] = steps
    elif method == "fdr_bh":
        steps = np.minimum(1, np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1])
        adjusted = np.empty(m)
        adjusted[order] = steps
    else:
        raise ParameterError("{0} is not valid: use 'holm', 'fdr_bh' or 'bonferroni'", Param("method", method))
    out[present] = adjusted
    return out


def _signed_rank_sums(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """W+ and W- per column: rank |d| without zeros (average ranks for ties)."""
    plus, minus = np.empty(d.shape[1]), np.empty(d.shape[1])
    for j in range(d.shape[1]):
        column = d[:, j][d[:, j] != 0]
        ranks = _average_ranks(np.abs(column))
        plus[j], minus[j] = ranks[column > 0].sum(), ranks[column < 0].sum()
    return plus, minus


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing their average rank."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(1, len(x) + 1)
    values, inverse = np.unique(x, return_inverse=True)
    if len(values) < len(x):
        ranks = (np.bincount(inverse, weights=ranks) / np.bincount(inverse))[inverse]
    return ranks


def wilcoxon_p(d: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p as R's ``wilcox.test(paired = TRUE)`` computes it: zeros
    dropped; exact for fewer than 50 differences without ties or zeros; otherwise the normal
    approximation with continuity correction and the tie correction of the variance."""
    nonzero = d[d != 0]
    n = len(nonzero)
    if n == 0:
        return float("nan")
    ranks = _average_ranks(np.abs(nonzero))
    w = float(ranks[nonzero > 0].sum())
    ties = len(np.unique(np.abs(nonzero))) < n
    if n < 50 and not ties and n == len(d):
        return signed_rank_p(w, n)
    _, counts = np.unique(np.abs(nonzero), return_counts=True)
    sigma = np.sqrt(n * (n + 1) * (2 * n + 1) / 24 - np.sum(counts**3 - counts) / 48)
    if sigma == 0:
        return float("nan")
    centred = w - n * (n + 1) / 4
    z = (centred - np.sign(centred) * 0.5) / sigma
    return float(min(1.0, 2 * min(norm_cdf(z), norm_cdf(-z))))


def bootstrap_mean_interval(d: np.ndarray, resamples: int, confidence: float, seed: int) -> np.ndarray:
    """Percentile bootstrap CI of each column's mean, resampling rows (participants).

    Each resample is a vector of counts (how often each participant is drawn), so the B means of
    all measures come from one matrix product per chunk: memory O(chunk x n), time O(B x n x p).
    """
    rng = np.random.default_rng(seed)
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
