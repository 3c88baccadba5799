"""Wald-type (WTS) and modified ANOVA-type (MATS) statistics for repeated-measures MANOVA.

The semi-parametric tests of Friedrich & Pauly (2018) and Friedrich, Konietschke & Pauly (2019),
as R's ``MANOVA.RM::multRM(y1 + ... + yp ~ site * condition, within = "condition")`` computes
them (the defacing study's final test): no normality, no equal covariances across groups.

Each participant contributes one vector of the t within-levels x p IQMs; group i (a level of the
between factor, n_i participants) has mean mu_i and covariance Sigma_i. With mu the stacked
group means, N = sum n_i, S = N blockdiag(Sigma_i / n_i) and H an effect's hypothesis matrix
(Kronecker products of centring matrices P = I - J/x for the factors in the effect and averaging
matrices J/x for the others, times I_p):

    WTS  = N mu' H' (H S H')^+ H mu      ~ chi^2(rank H) asymptotically
    MATS = N mu' H' (H D H')^+ H mu,     D = diag(S)

p-values come from the parametric bootstrap: each group's data are redrawn from N(0, Sigma_i)
and the statistic recomputed; p = share of draws above the observed value. The MATS needs no
invertible covariance; the WTS does (it is refused when a group has no more participants than
dimensions).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> values = rng.normal(size=(30, 2, 2)) + np.array([0.0, 0.8])[None, :, None]
>>> table = wts_mats(values, resamples=500)
>>> table[["effect", "statistic", "df1"]].values.tolist()
[['condition', 'wts', 2.0], ['condition', 'mats', nan]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InsufficientDataError, ParameterError
from .distributions import chi2_sf
from .multivariate import MULTIVARIATE_COLUMNS


def hypothesis_matrices(levels: int, within: int, p: int, *, factor: str = "between") -> dict[str, np.ndarray]:
    """MANOVA.RM's hypothesis matrices for a between factor (``levels``) x a within factor."""

    def centre(x):
        return np.eye(x) - np.full((x, x), 1 / x)

    def average(x):
        return np.full((x, x), 1 / x)

    identity = np.eye(p)
    matrices = {"condition": np.kron(np.kron(average(levels), centre(within)), identity)}
    if levels > 1:
        matrices[factor] = np.kron(np.kron(centre(levels), average(within)), identity)
        matrices[f"{factor}:condition"] = np.kron(np.kron(centre(levels), centre(within)), identity)
    return matrices


