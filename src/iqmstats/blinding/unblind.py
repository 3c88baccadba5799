"""Map blinded records back to participant, condition and presentation through a key.

Lookups are dictionary look-ups, O(1) per record (the seed's ``get_key`` scanned the whole key
for every file); see :meth:`BlindingKey.row_finder` for how ids match.

Examples
--------
>>> from iqmstats.examples import example_path, load_example
>>> from iqmstats.blinding.keys import read_key
>>> study = load_example("ixi-iqms")
>>> unblinded = unblind(study.data, read_key(example_path("ixi-key")))
>>> unblinded.loc[0, ["bids_name", "sub", "defaced", "participant", "condition"]].tolist()
['sub-0001_T1w', '177', '1', '177', 'defaced']
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from ..errors import BlindingError
from ..io import IQMTable
from ..io.bids import parse_bids_name
from .keys import BlindingKey

UNBLINDED_COLUMNS = ["participant", "condition", "presentation"]


def unblind(records, key: BlindingKey, *, id_column: str = "subject", unique: bool = True):
    """Add ``participant``, ``condition`` and ``presentation`` to blinded records.

    Parameters
    ----------
    records : DataFrame or IQMTable
        Records made on the blinded data; ``id_column`` holds the blinded id (``0444``) or a
        blinded BIDS name (``sub-0444_T1w``).
    key : BlindingKey
        From :func:`iqmstats.blinding.read_key`.
    unique : bool
        Refuse records whose blinded id appears twice (one image read twice). Ratings, where
        several raters rate each image, pass False.

    Returns the same type as ``records``, with the three columns after ``id_column``.
    """
    if isinstance(records, IQMTable):
        return dataclasses.replace(records, data=unblind(records.data, key, id_column=id_column, unique=unique))
    if id_column not in records:
        raise BlindingError(f"the records have no column {id_column!r} holding the blinded ids")
    if any(column in records for column in UNBLINDED_COLUMNS):
        clash = [c for c in UNBLINDED_COLUMNS if c in records]
        raise BlindingError(f"the records already have {', '.join(clash)}: are they unblinded already?")
    blinded = records[id_column].map(_blinded_id)
    if unique:
        twice = blinded[blinded.duplicated(keep=False)]
        if len(twice):
            raise BlindingError(
                f"blinded id {twice.iloc[0]} appears {int((blinded == twice.iloc[0]).sum())} times in the records "
                f"({twice.nunique()} such id(s)); each image must appear once. Remove the duplicates."
            )
    rows = blinded.map(key.row_finder())
    absent = blinded[rows.isna()]
    if len(absent):
        shown = ", ".join(absent.unique()[:5])
        raise BlindingError(
            f"{absent.nunique()} blinded id(s) are not in the key ({shown}{', ...' if absent.nunique() > 5 else ''}). "
            "Is this the key of this blinded dataset?"
        )
    found = key.entries.iloc[rows.astype(int).to_numpy()][UNBLINDED_COLUMNS].set_axis(records.index)
    at = records.columns.get_loc(id_column) + 1
    columns = list(records.columns[:at]) + UNBLINDED_COLUMNS + list(records.columns[at:])
    return pd.concat([records, found], axis=1)[columns]


def _blinded_id(value) -> str:
    """``sub-0444_T1w`` -> ``0444``; a bare id is returned as a string."""
    text = str(value)
    entities = parse_bids_name(text) if text.startswith("sub-") else None
    if entities:
        return entities["subject"]
    return text.removeprefix("sub-")
