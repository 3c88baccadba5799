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

import os

import numpy as np
import pandas as pd

from ..errors import InsufficientDataError, ParameterError
from ..parallel import one_blas_thread, pool
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
    jobs: int | None = None,
) -> pd.DataFrame:
    """WTS and MATS of the condition effect (and, with ``groups``, the between factor and the
    interaction) for ``values`` of shape (participants, conditions, IQMs); rows of
    :data:`~iqmstats.stats.multivariate.MULTIVARIATE_COLUMNS` (``p_value``: the WTS's chi-square
    p; ``p_resampled``: parametric bootstrap, (1 + draws above the observed) / (1 + draws)).

    Every hypothesis matrix is B (x) W (x) I_p, B over the groups and W over the conditions
    (centring or averaging), so K S K' = N sum_i (b_i b_i') (x) (W (x) I) S_i (W (x) I)' / n_i
    is assembled from each group's covariance projected on the conditions' contrasts (or mean):
    (rank W) p dimensions instead of t p; the MATS's K D K' is block diagonal over the measures.
    The draws are made in chunks with their own random streams (spawned from ``seed``), spread
    over ``jobs`` worker processes when the work pays for them (None: every core then), so the
    p-values do not depend on the number of workers."""
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
    means = [m.mean(axis=0) for m in members]
    covariances = [np.cov(m, rowvar=False).reshape(t * p, t * p) for m in members]
    wts_valid = bool(sizes.min() > t * p)
    effects = _effects(len(members), t, factor)
    statistics = [s for s in ("wts", "mats") if s == "mats" or wts_valid]
    observed = {
        (effect, statistic): _statistic(b, w, means, covariances, sizes, p, statistic)
        for effect, (b, w) in effects.items()
        for statistic in statistics
    }
    chunk = max(1, 2_000_000 // (t * p) ** 2)  # bounds memory: chunk x d x d per group
    sizes_of_chunks = [min(chunk, resamples - start) for start in range(0, resamples, chunk)]
    seeds = np.random.SeedSequence(seed).spawn(len(sizes_of_chunks))
    tasks = [
        (covariances, sizes, effects, observed, p, size, chunk_seed) for size, chunk_seed in zip(sizes_of_chunks, seeds)
    ]
    work = resamples * len(members) * (t * p) ** 3
    workers = jobs or ((os.cpu_count() or 1) if work > 5e9 else 1)
    above = dict.fromkeys(observed, 0)
    with pool(min(workers, len(tasks))) as chunks:
        for counts in chunks.map(_exceedances, tasks):
            for key, count in counts.items():
                above[key] += count
    design = f"semi-parametric repeated measures (MANOVA.RM), {len(members)} group(s)"
    note = (
        ""
        if wts_valid
        else f"WTS omitted: a group has {sizes.min()} participants for {t * p} dimensions (singular covariance)"
    )
    rows = []
    for (effect, statistic), value in observed.items():
        b, w = effects[effect]
        df = float(len(b) * len(w) * p) if statistic == "wts" else np.nan
        chi2_p = float(chi2_sf(value, df)) if statistic == "wts" else np.nan
        # (1 + b) / (1 + B) as the permutation p: never 0 (MANOVA.RM reports b / B)
        resampled = (1 + above[(effect, statistic)]) / (1 + resamples) if resamples else np.nan
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
                note,
            )
        )
    return pd.DataFrame(rows, columns=MULTIVARIATE_COLUMNS)


def _exceedances(task) -> dict:
    """How many draws of one chunk exceed each observed statistic."""
    covariances, sizes, effects, observed, p, size, seed = task
    counts = {}
    with one_blas_thread():
        means, factors = _bootstrap_draws(covariances, sizes, size, np.random.default_rng(seed))
        for (effect, statistic), value in observed.items():
            b, w = effects[effect]
            counts[(effect, statistic)] = int(
                np.sum(_statistic(b, w, means, factors, sizes, p, statistic, factors=True) > value)
            )
    return counts


def _orthonormal_contrasts(x: int) -> np.ndarray:
    """(x - 1) x x orthonormal rows spanning the centring projector's row space."""
    basis = np.linalg.qr(np.column_stack([np.ones(x), np.eye(x)[:, : x - 1]]))[0]
    return basis[:, 1:].T


