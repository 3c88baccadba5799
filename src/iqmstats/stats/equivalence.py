"""Is the change negligible? Two one-sided tests (TOST) of equivalence on the paired differences.

With d = A - B (first minus second condition), n pairs, SE = sd(d) / sqrt(n), df = n - 1 and an
equivalence interval [L, U] (L < 0 < U):

- ``p_lower``: one-sided paired t-test of H0: mean(d) <= L (R: ``t.test(a, b, paired = TRUE,
  mu = L, alternative = "greater")``); ``p_upper``: of H0: mean(d) >= U (``mu = U, "less"``);
- ``p_tost`` = max(p_lower, p_upper), Holm-corrected across measures in ``p_tost_holm``;
- ``ci90_lower``, ``ci90_upper``: mean(d) -/+ t(1 - alpha, df) SE, the 1 - 2 alpha interval
  (90% at alpha = 0.05) whose inclusion in [L, U] is the same decision as TOST;
- ``verdict``: ``equivalent`` when p_tost_holm < alpha; ``beyond_margin`` when the interval lies
  wholly outside [L, U]; otherwise ``inconclusive``.

A margin ``M`` in reference SDs gives [-M SD_ref, M SD_ref], SD_ref the between-participant SD
(ddof = 1) of the reference condition over the participants analysed for that measure; raw
margins give [-m, m] in the measure's units. A margin estimated from the data is itself
uncertain: ``sd_reference_rse`` is SD_ref's relative standard error, sqrt((kurtosis - (n - 3) /
(n - 1)) / n) / 2, and ``note`` flags measures whose kurtosis exceeds :data:`HEAVY_TAILS`
(twice the normal standard error; simulations of TOST at the margin are then liberal): give
those a raw margin. Checked against base R's ``t.test``:
``tests/stats/reference/equivalence.R``.

Examples
--------
>>> import pandas as pd
>>> a = pd.DataFrame({"cjv": [0.50, 0.61, 0.45, 0.58, 0.52, 0.49, 0.55, 0.47]})
>>> b = a.assign(cjv=a.cjv + [0.01, -0.02, 0.005, 0.015, -0.005, 0.01, 0.0, -0.01])
>>> row = equivalence_tests(a, b, margin=0.5).iloc[0]  # R: t.test(a, b, paired = TRUE, mu = -0.0275730, "greater")
>>> round(float(row.margin_upper), 4), round(float(row.p_tost), 6), row.verdict
(0.0276, 0.000172, 'equivalent')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import Param, ParameterError
from .distributions import t_quantile, t_sf
from .univariate import adjust

#: Column contract of ``equivalence.tsv``; columns may be added, never renamed.
EQUIVALENCE_COLUMNS = [
    "iqm",
    "n",
    "bias",
    "margin_lower",
    "margin_upper",
    "ci90_lower",
    "ci90_upper",
    "p_lower",
    "p_upper",
    "p_tost",
    "p_tost_holm",
    "verdict",
    "margin",
    "margin_units",
    "sd_reference",
    "sd_reference_rse",
    "note",
]
#: Above this kurtosis the reference SD's standard error is more than twice a normal sample's:
#: a margin in SD units then moves with it, and TOST at the margin becomes liberal.
HEAVY_TAILS = 9.0


def equivalence_tests(
    first: pd.DataFrame,
    second: pd.DataFrame,
    *,
    margin: float | None = None,
    margins: dict | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """TOST per measure (columns :data:`EQUIVALENCE_COLUMNS`; see the module docstring).

    ``first`` is the reference condition (participants x measures, NaN where missing). Give
    ``margin`` in reference SDs, or ``margins`` {measure: margin in raw units}; a measure
    without a raw margin is refused, naming it.
    """
    if (margin is None) == (margins is None):
        raise ParameterError(
            "give one of {0} (in reference SDs) or {1} (raw units per measure)", Param("margin", 0.2), Param("margins")
        )
    if margins is not None:
        absent = [name for name in first.columns if name not in margins]
        if absent:
            covered = [name for name in first.columns if name in margins]
            raise ParameterError(
                f"{{0}}: no margin for {len(absent)} of the {first.shape[1]} measures analysed "
                f"({', '.join(absent[:5])}{', ...' if len(absent) > 5 else ''}). Give every measure a margin, "
                + ("or analyse only those with one: {1}" if covered else "or give one margin in reference SDs: {1}"),
                Param("margins"),
                Param("measures", covered) if covered else Param("margin", 0.2),
            )
    rows = []
    for name in first.columns:
        a, b = first[name].to_numpy(dtype=float), second[name].to_numpy(dtype=float)
        present = ~(np.isnan(a) | np.isnan(b))
        a, b = a[present], b[present]
        n = len(a)
        d = a - b
        sd_reference = a.std(ddof=1) if n > 1 else np.nan
        half_width = float(margins[name]) if margins is not None else float(margin or 0) * sd_reference
        lower, upper = -half_width, half_width
        bias, se = d.mean(), d.std(ddof=1) / np.sqrt(n)
        df = n - 1
        p_lower, p_upper = float(t_sf((bias - lower) / se, df)), float(t_sf((upper - bias) / se, df))
        half = t_quantile(1 - alpha, df) * se
        kurtosis = float(np.mean((a - a.mean()) ** 4) / np.var(a) ** 2) if n > 1 and np.var(a) > 0 else np.nan
        rse = float(np.sqrt(max(kurtosis - (n - 3) / (n - 1), 0) / n) / 2) if n > 1 else np.nan
        note = (
            f"SD_ref is imprecise (kurtosis {kurtosis:.3g}): a margin in SD units moves with it; give a raw margin"
            if margins is None and kurtosis > HEAVY_TAILS
            else ""
        )
        rows.append(
            (
                name,
                n,
                bias,
                lower,
                upper,
                bias - half,
                bias + half,
                p_lower,
                p_upper,
                max(p_lower, p_upper),
                margin if margins is None else margins[name],
                "reference SD" if margins is None else "raw",
                sd_reference,
                rse,
                note,
            )
        )
    table = pd.DataFrame(rows, columns=[c for c in EQUIVALENCE_COLUMNS if c not in ("p_tost_holm", "verdict")])
    table["p_tost_holm"] = adjust(table["p_tost"].to_numpy(), "holm")
    outside = (table["ci90_lower"] > table["margin_upper"]) | (table["ci90_upper"] < table["margin_lower"])
    table["verdict"] = np.where(
        table["p_tost_holm"] < alpha, "equivalent", np.where(outside, "beyond_margin", "inconclusive")
    )
    return table[EQUIVALENCE_COLUMNS]
