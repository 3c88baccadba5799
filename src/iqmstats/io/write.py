"""Write outputs atomically, never over something that exists unless asked.

A file appears whole or not at all (written beside its destination, then linked into place),
so an interrupted run never leaves half a table, and an existing file is never replaced unless
``overwrite=True``.

Examples
--------
>>> import tempfile, pandas as pd
>>> folder = Path(tempfile.mkdtemp())
>>> _ = write_tsv(pd.DataFrame({"iqm": ["cjv"], "value": [0.5]}), folder / "t.tsv")
>>> (folder / "t.tsv").read_text()
'iqm\\tvalue\\ncjv\\t0.5\\n'
>>> write_json({"a": 1}, folder / "t.tsv")
Traceback (most recent call last):
...
iqmstats.errors.OutputError: ... exists; choose another path or replace it with overwrite=True
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from ..errors import OutputError, Param


def _exists(path) -> OutputError:
    return OutputError(f"{path} exists; choose another path or replace it with {{0}}", Param("overwrite", True))


def write_tsv(frame: pd.DataFrame, path, *, overwrite: bool = False) -> Path:
    """Write ``frame`` as a tidy TSV (missing values as ``n/a``, floats at full precision: the
    shortest text that reads back as the same number)."""
    return write_bytes(tsv_text(frame).encode(), path, overwrite=overwrite)


def tsv_text(frame: pd.DataFrame) -> str:
    r"""The TSV text pandas' ``to_csv(sep="\t", na_rep="n/a")`` writes, about twice as fast:
    each column becomes strings once (floats by ``repr``), and the csv module joins and quotes.

    >>> tsv_text(pd.DataFrame({"iqm": ["cjv", "a\tb"], "value": [0.1, float("nan")], "n": [3, 4]}))
    'iqm\tvalue\tn\ncjv\t0.1\t3\n"a\tb"\tn/a\t4\n'
    """
    columns = []
    for name in frame.columns:
        values = frame[name]
        kind, plain = values.dtype.kind, isinstance(values.dtype, np.dtype)  # numpy dtypes hold no pd.NA
        if plain and kind == "f":
            columns.append(["n/a" if v != v else repr(v) for v in values.tolist()])
        elif plain and kind in "iub":
            columns.append([str(v) for v in values.tolist()])
        elif kind in "OTU" or isinstance(values.dtype, pd.StringDtype):
            columns.append(
                [
                    "n/a" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
                    for v in values.tolist()
                ]
            )
        else:  # nullable integers, categoricals, dates: as pandas writes them
            columns.append(["n/a" if pd.isna(v) else str(v) for v in values.tolist()])
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerow([str(name) for name in frame.columns])
    writer.writerows(zip(*columns))
    return buffer.getvalue()


def write_json(document, path, *, overwrite: bool = False) -> Path:
    """Write ``document`` as indented JSON (numpy numbers and NaN-free floats are fine)."""
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE)
    return write_bytes(data, path, overwrite=overwrite)


def write_bytes(data: bytes, path, *, overwrite: bool = False, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` atomically with permissions ``mode``; refuse to replace a file
    unless ``overwrite``."""
    path = check_writable(path, overwrite=overwrite)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        if overwrite:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)  # fails instead of replacing a file created meanwhile
            except FileExistsError:
                raise _exists(path) from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


def check_writable(path, *, overwrite: bool = False) -> Path:
    """Raise an OutputError unless ``path`` can be written: its folder exists, and it does not
    exist yet (or ``overwrite``). Call it for every output before writing the first one."""
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputError(f"{path}: the folder {path.parent} does not exist; create it first")
    if path.exists() and not overwrite:
        raise _exists(path)
    return path