def _effects(levels: int, within: int, factor: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each effect's (B, W): orthonormal rows over the groups and over the conditions whose
    Kronecker product spans the row space of its hypothesis matrix (see :func:`hypothesis_matrices`)."""
    average_groups = np.full((1, levels), 1 / np.sqrt(levels))
    average_within = np.full((1, within), 1 / np.sqrt(within))
    effects = {"condition": (average_groups, _orthonormal_contrasts(within))}
    if levels > 1:
        effects[factor] = (_orthonormal_contrasts(levels), average_within)
        effects[f"{factor}:condition"] = (_orthonormal_contrasts(levels), _orthonormal_contrasts(within))
    return effects


def _statistic(b, w, means, covariances, sizes, p, statistic, *, factors=False) -> np.ndarray:
    """N (K mu)' (K S K')^-1 (K mu) with K = B (x) W (x) I_p and S = N blockdiag(Sigma_i / n_i)
    (its diagonal for the MATS). ``means`` per group: (t p,) or (draws, t p); ``covariances``
    per group: (t p, t p), or with ``factors`` Wishart factors F (draws, t p, k), S_i = F F' / k."""
    total, rb, rw = sizes.sum(), len(b), w.shape[0]
    projected_means = np.stack([_vector(w, m, p) for m in means])  # groups x (...) x rw p
    centre = np.einsum("ai,i...r->...ar", b, projected_means)  # (..., rb, rw p)
    shape = centre.shape[:-2]
    if statistic == "mats":  # K D K' is block diagonal over the measures: one small system per measure
        blocks = np.zeros((*shape, p, rb, rw, rb, rw))
        for i, (cov, size) in enumerate(zip(covariances, sizes)):
            variances = np.einsum("...kj,...kj->...k", cov, cov) / cov.shape[-1] if factors else np.diag(cov)
            within = np.einsum("cs,ds,...sj->...jcd", w, w, variances.reshape(*shape, w.shape[1], p))
            blocks += np.einsum("ab,...jcd->...jacbd", np.outer(b[:, i], b[:, i]) * total / size, within)
        blocks = blocks.reshape(*shape, p, rb * rw, rb * rw)
        per_measure = np.moveaxis(centre.reshape(*shape, rb, rw, p), -1, -3).reshape(*shape, p, rb * rw)
        solved = np.linalg.solve(blocks, per_measure[..., None])[..., 0]
        return total * np.sum(per_measure * solved, axis=(-2, -1))
    centre = centre.reshape(*shape, rb * rw * p)
    stacked = np.zeros((*shape, rb * rw * p, rb * rw * p))
    for i, (cov, size) in enumerate(zip(covariances, sizes)):
        if factors:
            g = _rows(w, cov, p)
            block = g @ np.swapaxes(g, -1, -2) / cov.shape[-1]
        else:
            block = _rows(w, np.swapaxes(_rows(w, cov, p), -1, -2), p)
        weight = np.outer(b[:, i], b[:, i]) * total / size
        stacked += np.einsum("ab,...ij->...aibj", weight, block).reshape(stacked.shape)
    solved = np.linalg.solve(stacked, centre[..., None])[..., 0]
    return total * np.sum(centre * solved, axis=-1)


def _vector(w: np.ndarray, x: np.ndarray, p: int) -> np.ndarray:
    """(W (x) I_p) x for vectors x of shape (..., t p) -> (..., rw p)."""
    return np.einsum("at,...tj->...aj", w, x.reshape(*x.shape[:-1], w.shape[1], p)).reshape(*x.shape[:-1], -1)


def _rows(w: np.ndarray, x: np.ndarray, p: int) -> np.ndarray:
    """(W (x) I_p) X for matrices X of shape (..., t p, k) -> (..., rw p, k)."""
    blocks = x.reshape(*x.shape[:-2], w.shape[1], p, x.shape[-1])
    return np.einsum("at,...tjk->...ajk", w, blocks).reshape(*x.shape[:-2], w.shape[0] * p, x.shape[-1])


def _bootstrap_draws(covariances, sizes, resamples, rng):
    """Means and Wishart factors of ``resamples`` parametric-bootstrap samples of every group.

    A sample of n_i draws from N(0, Sigma_i) has a mean ~ N(0, Sigma_i / n_i) and, independent of
    it, (n_i - 1) x covariance ~ Wishart(n_i - 1, Sigma_i) = F F' with F = root x Bartlett's
    triangle (or root x a normal (d x df) block when df < d); drawing these directly gives the
    same distribution as MANOVA.RM's draws at O(d^3) instead of O(n_i d^2) per sample. The
    factors are returned scaled so that S_i = F F' / (F's last dimension)."""
    d = covariances[0].shape[0]
    means, factors = [], []
    for cov, size in zip(covariances, sizes):
        values, vectors = np.linalg.eigh(cov)
        root = vectors * np.sqrt(np.clip(values, 0, None))  # root @ root.T == cov (also when singular)
        means.append(rng.standard_normal((resamples, d)) @ root.T / np.sqrt(size))
        df = size - 1
        if df >= d:
            bartlett = np.tril(rng.standard_normal((resamples, d, d)), k=-1)
            bartlett[:, np.arange(d), np.arange(d)] = np.sqrt(rng.chisquare(df - np.arange(d), size=(resamples, d)))
            factor = root @ bartlett * np.sqrt(d / df)  # F F' / d == root B B' root' / df
        else:  # fewer degrees of freedom than dimensions: the Wishart is singular, draw it directly
            factor = root @ np.swapaxes(rng.standard_normal((resamples, df, d)), 1, 2)
        factors.append(factor)
    return means, factors
