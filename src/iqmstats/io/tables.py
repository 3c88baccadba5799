"""Read IQM tables: MRIQC group TSVs and already-tabulated CSV/TSV (such as ``S2_Data.csv``).

In an MRIQC group table (``group_<modality>.tsv``) every column but ``bids_name`` and the
size/spacing columns is an IQM. In any other table the IQMs are the columns the catalogue knows
for the modality, and the other columns (participant, condition, site, ...) are kept as string
identifiers, so ``0017`` stays ``0017``. Empty and ``n/a`` cells are read as missing values and
counted in ``IQMTable.missing``; any other non-number is invalid.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import catalogue
from ..errors import InputError
from .bids import parse_bids_name
from .iqmtable import IQMTable, build_table
from .records import handle_invalid

#: Cells of a table that mean "no value" (BIDS writes ``n/a``).
MISSING_TOKENS = frozenset({"", "n/a", "N/A", "NA", "NaN", "nan"})
_GROUP_TABLE = re.compile(r"group_(\w+)\.tsv")


def read_table(path, *, modality=None, iqm_sets="strict", on_invalid="raise") -> IQMTable:
    """Read a group TSV or a CSV/TSV with one row per image (see :func:`iqmstats.read_iqms`)."""
    path = Path(path)
    frame = read_plain_table(path)
    group = _GROUP_TABLE.fullmatch(path.name)
    set_aside = [c for c in frame.columns if not catalogue.is_iqm_key(c)]
    modality = modality or (group and group.group(1)) or _table_modality(frame)
    if group:
        iqms = [c for c in frame.columns if c != "bids_name" and c not in set_aside]
    else:
        known = catalogue.iqm_names(modality) if modality in catalogue.MODALITIES else catalogue.IQMS
        iqms = [c for c in frame.columns if c in known]
    if not iqms:
        raise InputError(
            f"{path}: no column is an IQM MRIQC writes (such as cjv, efc, fber, tsnr). "
            "Is this an MRIQC group table or a table of IQMs?"
        )
    values, missing, invalid_rows = _numeric_block(frame[iqms])
    names = frame["bids_name"] if "bids_name" in frame else None
    invalid = [
        (f"{path.name} line {i + 2}" + (f" ({names.iloc[i]})" if names is not None else ""), problem)
        for i, problem in invalid_rows.items()
    ]
    skipped = handle_invalid(invalid, on_invalid)
    keep = np.ones(len(frame), dtype=bool)
    keep[list(invalid_rows)] = False
    metadata = [c for c in frame.columns if c not in iqms and c not in set_aside]
    ids = [_row_ids(row, metadata) for row in frame.loc[keep, metadata].itertuples(index=False)]
    lines = [f"{path.name} line {i + 2}" for i in np.flatnonzero(keep)]
    return build_table(
        ids, [tuple(iqms)] * len(ids), values[keep], [(None, None, None, line) for line in lines],
        modality=modality, source=str(path), iqm_sets=iqm_sets,
        skipped=skipped, set_aside=set_aside, missing=missing,
    )


def read_plain_table(path) -> pd.DataFrame:
    """Any CSV/TSV as strings (identifiers keep their zeros; empty cells stay empty strings).
    A column name given twice is refused: pandas would rename it silently (cjv, cjv.1)."""
    path = Path(path)
    sep = _separator(path)
    try:
        header = pd.read_csv(path, sep=sep, dtype=str, header=None, nrows=1).iloc[0]
        frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable {'CSV' if sep == ',' else 'TSV'} table ({str(exc).strip()})") from None
    duplicated = sorted(set(header[header.duplicated()]))
    if duplicated:
        raise InputError(f"{path}: columns appear twice: {', '.join(duplicated)}")
    return frame


def read_participants(path) -> pd.DataFrame:
    """A BIDS ``participants.tsv`` (or any table with ``participant_id``), indexed by the label
    without its ``sub-`` prefix; every column a string."""
    table = read_plain_table(path)
    if "participant_id" not in table:
        raise InputError(f"{path}: no participant_id column (a BIDS participants.tsv is expected)")
    labels = table.pop("participant_id").str.removeprefix("sub-")
    if labels.duplicated().any():
        raise InputError(f"{path}: participant {labels[labels.duplicated()].iloc[0]} appears twice")
    return table.set_axis(labels.rename("participant"))


def is_iqm_table(path) -> bool:
    """Whether a CSV/TSV has a column the catalogue knows as an IQM (reads the header only)."""
    path = Path(path)
    try:
        header = pd.read_csv(path, sep=_separator(path), nrows=0).columns
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return False
    return any(column in catalogue.IQMS for column in header)


def _separator(path: Path) -> str:
    return "," if path.suffix.lower() == ".csv" else "\t"


def _table_modality(frame: pd.DataFrame) -> str | None:
    if "bids_name" in frame:
        names = frame["bids_name"].unique()[:1000]
        suffixes = {entities["suffix"] for name in names if (entities := parse_bids_name(name))}
        if len(suffixes) == 1:
            return suffixes.pop()
    return catalogue.guess_modality(frame.columns)


def _numeric_block(frame: pd.DataFrame):
    """Floats of a string block, the missing-cell counts, and {row: problem} for non-numbers."""
    values = np.empty(frame.shape)
    missing, invalid = {}, {}
    for j, column in enumerate(frame.columns):
        text = frame[column].str.strip()
        absent = text.isin(MISSING_TOKENS).to_numpy()
        numbers = pd.to_numeric(text.where(~absent), errors="coerce").to_numpy(dtype=float)
        for i in np.flatnonzero(~absent & ~np.isfinite(numbers)):
            invalid.setdefault(i, f"IQM {column!r} is {frame[column].iloc[i]!r}, not a finite number")
        values[:, j] = numbers
        missing[column] = int(absent.sum())
    return values, missing, invalid


def _row_ids(row, metadata) -> dict[str, str]:
    ids = dict(zip(metadata, row))
    entities = parse_bids_name(ids["bids_name"]) if "bids_name" in ids else None
    return {**(entities or {}), **ids}
