"""Decide which IQMs can enter a statistic, and say why the others cannot.

Examples
--------
>>> import pandas as pd
>>> values = pd.DataFrame({
...     "qi_1": [0.0, 0.0, 0.0, 0.0],
...     "fwhm_x": [3.0, 3.2, 3.1, 3.5], "fwhm_y": [3.1, 3.3, 3.0, 3.4], "fwhm_z": [2.9, 3.1, 3.2, 3.0],
...     "fwhm_avg": [3.0, 3.2, 3.1, 3.3],
... })
>>> screen = screen_iqms(values, modality="T1w")
>>> screen[~screen.kept][["iqm", "reason"]].to_dict("records")
[{'iqm': 'qi_1', 'reason': 'constant'}, {'iqm': 'fwhm_avg', 'reason': 'redundant'}]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import catalogue
from ..errors import InsufficientDataError, ParameterError, check_choice, did_you_mean
from ..pairing import PairedIQMs
from .reduction import pca_reduce, standardise

#: A catalogue identity counts as exact when it holds to this relative precision.
DEPENDENCY_TOLERANCE = 1e-6
SCREEN_COLUMNS = ["iqm", "kept", "reason", "detail"]


def screen_iqms(
    values: pd.DataFrame,
    *,
    modality: str | None = None,
    max_missing_share: float = 0.1,
    max_identical_share: float = 0.95,
) -> pd.DataFrame:
    """Screen IQM columns: drop the missing, constant, near-constant and redundant ones.

    Rules, applied in this order (an IQM is dropped by the first rule it meets):

    ``missing``
        more than ``max_missing_share`` of its values are missing (e.g. ``fber == -1``, which
        MRIQC writes when there is no signal outside the head).
    ``constant``
        one value in every image.
    ``near_constant``
        one value in at least ``max_identical_share`` of the images.
    ``redundant``
        an exact identity of the catalogue holds in these data (``icvs_*`` sum to 1; ``snr_total``,
        ``snrd_total``, ``fwhm_avg`` are means of their parts): the parts are kept and the
        implied IQM is dropped.

    Returns one row per IQM with columns ``iqm, kept, reason, detail`` (reason ``kept`` for
    the IQMs that stay).
    """
    for name, share in (("max_missing_share", max_missing_share), ("max_identical_share", max_identical_share)):
        if not 0 < share <= 1:
            raise ParameterError(f"{name}={share!r} must be a share in (0, 1]")
    n = len(values)
    verdicts = {}
    for iqm in values.columns:
        column = values[iqm]
        n_missing = int(column.isna().sum())
        present = column.dropna()
        top_share = present.value_counts().iloc[0] / n if len(present) else 0.0
        if n_missing > max_missing_share * n:
            sentinel = catalogue.SENTINELS.get(iqm)
            why = f"; {iqm} = {sentinel.value:g} means {sentinel.meaning}" if sentinel else ""
            verdicts[iqm] = ("missing", f"missing in {n_missing} of {n} images ({n_missing / n:.0%}){why}")
        elif present.nunique() <= 1:
            verdicts[iqm] = ("constant", f"always {present.iloc[0]:g}" if len(present) else "no values")
        elif top_share >= max_identical_share:
            mode = present.mode().iloc[0]
            verdicts[iqm] = ("near_constant", f"{mode:g} in {top_share:.1%} of images")
    for dependency in catalogue.dependencies(modality):
        if all(c in values.columns and c not in verdicts for c in dependency.columns):
            residual = dependency.max_residual(values)
            if residual <= DEPENDENCY_TOLERANCE:
                verdicts[dependency.redundant] = (
                    "redundant",
                    f"{dependency.describe()} (holds to a relative {residual:.0e})",
                )
    rows = [(iqm, iqm not in verdicts, *verdicts.get(iqm, ("kept", ""))) for iqm in values.columns]
    return pd.DataFrame(rows, columns=SCREEN_COLUMNS)


#: A column whose z-scored residual, after projection on the kept columns, is below this share
#: of its norm is a linear combination of them (exact dependencies give ~1e-15).
RANK_TOLERANCE = 1e-8
EXCLUDED_COLUMNS = ["iqm", "reason", "detail"]
#: Differences that vary by less than this share of the IQM's magnitude are constant (rounding).
CONSTANT_TOLERANCE = 1e-12


def independent_columns(matrix: np.ndarray, names, *, tolerance: float = RANK_TOLERANCE):
    """Keep columns in the given order unless they are a linear combination of the kept ones.

    A greedy, column-ordered rank-revealing QR (Gram-Schmidt with re-orthogonalisation) on the
    centred and scaled columns, so the IQMs' raw scales (10 orders of magnitude apart) do not
    matter. Returns the kept names and {dropped name: detail}.

    >>> m = np.array([[1.0, 2.0, 3.0], [2.0, 1.0, 3.0], [0.0, 5.0, 5.0], [4.0, 1.0, 5.0]])
    >>> independent_columns(m, ["a", "b", "a_plus_b"])
    (['a', 'b'], {'a_plus_b': 'a linear combination of a, b (relative residual ...)'})
    """
    centred = matrix - matrix.mean(axis=0)
    norms = np.linalg.norm(centred, axis=0)
    basis, kept, dropped = [], [], {}
    for j, name in enumerate(names):
        if norms[j] == 0:
            dropped[name] = "constant"
            continue
        residual = centred[:, j] / norms[j]
        for _ in range(2):  # twice is enough (Kahan-Parlett)
            for q in basis:
                residual = residual - (q @ residual) * q
        size = np.linalg.norm(residual)
        if size <= tolerance:
            dropped[name] = f"a linear combination of {_combination(centred, kept, names, j)} (relative residual {size:.0e})"
        else:
            basis.append(residual / size)
            kept.append(j)
    return [names[j] for j in kept], dropped


def _combination(centred, kept, names, j) -> str:
    coefficients = np.linalg.lstsq(centred[:, kept], centred[:, j], rcond=None)[0] * np.linalg.norm(centred[:, kept], axis=0)
    involved = [names[k] for k, c in zip(kept, coefficients) if abs(c) > 1e-6 * np.abs(coefficients).max()]
    return ", ".join(involved)


@dataclass(frozen=True)
class PreparedIQMs:
    """IQMs ready for a statistic: ``paired`` holds the kept IQMs (raw units) or the PCA scores,
    ``excluded`` one row per IQM left out (``iqm, reason, detail``), ``reduction`` the PCA
    loadings and explained-variance table when ``reduce='pca'``."""

    paired: PairedIQMs
    excluded: pd.DataFrame
    reduction: dict | None = None


def prepare_iqms(
    paired: PairedIQMs,
    *,
    modality: str | None = None,
    selected=None,
    max_missing_share: float = 0.1,
    max_identical_share: float = 0.95,
    reduce: str = "none",
    fit_on: str | None = None,
    pca_rule="kaiser",
    standardise_within: bool = False,
) -> PreparedIQMs:
    """Drop the IQMs no valid statistic can use, say why, and optionally reduce by PCA.

    In order: the screen of :func:`screen_iqms` on all conditions pooled (with ``selected`` IQMs,
    only exact degeneracies: constant and catalogue identities); participants with a missing
    value in a kept IQM (listed in ``paired.dropped``); IQMs identical under every condition for
    every participant (``no_difference``: nothing to test, and a singular covariance) or shifted by
    the same amount for everyone (``constant_difference``: no variance to test against); then
    linear dependencies found by :func:`independent_columns` on the pooled values and on the
    differences from the first condition (``linear_dependence``). Degrees of freedom downstream
    are the number of kept columns, which is the numerical rank.

    ``reduce='pca'`` z-scores (per level of ``paired.between`` when ``standardise_within``) and
    fits the PCA on all conditions pooled, or on condition ``fit_on``, once; every condition
    gets the same transform. ``pca_rule`` is 'kaiser' or a share of explained variance.
    """
    check_choice("reduce", reduce, ("none", "pca"))
    if fit_on is not None:
        check_choice("fit_on", fit_on, paired.conditions)
    if standardise_within and (reduce != "pca" or paired.between is None):
        raise ParameterError("standardising within groups needs reduce='pca' and a between factor (--between)")
    names = list(paired.iqms)
    if selected is not None:
        unknown = [name for name in selected if name not in names]
        if unknown:
            raise ParameterError(f"unknown IQM {unknown[0]!r}. {did_you_mean(unknown[0], names)}")
        names = list(selected)
        max_missing_share = max_identical_share = 1.0
    values = paired.values[:, :, [paired.iqms.index(name) for name in names]]
    pooled = pd.DataFrame(values.reshape(-1, len(names)), columns=names)
    screen = screen_iqms(pooled, modality=modality, max_missing_share=max_missing_share,
                         max_identical_share=max_identical_share)
    excluded = [(row.iqm, row.reason, row.detail) for row in screen.itertuples() if not row.kept]
    kept = screen.loc[screen.kept, "iqm"].tolist()

    def columns(subset):
        return values[:, :, [names.index(name) for name in subset]]

    complete = ~np.isnan(columns(kept)).any(axis=(1, 2))
    if complete.sum() < 2:
        raise InsufficientDataError("fewer than two participants have every kept IQM under every condition")
    participants = [p for p, ok in zip(paired.participants, complete) if ok]
    dropped = [(p, "missing value in a kept IQM") for p, ok in zip(paired.participants, complete) if not ok]
    values = values[complete]

    for name in list(kept) if len(paired.conditions) > 1 else []:  # one condition: a reference, nothing to compare
        contrasts = columns([name])[:, :1, 0] - columns([name])[:, 1:, 0]
        if np.all(contrasts == 0):
            excluded.append((name, "no_difference", "identical under every condition for every participant"))
        elif np.any(np.ptp(contrasts, axis=0) <= CONSTANT_TOLERANCE * np.abs(columns([name])).max()):
            excluded.append((name, "constant_difference", "the same difference for every participant: no variance to test against"))
        else:
            continue
        kept.remove(name)
    first = paired.conditions[0]
    checks = [("pooled values", "images", lambda subset: columns(subset).reshape(-1, len(subset)))]
    checks += [
        (f"differences {first} - {other}", "pairs", lambda subset, j=j: columns(subset)[:, 0] - columns(subset)[:, j])
        for j, other in enumerate(paired.conditions[1:], start=1)
    ]
    for where, rows, matrix_of in checks:
        matrix = matrix_of(kept)
        if len(matrix) <= len(kept):  # dependencies forced by the shape say nothing about the IQMs
            if reduce == "pca":
                continue
            raise InsufficientDataError(
                f"{len(matrix)} {rows} for {len(kept)} IQMs after preparation: too few to estimate their "
                "covariance. Reduce the IQMs with --reduce pca, or name fewer with --iqms."
            )
        kept, dependent = independent_columns(matrix, kept)
        excluded += [(name, "linear_dependence", f"{detail}, in the {where}") for name, detail in dependent.items()]

    between = paired.between.loc[participants] if paired.between is not None else None
    all_dropped = pd.concat([paired.dropped, pd.DataFrame(dropped, columns=["participant", "reason"])], ignore_index=True)
    prepared = PairedIQMs(tuple(participants), paired.conditions, tuple(kept), columns(kept), between, all_dropped)
    reduction = None
    if reduce == "pca":
        reference = None if fit_on is None else paired.conditions.index(fit_on)
        z = standardise(prepared.values, fit_on=reference, groups=between.to_numpy() if standardise_within else None)
        scores, loadings, explained = pca_reduce(z, kept, fit_on=reference, rule=pca_rule)
        prepared = prepared.with_values(scores, loadings.columns)
        reduction = {
            "loadings": loadings, "explained": explained, "fit_on": fit_on or "all conditions pooled",
            "rule": pca_rule, "standardised_within": between.name if standardise_within else None,
        }
    return PreparedIQMs(prepared, pd.DataFrame(excluded, columns=EXCLUDED_COLUMNS), reduction)
