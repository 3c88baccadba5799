"""The one place that composes reading, screening and (later) pairing, statistics and reports.

Examples
--------
>>> from iqmstats.examples import load_example
>>> summary = summarise_study(load_example("ixi-iqms"), participant="sub", condition="defaced")
>>> summary["n_participants"], summary["conditions"], summary["complete_participants"]
(579, {'0': 579, '1': 579}, 579)
>>> int(summary["screen"].kept.sum())
53
"""

from __future__ import annotations

from .errors import InputError, did_you_mean
from .io import IQMTable
from .stats import screen_iqms


def summarise_study(table: IQMTable, *, participant: str, condition: str) -> dict:
    """Who is in the table, under which conditions, and which IQMs could be analysed.

    Returns a dict with ``n_images``, ``n_participants``, ``conditions`` (images per condition),
    ``complete_participants`` (participants seen under every condition) and ``screen`` (the
    :func:`iqmstats.stats.screen_iqms` table).
    """
    for column in (participant, condition):
        if column not in table.id_columns:
            raise InputError(f"no column {column!r} in {table.source}. {did_you_mean(column, table.id_columns)}")
    data = table.data
    per_participant = data.groupby(participant)[condition].nunique()
    n_conditions = data[condition].nunique()
    return {
        "n_images": len(data),
        "n_participants": int(data[participant].nunique()),
        "conditions": data[condition].value_counts().sort_index().to_dict(),
        "complete_participants": int((per_participant == n_conditions).sum()),
        "screen": screen_iqms(table.values, modality=table.modality),
    }
