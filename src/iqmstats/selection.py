"""Which images enter the comparison: one row per participant and condition.

A study may hold several images per participant and condition: bold runs of several tasks, T1w
runs, repeated presentations of a blinded image. :func:`select_images` makes the choice explicit:

- ``where={'task': ['rest']}`` keeps the images whose column holds one of the values;
- ``average_over=['run']`` averages each measure over the images that differ only in those
  columns (within participant x condition x every other entity), recording how many images
  each row averages in ``n_images``;
- repeated presentations of one image (a ``presentation`` column, as unblinding adds) are
  resolved by ``repeats``: 'first' keeps presentation 1, 'random' a seeded random one, 'mean'
  their mean;
- anything still repeated is refused, naming the entities that vary.

Examples
--------
>>> import pandas as pd
>>> images = pd.DataFrame({"subject": ["01"] * 4, "session": ["1", "1", "2", "2"], "run": ["1", "2"] * 2,
...                        "tsnr": [40.0, 42.0, 39.0, 43.0]})
>>> chosen = select_images(images, measures=["tsnr"], participant="subject", condition="session",
...                        conditions=("1", "2"), average_over=("run",))
>>> chosen.rows[["subject", "session", "tsnr", "n_images"]].values.tolist()
[['01', '1', 41.0, 2], ['01', '2', 41.0, 2]]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import PairingError, Param, ParameterError, did_you_mean
from .io.bids import ENTITY_COLUMNS

_ENTITIES = (*tuple(ENTITY_COLUMNS.values()), "suffix")


@dataclass(frozen=True)
class Selection:
    """The chosen rows (one per participant and condition), the conditions in order, and what
    was done: ``notes`` in words, ``dropped`` (participant, reason) for repeats resolved."""

    rows: pd.DataFrame
    conditions: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)


def choose_conditions(
    present, conditions, *, column: str, parameter: str = "conditions"
) -> tuple[tuple[str, ...], list[str]]:
    """The conditions to compare, in order, and a note when they were not given.

    Given ones must be present (did-you-mean); without them, a column holding exactly two
    conditions is compared in sorted order, and the note says which comes first.
    """
    present = sorted(str(value) for value in present)
    if conditions is None:
        if len(present) != 2:
            raise ParameterError(
                f"{{0}}: name the conditions to compare, in order (differences are first minus second); column "
                f"{column!r} holds {len(present)}: {', '.join(present[:12]) or 'none'}",
                Param(parameter, present[:2]),
            )
        return tuple(present), [
            f"conditions not given: comparing {present[0]} and {present[1]} in sorted order "
            f"(differences {present[0]} - {present[1]})"
        ]
    for name in conditions:
        if name not in present:
            raise ParameterError(
                f"{{0}}: {name!r} is not a value of column {column!r}. {did_you_mean(name, present)}",
                Param(parameter, list(conditions)),
            )
    return tuple(conditions), []


def select_images(
    frame: pd.DataFrame,
    *,
    measures,
    participant: str,
    condition: str,
    conditions=None,
    where=None,
    average_over=None,
    repeats: str = "first",
    between: str | None = None,
    seed: int = 0,
) -> Selection:
    """One row per participant and condition (see the module docstring)."""
    measures = list(measures)
    identifiers = [c for c in frame.columns if c not in measures]
    for parameter, column in [
        ("participant", participant),
        ("condition", condition),
        ("between", between),
        *(("where", c) for c in (where or {})),
        *(("average_over", c) for c in (average_over or ())),
    ]:
        if column is not None and column not in frame:
            role = {"participant": "the participants", "condition": "the conditions"}.get(parameter, "it")
            raise ParameterError(
                f"{{0}}: no column {column!r} to take {role} from. {did_you_mean(column, identifiers)}",
                Param(
                    parameter,
                    column
                    if parameter not in ("where", "average_over")
                    else {"where": where, "average_over": average_over}[parameter],
                ),
            )
    rows = frame.copy()
    for column in (participant, condition):
        rows[column] = rows[column].astype(str)
    notes = []
    for column, wanted in (where or {}).items():
        present = sorted(rows[column].astype(str).unique())
        for value in wanted:
            if value not in present:
                raise ParameterError(
                    f"{{0}}: column {column!r} has no value {value!r}. {did_you_mean(value, present)}",
                    Param("where", where),
                )
        rows = rows[rows[column].astype(str).isin(wanted)]
        notes.append(f"kept the images whose {column} is {' or '.join(wanted)}")
    conditions, told = choose_conditions(rows[condition].unique(), conditions, column=condition)
    notes += told
    rows = rows[rows[condition].isin(conditions)]
    if rows.empty:
        raise PairingError("no image is left under the conditions chosen")
    rows = rows.assign(n_images=1)
    if average_over:
        rows, note = _average(rows, measures, participant, condition, list(average_over))
        notes.append(note)
    rows, dropped = _resolve_repeats(rows, measures, participant, condition, repeats, seed)
    _refuse_duplicates(rows, participant, condition, average_over)
    return Selection(rows.reset_index(drop=True), conditions, notes, dropped)


def _average(rows, measures, participant, condition, over):
    """Mean of each measure over the images that differ only in the ``over`` columns."""
    keys = [participant, condition] + [
        c for c in _ENTITIES if c in rows and c not in over and c not in (participant, condition)
    ]
    keys = [c for c in keys if not (c == "subject" and participant != "subject")]
    others = [c for c in rows.columns if c not in keys and c not in measures and c not in over and c != "n_images"]
    constant = [c for c in others if rows.groupby(keys, sort=False)[c].nunique(dropna=False).max() <= 1]
    grouped = rows.groupby(keys, sort=False, dropna=False)
    averaged = grouped[measures].mean().join(grouped["n_images"].sum()).join(grouped[constant].first())
    averaged = averaged.reset_index()
    counts = averaged["n_images"]
    return averaged, (
        f"averaged the measures over {', '.join(over)}: {counts.min()} to {counts.max()} images per row"
        if counts.min() != counts.max()
        else f"averaged the measures over {', '.join(over)}: {counts.min()} images per row"
    )


def _resolve_repeats(rows, measures, participant, condition, policy, seed):
    """Repeated presentations of one image: keep presentation 1, a random one, or their mean."""
    keys = [participant, condition]
    repeated = rows.duplicated(keys, keep=False)
    if not repeated.any() or "presentation" not in rows:
        return rows, []
    presentations = rows["presentation"].astype(str)
    distinct = ~rows[repeated].assign(_p=presentations[repeated]).duplicated([*keys, "_p"], keep=False)
    if not distinct.all():
        return rows, []  # not presentations of one image: the duplicate check names them
    participants = sorted(rows.loc[repeated, participant].unique())
    note = f"repeated presentations resolved by '{policy}'"
    if policy == "mean":
        means = rows[repeated].groupby(keys, as_index=False, sort=False)[measures].mean()
        firsts = rows[repeated].drop_duplicates(keys).drop(columns=measures)
        kept = pd.concat([rows[~repeated], firsts.merge(means, on=keys)], ignore_index=True)
    else:
        order = (
            pd.to_numeric(presentations, errors="coerce")
            if policy == "first"
            else pd.Series(np.random.default_rng(seed).permutation(len(rows)), index=rows.index)
        )
        kept = (
            rows.assign(_order=order).sort_values("_order", kind="stable").drop_duplicates(keys).drop(columns="_order")
        )
    return kept, [(p, note) for p in participants]


def _refuse_duplicates(rows, participant, condition, average_over) -> None:
    keys = [participant, condition]
    repeated = rows[rows.duplicated(keys, keep=False)]
    if repeated.empty:
        return
    first = repeated.iloc[0]
    group = repeated[(repeated[participant] == first[participant]) & (repeated[condition] == first[condition])]
    pairs = repeated[keys].drop_duplicates()
    where = f"participant {first[participant]}, {condition} {first[condition]}"
    varying = [(c, group[c].nunique()) for c in _ENTITIES if c in group and c not in keys and group[c].nunique() > 1]
    if not varying:
        raise PairingError(
            f"{len(pairs)} participant/condition pair(s) appear in more than one row, e.g. {where} "
            f"({len(group)} rows with the same entities); remove the duplicates (two files for one image?)."
        )
    described = " and ".join(f"{c} takes {n} values" for c, n in varying)
    column, _ = varying[0]
    values = sorted(group[column].astype(str).unique())
    averaging = [c for c, _ in varying if c in ("run", "echo", "chunk")] or [varying[-1][0]]
    already = f" (after averaging over {', '.join(average_over)})" if average_over else ""
    raise PairingError(
        f"several images per participant and condition{already}: {described} within {where} "
        f"({len(pairs)} such pairs). Choose with {{0}}, or average with {{1}}",
        Param("where", {column: values[0]}),
        Param("average_over", averaging),
    )
