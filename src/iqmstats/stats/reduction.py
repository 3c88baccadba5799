"""Standardise and reduce IQMs with parameters fitted ONCE and applied to every condition.

Standardising each condition separately erases the very shift under test (the study's released
PCA table did this); here the mean and SD (and the PCA) are fitted on the pooled rows of all
conditions (default) or on a reference condition, then applied identically to every condition.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> a = rng.normal(size=(50, 3)); values = np.stack([a, a + 1.0], axis=1)  # condition 2 shifted
>>> z = standardise(values, fit_on=None)
>>> bool(np.allclose(z[:, 1] - z[:, 0], (1.0 / np.vstack([a, a + 1]).std(axis=0, ddof=1))))
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError


def _fit_rows(values: np.ndarray, fit_on: int | None) -> np.ndarray:
    """Rows the parameters are fitted on: every condition pooled, or one condition."""
    return values.reshape(-1, values.shape[2]) if fit_on is None else values[:, fit_on]


def standardise(values: np.ndarray, *, fit_on: int | None = None, groups=None) -> np.ndarray:
    """z-scores of ``values`` (participants x conditions x IQMs), one mean/SD per IQM (and per
    group, e.g. site, when ``groups`` gives each participant's group), fitted on the pooled
    conditions (``fit_on=None``) or on condition ``fit_on``, applied to all conditions."""
    out = np.empty_like(values, dtype=float)
    groups = np.zeros(len(values), dtype=int) if groups is None else np.asarray(groups)
    for level in np.unique(groups):
        members = groups == level
        rows = _fit_rows(values[members], fit_on)
        sd = rows.std(axis=0, ddof=1)
        if np.any(sd == 0) or len(rows) < 2:
            raise ParameterError(
                f"cannot standardise within group {level!r}: an IQM is constant there or it has one row"
            )
        out[members] = (values[members] - rows.mean(axis=0)) / sd
    return out


def pca_reduce(z: np.ndarray, names, *, fit_on: int | None = None, rule="kaiser"):
    """Principal components of standardised IQMs, fitted once, applied to every condition.

    ``rule`` is 'kaiser' (keep components whose eigenvalue of the correlation matrix exceeds 1)
    or a share in (0, 1] (the fewest components explaining at least that share of variance).
    Component signs are fixed so the largest loading of each is positive.

    Returns the scores (participants x conditions x k), the loadings (IQMs x k DataFrame) and
    the explained-variance table (component, eigenvalue, explained, cumulative, kept).
    """
    rows = _fit_rows(z, fit_on)
    centred = rows - rows.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    eigenvalues = singular**2 / (len(rows) - 1)
    explained = eigenvalues / eigenvalues.sum()
    if rule == "kaiser":
        k = int(np.sum(eigenvalues > 1.0))
    elif isinstance(rule, float) and 0 < rule <= 1:
        k = int(np.searchsorted(np.cumsum(explained), rule - 1e-12) + 1)
    else:
        raise ParameterError(f"pca rule {rule!r}: use 'kaiser' or a share of variance in (0, 1], e.g. 0.8")
    k = max(k, 1)
    loadings = vt[:k].T
    loadings *= np.sign(loadings[np.abs(loadings).argmax(axis=0), np.arange(k)])
    components = [f"PC{i + 1}" for i in range(k)]
    scores = (z - rows.mean(axis=0)) @ loadings
    table = pd.DataFrame(
        {
            "component": [f"PC{i + 1}" for i in range(len(eigenvalues))],
            "eigenvalue": eigenvalues,
            "explained": explained,
            "cumulative": np.cumsum(explained),
            "kept": np.arange(len(eigenvalues)) < k,
        }
    )
    return scores, pd.DataFrame(loadings, index=list(names), columns=components), table
