"""Tables of IQMs, from a file (MRIQC group TSVs, tabulated CSV/TSV such as ``S2_Data.csv``) or a
DataFrame, into the same typed :class:`IQMTable`: the one normalisation every container goes
through, so the same data gives the same analysis whatever it came in.

- The measures are the columns named by ``measures`` (any numeric columns: IQMs, principal
  components, harmonised IQMs, metrics of one's own), or else the columns the catalogue knows
  as IQMs of the modality. Other columns are identifiers, kept as strings (``0017`` stays
  ``0017``, a participant ``2`` stays ``2``, never ``2.0``); the ones holding numbers are
  listed in ``IQMTable.other_numeric``, because a numeric column that is not an MRIQC IQM (an
  age, a site code) is never analysed unless named.
- Catalogue rules apply to MRIQC IQMs only: sentinels (``fber == -1``) become missing values and
  are counted. Empty and ``n/a`` cells are missing values (counted); any other non-number is
  invalid.
- The modality comes from ``modality=``, else a strict ``group_<T1w|T2w|bold>.tsv`` file name,
  else the BIDS names or the columns; ``IQMTable.modality_source`` says which.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"sub": [2, 2, 17, 17], "session": ["01", "02", "01", "02"],
...                       "fber": [-1.0, 3.0, 4.0, 5.0], "PC1": ["0.5", "n/a", "1", "2"]})
>>> table = table_from_frame(frame, measures=["fber", "PC1"])
>>> table.data[["sub", "session"]].values.tolist(), table.sentinels, table.missing
([['2', '01'], ['2', '02'], ['17', '01'], ['17', '02']], {'fber': 1}, {'PC1': 1})
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import catalogue
from ..errors import InputError, Param, ParameterError, did_you_mean
from .bids import parse_bids_name
from .iqmtable import IQMTable, build_table
from .records import MAGNITUDE_LIMIT, handle_invalid

#: Cells of a table that mean "no value" (BIDS writes ``n/a``).
MISSING_TOKENS = frozenset({"", "n/a", "N/A", "NA", "NaN", "nan"})
_GROUP_TABLE = re.compile(r"group_(T1w|T2w|bold)\.tsv")


def read_table(path, *, modality=None, measures=None, iqm_sets="strict", on_invalid="raise") -> IQMTable:
    """Read a group TSV or a CSV/TSV with one row per image (see :func:`iqmstats.read`)."""
    path = Path(path)
    frame = read_plain_table(path)
    group = _GROUP_TABLE.fullmatch(path.name)
    found = None
    if modality is None and group:
        modality, found = group.group(1), f"from the file name {path.name}"
    return table_from_frame(
        frame,
        measures=measures,
        modality=modality,
        source=str(path),
        on_invalid=on_invalid,
        iqm_sets=iqm_sets,
        rows=lambda i: f"{path.name} line {i + 2}",
        modality_source=found,
    )


def table_from_frame(
    frame: pd.DataFrame,
    *,
    measures=None,
    modality=None,
    source: str = "a DataFrame",
    on_invalid: str = "raise",
    iqm_sets: str = "strict",
    rows=None,
    modality_source=None,
) -> IQMTable:
    """An :class:`IQMTable` from a DataFrame with one row per image (module docstring).

    ``rows(i)`` names row i in messages (default ``row i``, counting from 0).
    """
    rows = rows or (lambda i: f"row {i}")
    columns = [str(c) for c in frame.columns]
    if len(set(columns)) != len(columns):
        twice = sorted({c for c in columns if columns.count(c) > 1})
        raise InputError(f"{source}: columns appear twice: {', '.join(twice)}")
    frame = frame.set_axis(columns, axis=1).reset_index(drop=True)
    if modality is not None:
        modality_source = modality_source or "given"
    else:
        modality, modality_source = _infer_modality(frame)
    if measures is not None:
        absent = [name for name in measures if name not in columns]
        if absent:
            raise ParameterError(
                f"{{0}}: {source} has no column {absent[0]!r}. {did_you_mean(absent[0], columns)}",
                Param("measures", list(measures)),
            )
        iqms = list(measures)
        for name in iqms:
            column = frame[name]
            if not pd.api.types.is_numeric_dtype(column):
                text = column.astype(str).str.strip()
                present = text[~text.isin(MISSING_TOKENS)]
                if len(present) and pd.to_numeric(present, errors="coerce").isna().all():
                    raise ParameterError(
                        f"{{0}}: column {name!r} holds text (e.g. {present.iloc[0]!r}), not numbers; measures are "
                        "numeric columns (an identifier such as a site is not a measure)",
                        Param("measures", list(measures)),
                    )
    else:
        known = catalogue.iqm_names(modality) if modality in catalogue.MODALITIES else catalogue.IQMS
        iqms = [c for c in columns if c in known]
    if not iqms:
        raise InputError(
            f"{source}: no column is an IQM MRIQC writes (such as cjv, efc, fber, tsnr). To analyse other "
            "measures (principal components, harmonised IQMs), name their columns with {0}",
            Param("measures", ["PC1", "PC2"]),
        )
    set_aside = [c for c in columns if c not in iqms and not catalogue.is_iqm_key(c)]
    metadata = [c for c in columns if c not in iqms and c not in set_aside]
    values, missing, invalid_rows = _numeric_block(frame[iqms])
    names = frame["bids_name"].astype(str) if "bids_name" in frame else None
    invalid = [
        (rows(i) + (f" ({names.iloc[i]})" if names is not None else ""), problem) for i, problem in invalid_rows.items()
    ]
    skipped = handle_invalid(invalid, on_invalid)
    keep = np.ones(len(frame), dtype=bool)
    keep[list(invalid_rows)] = False
    identifiers = pd.DataFrame({c: as_text(frame[c]) for c in metadata}, index=frame.index)[keep]
    ids = [_row_ids(row, metadata) for row in identifiers.itertuples(index=False)]
    return build_table(
        ids,
        [tuple(iqms)] * len(ids),
        values[keep],
        [(None, None, None, rows(i)) for i in np.flatnonzero(keep)],
        modality=modality,
        source=source,
        iqm_sets=iqm_sets,
        skipped=skipped,
        set_aside=set_aside,
        missing=missing,
        modality_source=modality_source,
        other_numeric=[c for c in metadata if c != "bids_name" and _holds_numbers(frame[c])],
    )


def as_text(column: pd.Series) -> pd.Series:
    """A column as strings: whole numbers without '.0', missing values as empty strings."""
    if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
        if column.map(type).eq(str).all():  # already text (every table read from a file)
            return column.astype(object)
        return column.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    values = column.to_numpy(dtype=float)
    whole = np.isfinite(values) & (values == np.round(values))
    return pd.Series(
        [str(int(v)) if w else ("" if np.isnan(v) else repr(float(v))) for v, w in zip(values, whole)],
        index=column.index,
    )


def read_plain_table(path) -> pd.DataFrame:
    """Any CSV/TSV as strings (identifiers keep their zeros; empty cells stay empty strings).
    A column name given twice is refused: pandas would rename it silently (cjv, cjv.1)."""
    path = Path(path)
    sep = _separator(path)
    try:
        header = pd.read_csv(path, sep=sep, dtype=str, header=None, nrows=1).iloc[0]
        frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_filter=False)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            f"{path}: not a readable {'CSV' if sep == ',' else 'TSV'} table ({str(exc).strip()})"
        ) from None
    duplicated = sorted(set(header[header.duplicated()]))
    if duplicated:
        raise InputError(f"{path}: columns appear twice: {', '.join(duplicated)}")
    return frame


def read_participants(path) -> pd.DataFrame:
    """A BIDS ``participants.tsv`` (or any table with ``participant_id``), indexed by the label
    without its ``sub-`` prefix; every column a string."""
    table = read_plain_table(path) if not isinstance(path, pd.DataFrame) else path.astype(str)
    if "participant_id" not in table:
        raise InputError(
            f"{path if not isinstance(path, pd.DataFrame) else 'the participants table'}: no participant_id "
            "column (a BIDS participants.tsv is expected)"
        )
    labels = table.pop("participant_id").str.removeprefix("sub-")
    if labels.duplicated().any():
        raise InputError(f"the participants table lists participant {labels[labels.duplicated()].iloc[0]} twice")
    return table.set_axis(labels.rename("participant"))


def is_iqm_table(path) -> bool:
    """Whether a CSV/TSV has a column the catalogue knows as an IQM (reads the header only)."""
    path = Path(path)
    try:
        header = pd.read_csv(path, sep=_separator(path), nrows=0).columns
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError, OSError):
        return False
    return any(column in catalogue.IQMS for column in header)


def _separator(path: Path) -> str:
    return "," if path.suffix.lower() == ".csv" else "\t"


def _infer_modality(frame: pd.DataFrame) -> tuple[str | None, str | None]:
    if "bids_name" in frame:
        names = frame["bids_name"].astype(str).unique()[:1000]
        suffixes = {entities["suffix"] for name in names if (entities := parse_bids_name(name))}
        if len(suffixes) == 1 and (suffix := suffixes.pop()) in catalogue.MODALITIES:
            return suffix, "from the BIDS names"
    guessed = catalogue.guess_modality(frame.columns)
    return guessed, ("inferred from the columns" if guessed else None)


def _numeric_block(frame: pd.DataFrame):
    """Floats of a block, the missing-cell counts, and {row: problem} for non-numbers."""
    values = np.empty(frame.shape)
    missing: dict[str, int] = {}
    invalid: dict[int, str] = {}
    for j, column in enumerate(frame.columns):
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            numbers = series.to_numpy(dtype=float)
            absent = np.isnan(numbers)
        else:
            numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, copy=True)  # fast for the numbers...
            absent = np.zeros(len(numbers), dtype=bool)
            unread = np.flatnonzero(np.isnan(numbers))
            if len(unread):  # ...and the rest looked at one by one: a missing-value token, or padded text
                text = series.iloc[unread].map(
                    lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                )
                text = text.str.strip()
                absent[unread] = text.isin(MISSING_TOKENS).to_numpy()
                numbers[unread] = pd.to_numeric(text.where(~text.isin(MISSING_TOKENS)), errors="coerce").to_numpy(float)
        with np.errstate(invalid="ignore"):
            huge = np.abs(numbers) > MAGNITUDE_LIMIT
        for i in np.flatnonzero(~absent & (~np.isfinite(numbers) | huge)):
            shown = repr(series.iloc[i]) if len(repr(series.iloc[i])) < 40 else repr(series.iloc[i])[:37] + "..."
            kind = "IQM" if column in catalogue.IQMS else "measure"
            problem = f"beyond {MAGNITUDE_LIMIT:g} in magnitude" if np.isfinite(numbers[i]) else "not a finite number"
            invalid.setdefault(int(i), f"{kind} {column!r} is {shown}, {problem}")
        values[:, j] = np.where(absent, np.nan, numbers)
        missing[column] = int(absent.sum())
    return values, missing, invalid


def _holds_numbers(column: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(column):
        return False
    if pd.api.types.is_numeric_dtype(column):
        return True
    text = column.astype(str).str.strip()
    present = text[~text.isin(MISSING_TOKENS)]
    return len(present) > 0 and pd.to_numeric(present, errors="coerce").notna().all()


def _row_ids(row, metadata) -> dict[str, str]:
    ids = dict(zip(metadata, row))
    entities = parse_bids_name(ids["bids_name"]) if "bids_name" in ids else None
    return {**(entities or {}), **ids}


def join_participants(table: IQMTable, participants: pd.DataFrame, *, participant: str = "participant") -> IQMTable:
    """Add participant-level columns (e.g. site) of a participants table (:func:`read_participants`)
    to every image row, matched by participant id; participants missing from it are refused."""
    if participant not in table.data:
        raise ParameterError(
            f"{{0}}: no column {participant!r} to join the participants table on. "
            f"{did_you_mean(participant, table.id_columns)}",
            Param("participant", participant),
        )
    ids = table.data[participant].astype(str).str.removeprefix("sub-")
    unknown = sorted(set(ids) - set(participants.index))
    if unknown:
        raise InputError(
            f"{len(unknown)} participant(s) are not in the participants table, e.g. {', '.join(unknown[:3])}"
        )
    clash = [c for c in participants.columns if c in table.data]
    if clash:
        raise InputError(f"the participants table repeats column(s) {', '.join(clash)} of the IQM table")
    extra = participants.loc[ids.to_numpy()].reset_index(drop=True)
    at = len(table.id_columns)
    data = pd.concat([table.data.iloc[:, :at], extra, table.data.iloc[:, at:]], axis=1)
    return dataclasses.replace(table, data=data)
