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

from ..errors import Param, ParameterError
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


def decisions(rules, excluded_a, excluded_b, participants, conditions) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``decisions.tsv`` and ``decision_flips.tsv`` of several rules at once: ``excluded_a`` and
    ``excluded_b`` are participants x rules arrays (1 excluded, 0 kept, NaN no decision; a
    participant without a decision under both conditions is left out of that rule's ``n``)."""
    a, b = np.asarray(excluded_a, dtype=float), np.asarray(excluded_b, dtype=float)
    both = ~(np.isnan(a) | np.isnan(b))
    in_a, in_b = (a == 1) & both, (b == 1) & both
    only_a, only_b = in_a & ~in_b, in_b & ~in_a
    counts_a, counts_b = only_a.sum(axis=0), only_b.sum(axis=0)
    table = pd.DataFrame(
        {
            "rule": list(rules),
            "n": both.sum(axis=0),
            "excluded_a": in_a.sum(axis=0),
            "excluded_b": in_b.sum(axis=0),
            "flips_a_only": counts_a,
            "flips_b_only": counts_b,
            "p_mcnemar_exact": [binomial_two_sided(int(x), int(x + y)) for x, y in zip(counts_a, counts_b)],
        }
    )
    people = np.asarray(participants, dtype=object)
    parts = [(rule, people[only_a[:, j]], conditions[0]) for j, rule in enumerate(rules)]
    parts += [(rule, people[only_b[:, j]], conditions[1]) for j, rule in enumerate(rules)]
    flips = pd.DataFrame(
        [(rule, person, condition) for rule, persons, condition in parts for person in persons], columns=FLIP_COLUMNS
    )
    order = {rule: k for k, rule in enumerate(rules)}
    flips = flips.assign(_rule=flips["rule"].map(order)).sort_values(["_rule", "participant"], kind="stable")
    return table, flips.drop(columns="_rule").reset_index(drop=True)


def decision_table(
    rule: str, excluded_a: pd.Series, excluded_b: pd.Series, conditions
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`decisions` of one rule, from Series of booleans indexed by participant (NaN: no decision)."""
    return decisions(
        [rule],
        excluded_a.to_numpy(dtype=float)[:, None],
        excluded_b.to_numpy(dtype=float)[:, None],
        excluded_a.index,
        conditions,
    )


def tables(results: list[tuple[pd.DataFrame, pd.DataFrame]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One ``decisions.tsv`` and one ``decision_flips.tsv`` from several (decisions, flips) pairs."""
    return (
        pd.concat([table for table, _ in results], ignore_index=True),
        pd.concat([flips for _, flips in results], ignore_index=True),
    )


def iqr_decisions(first: pd.DataFrame, second: pd.DataFrame, conditions, *, k: float = 1.5):
    """The IQR rule per measure and over any measure (see the module docstring): participants x
    measures tables of the two conditions (NaN where missing) -> (decisions, flips)."""
    a, b = first.to_numpy(dtype=float), second.to_numpy(dtype=float)
    q1, q3 = np.nanquantile(a, [0.25, 0.75], axis=0)
    low, high = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
    with np.errstate(invalid="ignore"):
        out_a = np.where(np.isnan(a), np.nan, (a < low) | (a > high))
        out_b = np.where(np.isnan(b), np.nan, (b < low) | (b > high))
    rules = [f"iqr:{name}" for name in first.columns]
    if len(rules) > 1:  # an outlier on any measure; a missing value never flags
        rules.append("iqr:any")
        out_a = np.column_stack([out_a, np.nansum(out_a, axis=1) > 0])
        out_b = np.column_stack([out_b, np.nansum(out_b, axis=1) > 0])
    return decisions(rules, out_a, out_b, first.index, conditions)


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
                f"{{0}}: column {name!r} holds {', '.join(values[:8])}; say which values mean excluded, e.g. {{1}}",
                Param("decision_columns", [name]),
                Param("decision_columns", {name: values[:1]}),
            )
        flags = text.str.lower().isin(EXCLUDED_VALUES)
    else:
        canonical = text.map(_canonical)
        absent = [v for v in excluded if _canonical(str(v).strip()) not in set(canonical[~empty])]
        if absent and values:
            raise ParameterError(
                f"{{0}}: column {name!r} never holds {', '.join(map(repr, absent))}; it holds "
                f"{', '.join(values[:8])}. Name the values that mean excluded, e.g. {{1}}",
                Param("decision_columns", {name: list(excluded)}),
                Param("decision_columns", {name: values[:1]}),
            )
        flags = canonical.isin([_canonical(str(v).strip()) for v in excluded])
    return flags.astype(float).where(~empty)


def _canonical(value: str) -> str:
    """A decision value compared as people mean it: -1, -1.0 and "-1" are one value."""
    try:
        number = float(value)
    except ValueError:
        return value
    return repr(number) if np.isfinite(number) else value
