"""Read manual quality ratings made on blinded reports, in the formats raters produce.

- the study's exported table (``S1_Data.tsv``: ``rater_id``, ``randomized_id``, ``rating``,
  ``artifacts`` as a JSON list, ``confidence``, ``time_sec``, ``comments``), or any TSV/CSV with
  the column names given;
- a folder with one sub-folder per rater holding the JSON files MRIQC's report rating widget
  saves (``{"subject": "sub-5_ses-V1_run-1_T1w", "rating": "3", "artifacts": [...]}``).

The result has one row per rating with the columns :data:`RATING_COLUMNS` (plus any other
columns of a table). A rater rating the same blinded image twice keeps the last rating and the
summed time, as the study did, and the merge is reported.

Examples
--------
>>> from iqmstats.examples import example_path
>>> ratings = read_ratings(example_path("ixi-ratings"))
>>> len(ratings.data), sorted(ratings.data["rater"].unique())[:2], ratings.merged
(1800, ['rater_01', 'rater_02'], 0)
>>> ratings.data.loc[0, ["rater", "blinded_id", "artifacts"]].tolist(), float(ratings.data.loc[0, "rating"])
(['rater_02', 'sub-0152_T1w', 'inu;noise-global;processing;uncategorized'], 2.55)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, Param, ParameterError, did_you_mean
from .tables import read_plain_table

RATING_COLUMNS = ["rater", "blinded_id", "rating", "artifacts", "confidence", "time_sec", "comments", "source"]
#: Where the study's export (and so the defaults) keeps each field.
STUDY_COLUMNS = {"rater": "rater_id", "blinded_id": "randomized_id", "rating": "rating"}


@dataclass(frozen=True)
class RatingsTable:
    """Ratings (``data``, one row per rating; ``artifacts`` as a ';'-joined sorted string), how
    many duplicate ratings were merged, and notes on what was done."""

    data: pd.DataFrame
    merged: int = 0
    notes: list[str] = field(default_factory=list)


def read_ratings(source, *, scale=(1.0, 4.0), columns: dict[str, str] | None = None) -> RatingsTable:
    """Read ratings from a table file, a DataFrame or a folder of rating-widget JSONs (see the
    module docstring).

    ``columns`` maps ``rater``, ``blinded_id`` and ``rating`` to a table's column names (default:
    the study's ``rater_id``, ``randomized_id``, ``rating``). Ratings must be numbers within
    ``scale`` (inclusive); anything else is refused, naming the rows.
    """
    low, high = (float(v) for v in scale)
    if not low < high:
        raise ParameterError("{0}: the lowest rating must be below the highest", Param("scale", tuple(scale)))
    columns = {**STUDY_COLUMNS, **(columns or {})}
    if isinstance(source, pd.DataFrame):
        frame = _from_table(source.astype(str).where(source.notna(), ""), columns, "the ratings table", "row", 0)
    else:
        path = Path(source)
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
        frame = (
            _from_widget_folder(path)
            if path.is_dir()
            else _from_table(read_plain_table(path), columns, path.name, "line", 2)
        )
    frame["rating"] = _numeric_ratings(frame, low, high)
    return _merge_duplicates(frame)


def _from_table(table: pd.DataFrame, columns: dict[str, str], name: str, unit: str, first: int) -> pd.DataFrame:
    missing = [(parameter, column) for parameter, column in columns.items() if column not in table]
    if missing:
        parameter, column = missing[0]
        option = {"rater": "rater_column", "blinded_id": "id_column", "rating": "rating_column"}[parameter]
        raise ParameterError(
            f"{{0}}: {name} has no column {column!r}. {did_you_mean(column, table.columns)}",
            Param(option, column),
        )
    frame = table.rename(columns={source: target for target, source in columns.items()})
    where = [f"{name} {unit} {i + first}" for i in range(len(frame))]
    frame["artifacts"] = [
        _artifacts(text, label) for text, label in zip(frame.get("artifacts", [""] * len(frame)), where)
    ]
    for column in ("confidence", "time_sec"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce") if column in frame else np.nan
    frame["comments"] = frame["comments"] if "comments" in frame else ""
    frame["source"] = where
    return frame[RATING_COLUMNS + [c for c in frame if c not in RATING_COLUMNS]]


def _from_widget_folder(folder: Path) -> pd.DataFrame:
    rows = []
    for file in sorted(folder.glob("*/*.json")):
        try:
            record = json.loads(file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise InputError(f"{file}: not valid JSON ({type(exc).__name__})") from None
        if not isinstance(record, dict) or "subject" not in record or "rating" not in record:
            raise InputError(f"{file}: not a rating-widget record (needs 'subject' and 'rating')")
        label = file.relative_to(folder).as_posix()
        rows.append(
            (
                file.parent.name,
                str(record["subject"]),
                record["rating"],
                _artifacts(record.get("artifacts", []), label),
                np.nan,
                np.nan,
                record.get("comments", ""),
                label,
            )
        )
    if not rows:
        raise InputError(f"{folder}: no rating files (expected <rater>/*.json, one folder per rater)")
    return pd.DataFrame(rows, columns=RATING_COLUMNS)


def _artifacts(value, where: str) -> str:
    if isinstance(value, str):
        if not value.strip():
            return ""
        try:
            value = json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            raise InputError(f"{where}: artifacts {value!r} is not a JSON list") from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: artifacts must be a list of labels, got {value!r}")
    return ";".join(sorted(set(value)))


def _numeric_ratings(frame: pd.DataFrame, low: float, high: float) -> pd.Series:
    numbers = pd.to_numeric(frame["rating"].astype(str).str.strip(), errors="coerce")
    bad = numbers.isna() | ~np.isfinite(numbers)
    if bad.any():
        first = frame[bad].iloc[0]
        raise InputError(f"{bad.sum()} rating(s) are not numbers, e.g. {first['source']}: {first['rating']!r}")
    outside = (numbers < low) | (numbers > high)
    if outside.any():
        first = frame[outside].iloc[0]
        raise InputError(
            f"{outside.sum()} rating(s) outside the scale {low:g}-{high:g}, e.g. {first['source']}: {numbers[outside].iloc[0]:g}. "
            "Declare the scale the raters used, e.g. {0}",
            Param("scale", (_plain(min(low, numbers.min())), _plain(max(high, numbers.max())))),
        )
    return numbers.astype(float)


def _plain(value: float) -> int | float:
    """A scale end as a person writes it: 5, not 5.0."""
    return int(value) if float(value).is_integer() else float(value)


def _merge_duplicates(frame: pd.DataFrame) -> RatingsTable:
    keys = ["rater", "blinded_id"]
    twice = frame.duplicated(keys, keep=False)
    if not twice.any():
        return RatingsTable(frame.reset_index(drop=True))
    time = frame.groupby(keys, sort=False)["time_sec"].transform(lambda t: t.sum(min_count=1))
    merged = frame.assign(time_sec=time).drop_duplicates(keys, keep="last").reset_index(drop=True)
    pairs = frame[twice][keys].drop_duplicates()
    note = (
        f"{len(frame) - len(merged)} repeated rating(s) of {len(pairs)} image(s) by the same rater merged: "
        f"the last rating kept, times summed (e.g. {pairs.iloc[0]['rater']} / {pairs.iloc[0]['blinded_id']})"
    )
    return RatingsTable(merged, len(frame) - len(merged), [note])
