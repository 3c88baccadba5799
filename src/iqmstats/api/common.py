"""What every job shares: the one normalisation of its data, the key, provenance, BLAS threads."""

from __future__ import annotations

import contextlib
import os
import platform
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__
from ..errors import InputError, Param, ParameterError


def load_table(
    data,
    *,
    measures=None,
    modality=None,
    common_iqms=False,
    on_invalid="raise",
    jobs=None,
    progress=False,
    inputs: dict,
    name: str = "data",
):
    """The ONE step that turns a path, an IQMTable or a DataFrame into the same typed IQMTable:
    identifiers and labels as strings, sentinels masked, catalogue rules on MRIQC IQMs, the
    measures chosen. Records what was read in ``inputs``."""
    import pandas as pd

    from ..io import IQMTable, read_iqms
    from ..io.tables import table_from_frame

    sets = "common" if common_iqms else "strict"
    if isinstance(data, IQMTable):
        inputs[name] = f"an IQMTable read from {data.source}"
        if measures is None or all(m in data.iqms for m in measures):
            return data if measures is None else data.select(measures)
        frame = data.data.drop(
            columns=[c for c in data.data if c in ("mriqc_version", "md5sum", "mriqc_warnings", "source_file")]
        )
        return table_from_frame(
            frame,
            measures=measures,
            modality=modality or data.modality,
            source=data.source,
            on_invalid=on_invalid,
            iqm_sets=sets,
        )
    if isinstance(data, pd.DataFrame):
        inputs[name] = f"a DataFrame of {len(data)} rows"
        return table_from_frame(data, measures=measures, modality=modality, on_invalid=on_invalid, iqm_sets=sets)
    path = Path(data)
    table = read_iqms(
        path, modality=modality, measures=measures, iqm_sets=sets, on_invalid=on_invalid, jobs=jobs, progress=progress
    )
    if table.checksum is not None:  # a folder: checksummed while it was read
        inputs[name], inputs[f"{name}_sha256"] = str(path), table.checksum
    else:
        record_file(inputs, name, path)
    return table


def record_file(inputs: dict, name: str, path) -> None:
    """Record an input file (or folder) and its sha256 in ``inputs``."""
    from ..io.checksum import file_checksum

    inputs[name] = str(path)
    inputs[f"{name}_sha256"] = file_checksum(path)


def load_key(key, key_map, inputs: dict, positions=None):
    """The BlindingKey of a key file, key document or BlindingKey; its source and checksum recorded."""
    from ..blinding import BlindingKey
    from ..blinding.keys import as_key

    if isinstance(key, BlindingKey):
        inputs["key"] = f"a BlindingKey ({key.format} format)"
    elif isinstance(key, dict):
        inputs["key"] = "a key document (dict)"
    else:
        if not Path(key).is_file():
            raise InputError(f"{key}: no such key file", Param("key", str(key)))
        record_file(inputs, "key", key)
    found = as_key(key, conditions=key_map, positions=positions)
    inputs["key_format"] = found.format
    return found


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def software() -> dict:
    """Versions of the libraries the numbers came from (only those already imported are asked)."""
    import sys

    versions = {"python": platform.python_version(), "iqmstats": __version__}
    for module in ("numpy", "pandas", "scipy", "statsmodels"):
        if module in sys.modules:
            versions[module] = getattr(sys.modules[module], "__version__", "unknown")
    return versions


def json_safe(value):
    """Parameters as JSON: paths as text, tuples as lists, tables and keys described."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return f"a {type(value).__name__}"


def provenance(job: str, inputs: dict, parameters: dict, **entries) -> dict:
    return {
        "job": job,
        "iqmstats_version": __version__,
        "created": now(),
        "inputs": inputs,
        "parameters": json_safe(parameters),
        **entries,
        "software": software(),
    }


@contextlib.contextmanager
def one_blas_thread():
    """Linear algebra on small matrices inside loops runs fastest on one BLAS thread: several
    threads fight for the cores (and with other processes on a busy machine)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def refuse_together(arguments: dict, first: str, second: str) -> None:
    """Refuse two parameters that exclude each other."""
    if arguments.get(first) is not None and arguments.get(second) is not None:
        raise ParameterError(
            "give {0} or {1}, not both", Param(first, arguments[first]), Param(second, arguments[second])
        )
