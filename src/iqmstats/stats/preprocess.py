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

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import catalogue
from ..errors import InsufficientDataError, Param, ParameterError, check_choice
from ..pairing import PairedIQMs
from .reduction import pca_reduce, standardise

#: Values that vary by less than this share of their magnitude are numerically constant.
RELATIVE_SPREAD_FLOOR = 1e-4
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
        one value in at least ``max_identical_share`` of the images, or values that vary by
        less than :data:`RELATIVE_SPREAD_FLOOR` of their magnitude (SD / |mean|): numerically
        constant, e.g. a summary MRIQC fixes by its intensity normalisation (summary_wm_median
        of about 1000 in every image, in some MRIQC versions).
    ``redundant``
        an exact identity of the catalogue holds in these data (``icvs_*`` sum to 1; ``snr_total``,
        ``snrd_total``, ``fwhm_avg`` are means of their parts): the parts are kept and the
        implied IQM is dropped.

    Returns one row per IQM with columns ``iqm, kept, reason, detail`` (reason ``kept`` for
    the IQMs that stay).
    """
    for name, share in (("max_missing_share", max_missing_share), ("max_identical_share", max_identical_share)):
        if not 0 < share <= 1:
            raise ParameterError("{0}: must be a share in (0, 1]", Param(name, share))
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
        elif (spread := present.std() / abs(present.mean()) if present.mean() else np.inf) < RELATIVE_SPREAD_FLOOR:
            verdicts[iqm] = (
                "near_constant",
                f"{present.mean():.6g} with a relative SD of {spread:.1g} (under {RELATIVE_SPREAD_FLOOR:g}): constant in practice",
            )
    for dependency in catalogue.dependencies(modality) if modality else ():
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
    basis: list[np.ndarray] = []
    kept: list[int] = []
    dropped: dict[str, str] = {}
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
            dropped[name] = (
                f"a linear combination of {_combination(centred, kept, names, j)} (relative residual {size:.0e})"
            )
        else:
            basis.append(residual / size)
            kept.append(j)
    return [names[j] for j in kept], dropped


def _combination(centred, kept, names, j) -> str:
    coefficients = np.linalg.lstsq(centred[:, kept], centred[:, j], rcond=None)[0] * np.linalg.norm(
        centred[:, kept], axis=0
    )
    involved = [names[k] for k, c in zip(kept, coefficients) if abs(c) > 1e-6 * np.abs(coefficients).max()]
    return ", ".join(involved)


@dataclass(frozen=True)
class PreparedIQMs:
    """Measures ready for the statistics.

    ``kept`` holds the measures kept for analysis, in their own units, for every paired
    participant (missing values stay missing); ``paired`` what the per-measure tests analyse
    (``kept``, or the PCA scores with ``reduce='pca'``); ``complete`` the
    participants with every analysed measure, the input of the multivariate tests (the PCA
    scores with ``reduce='pca'``); ``left_out`` (participant, reason) who is not in ``complete``
    and because of which measures; ``excluded`` one row per measure no test uses (``iqm, reason,
    detail``); ``reduction`` the PCA loadings and explained-variance table.
    """

    kept: PairedIQMs
    paired: PairedIQMs
    complete: PairedIQMs
    excluded: pd.DataFrame
    left_out: pd.DataFrame
    reduction: dict | None = None


def prepare_iqms(
    paired: PairedIQMs,
    *,
    modality: str | None = None,
    named: bool = False,
    max_missing_share: float = 0.1,
    max_identical_share: float = 0.95,
    reduce: str | None = None,
    fit_on: str | None = None,
    pca_rule="kaiser",
    standardise_within: bool = False,
) -> PreparedIQMs:
    """Drop the measures no valid statistic can use, say why, and optionally reduce by PCA.

    In order: the screen of :func:`screen_iqms` on all conditions pooled (for measures the user
    ``named``, only exact degeneracies: constant and catalogue identities); measures identical
    under every condition for every participant (``no_difference``: nothing to test) or shifted
    by the same amount for everyone (``constant_difference``: no variance to test against);
    then, on the participants with every remaining measure (``complete``), linear dependencies
    found by :func:`independent_columns` on the pooled values and on the differences from the
    first condition (``linear_dependence``), unless there are too few participants for any
    covariance (then the multivariate tests say they cannot run). Degrees of freedom downstream
    are the number of kept columns, which is the numerical rank.

    ``reduce='pca'`` z-scores (per level of ``paired.between`` when ``standardise_within``) and
    fits the PCA on the complete participants' conditions pooled, or on condition ``fit_on``,
    once; every condition gets the same transform. ``pca_rule`` is 'kaiser' or a share of
    explained variance.
    """
    if fit_on is not None:
        check_choice("fit_on", fit_on, paired.conditions)
    if standardise_within and (reduce != "pca" or paired.between is None):
        raise ParameterError(
            "{0} needs a PCA and a between factor: give {1} and {2}",
            Param("standardise_within", True),
            Param("reduce", "pca"),
            Param("between"),
        )
    if named:
        max_missing_share = max_identical_share = 1.0
    names = list(paired.iqms)
    pooled = pd.DataFrame(paired.values.reshape(-1, len(names)), columns=names)
    screen = screen_iqms(
        pooled, modality=modality, max_missing_share=max_missing_share, max_identical_share=max_identical_share
    )
    excluded = [(row.iqm, row.reason, row.detail) for row in screen.itertuples() if not row.kept]
    kept = screen.loc[screen.kept, "iqm"].tolist()
    for name in kept[:] if len(paired.conditions) > 1 else []:  # one condition: a reference, nothing to compare
        column = paired.values[:, :, names.index(name)]
        contrasts = column[:, :1] - column[:, 1:]
        present = ~np.isnan(contrasts).any(axis=1)
        if present.sum() < 2:
            excluded.append(
                (name, "missing", f"{present.sum()} participant(s) have it under every condition; tests need 2")
            )
        elif np.all(contrasts[present] == 0):
            excluded.append((name, "no_difference", "identical under every condition for every participant"))
        elif np.any(np.ptp(contrasts[present], axis=0) <= CONSTANT_TOLERANCE * np.nanmax(np.abs(column))):
            excluded.append(
                (name, "constant_difference", "the same difference for every participant: no variance to test against")
            )
        else:
            continue
        kept.remove(name)
    analysed = paired.with_values(paired.values[:, :, [names.index(name) for name in kept]], kept)
    kept, dependent = _independent(analysed.complete())
    excluded += dependent
    analysed = analysed.with_values(analysed.values[:, :, [analysed.iqms.index(name) for name in kept]], kept)
    complete, left_out = analysed.complete(), _left_out(analysed)  # dropping a measure can only add participants
    kept_values = analysed
    reduction = None
    if reduce == "pca":
        if complete.n < 3 or not kept:
            raise InsufficientDataError(
                f"a PCA needs at least 3 participants with every measure under every condition, and "
                f"{complete.n} have them: analyse without {{0}}",
                Param("reduce", "pca"),
            )
        reference = None if fit_on is None else paired.conditions.index(fit_on)
        groups = complete.between.to_numpy() if standardise_within and complete.between is not None else None
        z = standardise(complete.values, fit_on=reference, groups=groups)
        scores, loadings, explained = pca_reduce(z, kept, fit_on=reference, rule=pca_rule)
        complete = complete.with_values(scores, loadings.columns)
        analysed = complete
        reduction = {
            "loadings": loadings,
            "explained": explained,
            "fit_on": fit_on or "all conditions pooled",
            "rule": pca_rule,
            "standardised_within": paired.between.name if standardise_within and paired.between is not None else None,
        }
    return PreparedIQMs(
        kept_values, analysed, complete, pd.DataFrame(excluded, columns=EXCLUDED_COLUMNS), left_out, reduction
    )


def _left_out(analysed: PairedIQMs) -> pd.DataFrame:
    """Participants missing an analysed measure under some condition, and which measures."""
    missing = np.isnan(analysed.values).any(axis=1)  # participants x measures
    rows = [
        (p, "missing " + ", ".join(name for name, gone in zip(analysed.iqms, row) if gone))
        for p, row in zip(analysed.participants, missing)
        if row.any()
    ]
    return pd.DataFrame(rows, columns=["participant", "reason"])


def _independent(complete: PairedIQMs) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Measures kept after the rank checks on the pooled values and the differences (skipped
    when the shape alone forces a dependency: the multivariate tests then refuse with the reason)."""
    kept: list[str] = list(complete.iqms)
    excluded: list[tuple[str, str, str]] = []
    if not kept or complete.n == 0:
        return kept, excluded
    values = complete.values
    first = complete.conditions[0]
    checks: list[tuple[str, Callable]] = [
        ("pooled values", lambda columns: values[:, :, columns].reshape(-1, len(columns)))
    ]
    checks += [
        (f"differences {first} - {other}", lambda columns, j=j: values[:, 0, columns] - values[:, j, columns])
        for j, other in enumerate(complete.conditions[1:], start=1)
    ]
    for where, matrix_of in checks:
        matrix = matrix_of([complete.iqms.index(name) for name in kept])
        if len(matrix) <= len(kept) or not kept:
            continue
        kept, dependent = independent_columns(matrix, kept)
        excluded += [(name, "linear_dependence", f"{detail}, in the {where}") for name, detail in dependent.items()]
    return kept, excluded
