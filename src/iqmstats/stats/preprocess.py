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

import pandas as pd

from .. import catalogue
from ..errors import ParameterError

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
