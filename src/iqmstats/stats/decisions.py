"""Does quality control decide differently? Exclusion rules applied identically to both conditions.

Each rule excludes or keeps each participant's image under each condition; a participant
*flips* when the rule excludes their image under one condition only. Rules:

- ``iqr:<measure>``: the image is an outlier on the measure, below Q1 - k IQR or above
  Q3 + k IQR of the reference (first) condition's values, the quartiles fitted ONCE on the
  reference and applied to both conditions (numpy's default linear interpolation); ``iqr:any``:
  an outlier on any analysed measure;
- ``column:<name>``: a per-image decision the user brings (an automated classifier, a site's QC
  flag), see :func:`decision_values`;
- ``ratings:<threshold>``: a rating at or below the threshold (from ``analyse_ratings``).

``decisions.tsv`` (:data:`DECISION_COLUMNS`): participants with a decision under both conditions
(``n``), how many each condition excludes, the flips each way (``flips_a_only``: excluded under
the first condition only) and McNemar's exact test: the two-sided binomial test of
flips_a_only out of all flips at 1/2 (1 when nothing flips). ``decision_flips.tsv`` lists who
flips, per rule.

Examples
--------
>>> import pandas as pd
>>> a = pd.DataFrame({"efc": [0.50, 0.52, 0.51, 0.49, 0.90]}, index=list("pqrst"))
>>> b = pd.DataFrame({"efc": [0.50, 0.52, 0.80, 0.49, 0.52]}, index=list("pqrst"))
>>> table, flips = iqr_decisions(a, b, ("original", "defaced"), k=1.5)
>>> {k: v for k, v in table.to_dict("records")[0].items() if k != "p_mcnemar_exact"}
{'rule': 'iqr:efc', 'n': 5, 'excluded_a': 1, 'excluded_b': 1, 'flips_a_only': 1, 'flips_b_only': 1}
>>> flips[["rule", "participant", "excluded_under"]].values.tolist()[:2]
[['iqr:efc', 'r', 'defaced'], ['iqr:efc', 't', 'original']]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError, Param, ParameterError, literal
from .distributions import binomial_two_sided

DECISION_COLUMNS = ["rule", "n", "excluded_a", "excluded_b", "flips_a_only", "flips_b_only", "p_mcnemar_exact"]
FLIP_COLUMNS = ["rule", "participant", "excluded_under"]
#: Values of a decision column read as "excluded" and as "kept" (case-insensitive).
EXCLUDED_VALUES = frozenset(
    {"exclude", "excluded", "fail", "failed", "reject", "rejected", "bad", "poor", "true", "yes", "1"}
)
KEPT_VALUES = frozenset(
    {"include", "included", "pass", "passed", "accept", "accepted", "good", "ok", "false", "no", "0"}
)


def decision_table(rule: str, excluded_a: pd.Series, excluded_b: pd.Series, conditions) -> tuple[tuple, pd.DataFrame]:
    """The ``decisions.tsv`` row of one rule and its flips, from booleans per participant (NaN:
    no decision; such participants are left out of ``n``)."""
    both = excluded_a.notna() & excluded_b.notna()
    a, b = excluded_a[both].astype(bool), excluded_b[both].astype(bool)
    only_a, only_b = a & ~b, ~a & b
    flips = pd.DataFrame(
        {
            "rule": rule,
            "participant": list(a.index[only_a]) + list(b.index[only_b]),
            "excluded_under": [conditions[0]] * int(only_a.sum()) + [conditions[1]] * int(only_b.sum()),
        }
    )
    flips = flips.sort_values("participant", kind="stable", ignore_index=True)
    count_a, count_b = int(only_a.sum()), int(only_b.sum())
    row = (
        rule,
        int(both.sum()),
        int(a.sum()),
        int(b.sum()),
        count_a,
        count_b,
        binomial_two_sided(count_a, count_a + count_b),
    )
    return row, flips[FLIP_COLUMNS]


def tables(results: list[tuple[tuple, pd.DataFrame]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``decisions.tsv`` and ``decision_flips.tsv`` from (row, flips) pairs."""
    rows = pd.DataFrame([row for row, _ in results], columns=DECISION_COLUMNS)
    flips = [f for _, f in results if len(f)]
    return rows, (pd.concat(flips, ignore_index=True) if flips else pd.DataFrame(columns=FLIP_COLUMNS))


def iqr_decisions(first: pd.DataFrame, second: pd.DataFrame, conditions, *, k: float = 1.5):
    """The IQR rule per measure and over any measure (see the module docstring): participants x
    measures tables of the two conditions (NaN where missing) -> (decisions, flips)."""
    results, any_a, any_b = [], pd.Series(False, index=first.index), pd.Series(False, index=first.index)
    for name in first.columns:
        reference = first[name].dropna().to_numpy()
        q1, q3 = np.quantile(reference, [0.25, 0.75])
        low, high = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
        outlier = [
            column.where(column.isna(), (column < low) | (column > high)) for column in (first[name], second[name])
        ]
        results.append(decision_table(f"iqr:{name}", outlier[0], outlier[1], conditions))
        any_a |= outlier[0].fillna(False).astype(bool)
        any_b |= outlier[1].fillna(False).astype(bool)
    if len(first.columns) > 1:
        results.append(decision_table("iqr:any", any_a, any_b, conditions))
    return tables(results)


def decision_values(column: pd.Series, name: str, excluded=None) -> pd.Series:
    """A per-image decision column as booleans (True: excluded; NaN where empty).

    ``excluded`` lists the values that mean "excluded"; without it the column must hold words
    whose meaning is known (exclude/include, fail/pass, reject/accept, bad/good, true/false,
    yes/no, 1/0: :data:`EXCLUDED_VALUES`, :data:`KEPT_VALUES`), else it is refused, listing its
    values."""
    text = column.astype(str).str.strip()
    empty = text.isin(["", "n/a", "nan", "NaN", "None"])
    values = sorted(set(text[~empty]))
    if excluded is None:
        unknown = [v for v in values if v.lower() not in EXCLUDED_VALUES | KEPT_VALUES]
        if unknown:
            raise ParameterError(
                f"{{0}}: column {name!r} holds {literal(', '.join(values[:8]))}; say which values mean excluded, e.g. {{1}}",
                Param("decision_columns", [name]),
                Param("decision_columns", {name: values[:1]}),
            )
        flags = text.str.lower().isin(EXCLUDED_VALUES)
    else:
        absent = [v for v in excluded if v not in values]
        if absent and values:
            raise InputError(
                f"decision column {name!r} never holds {', '.join(map(repr, absent))}; it holds {', '.join(values[:8])}"
            )
        flags = text.isin(list(excluded))
    return flags.astype(float).where(~empty)