def wts_mats(
    values: np.ndarray,
    groups=None,
    *,
    factor: str = "between",
    resamples: int = 10_000,
    seed: int = 0,
) -> pd.DataFrame:
    """WTS and MATS of the condition effect (and, with ``groups``, the between factor and the
    interaction) for ``values`` of shape (participants, conditions, IQMs); rows of
    :data:`~iqmstats.stats.multivariate.MULTIVARIATE_COLUMNS` (``p_value``: the WTS's chi-square
    p; ``p_resampled``: parametric bootstrap)."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 3 or values.shape[1] < 2:
        raise ParameterError("values must be (participants, conditions, IQMs) with two or more conditions")
    n, t, p = values.shape
    if groups is None:
        labels, levels = np.zeros(n, dtype=int), np.array(["all"])
    else:
        labels, levels = pd.factorize(pd.Series(np.asarray(groups)).astype(str), sort=True)
    members = [values[labels == level].reshape(-1, t * p) for level in range(labels.max() + 1)]
    sizes = np.array([len(m) for m in members])
    if sizes.min() < 2:
        small = [str(level) for level, size in zip(levels, sizes) if size < 2]
        raise InsufficientDataError(
            f"{factor} level(s) {', '.join(small)} have fewer than two participants; every level needs at least two"
        )
    means = np.concatenate([m.mean(axis=0) for m in members])
    covariances = [np.cov(m, rowvar=False).reshape(t * p, t * p) for m in members]
    wts_valid = bool(sizes.min() > t * p)
    tests = [
        (effect, statistic, _row_basis(h), statistic == "mats")
        for effect, h in hypothesis_matrices(len(members), t, p, factor=factor).items()
        for statistic in ("wts", "mats")
        if statistic == "mats" or wts_valid
    ]
    observed = [_quadratic_form(basis, means, covariances, sizes, diagonal) for _, _, basis, diagonal in tests]
    above = np.zeros(len(tests))
    rng = np.random.default_rng(seed)
    chunk = max(1, 2_000_000 // (t * p) ** 2)  # bounds memory: chunk x d x d per group
    for start in range(0, resamples, chunk):
        boot_means, boot_covs = _bootstrap_draws(covariances, sizes, min(chunk, resamples - start), rng)
        for k, (_, _, basis, diagonal) in enumerate(tests):
            above[k] += np.sum(_quadratic_form(basis, boot_means, boot_covs, sizes, diagonal) > observed[k])
    rows = []
    design = f"semi-parametric repeated measures (MANOVA.RM), {len(members)} group(s)"
    if not wts_valid:
        design += f"; WTS omitted: a group has {sizes.min()} participants for {t * p} dimensions (singular covariance)"
    for (effect, statistic, basis, _), value, count in zip(tests, observed, above):
        resampled = count / resamples if resamples else np.nan
        df = float(len(basis)) if statistic == "wts" else np.nan
        chi2_p = float(chi2_sf(value, df)) if statistic == "wts" else np.nan
        rows.append(
            (
                "wts_mats",
                design,
                effect,
                statistic,
                float(value),
                np.nan,
                df,
                np.nan,
                chi2_p,
                resampled,
                resamples,
                n,
                p,
                "",
            )
        )
    return pd.DataFrame(rows, columns=MULTIVARIATE_COLUMNS)


def _row_basis(h: np.ndarray) -> np.ndarray:
    """Orthonormal rows spanning the row space of a symmetric projector H (eigenvalue 1).

    For such H, H'(H S H')^+ H = K'(K S K')^-1 K with K this basis, so both statistics are
    plain quadratic forms of dimension rank H."""
    eigenvalues, vectors = np.linalg.eigh(h)
    return vectors[:, eigenvalues > 0.5].T


def _quadratic_form(basis, means, covariances, sizes, diagonal_only) -> np.ndarray:
    """N (K mu)' (K S K')^-1 (K mu), S = N blockdiag(Sigma_i / n_i) (or its diagonal).

    ``means`` is (dims,) or (draws, dims); ``covariances`` a list of (d, d) or (draws, d, d)."""
    total = sizes.sum()
    d = covariances[0].shape[-1]
    projected = np.zeros((*means.shape[:-1], len(basis), len(basis)))
    for i, (cov, size) in enumerate(zip(covariances, sizes)):
        block = basis[:, i * d : (i + 1) * d]
        scaled = (
            total
            / size
            * (np.diagonal(cov, axis1=-2, axis2=-1)[..., None, :] * block if diagonal_only else block @ cov)
        )
        projected = projected + scaled @ block.T
    centre = means @ basis.T
    solved = np.linalg.solve(projected, centre[..., None])[..., 0]
    return total * np.sum(centre * solved, axis=-1)


def _bootstrap_draws(covariances, sizes, resamples, rng):
    """Means and covariances of ``resamples`` parametric-bootstrap samples of every group.

    A sample of n_i draws from N(0, Sigma_i) has a mean ~ N(0, Sigma_i / n_i) and, independent of
    it, (n_i - 1) x covariance ~ Wishart(n_i - 1, Sigma_i); drawing these directly (Bartlett)
    gives the same distribution as MANOVA.RM's draws at O(d^3) instead of O(n_i d^2) per sample."""
    d = covariances[0].shape[0]
    means, covs = [], []
    for cov, size in zip(covariances, sizes):
        values, vectors = np.linalg.eigh(cov)
        root = vectors * np.sqrt(np.clip(values, 0, None))  # root @ root.T == cov (also when singular)
        means.append(rng.standard_normal((resamples, d)) @ root.T / np.sqrt(size))
        df = size - 1
        if df >= d:
            bartlett = np.tril(rng.standard_normal((resamples, d, d)), k=-1)
            diagonal = np.sqrt(rng.chisquare(df - np.arange(d), size=(resamples, d)))
            bartlett[:, np.arange(d), np.arange(d)] = diagonal
            factor = root @ bartlett
        else:  # fewer degrees of freedom than dimensions: the Wishart is singular, draw it directly
            factor = root @ np.swapaxes(rng.standard_normal((resamples, df, d)), 1, 2)
        covs.append(factor @ np.swapaxes(factor, 1, 2) / df)
    return np.concatenate(means, axis=1), covs
