"""Read MRIQC outputs in every form found in the wild into one :class:`IQMTable`.

Examples
--------
>>> from iqmstats.examples import example_path
>>> table = read_iqms(example_path("ixi-iqms"))
>>> len(table.data), len(table.iqms), table.modality
(1158, 62, 'T1w')
>>> table.data.loc[0, ["bids_name", "subject", "sub", "defaced"]].tolist()
['sub-0001_T1w', '0001', '177', '1']
>>> table.sentinels
{'fber': 863}
"""

from __future__ import annotations

from pathlib import Path

from .. import catalogue
from ..errors import InputError, check_choice
from .derivatives import read_derivatives
from .iqmtable import IQM_SET_POLICIES, IQMTable
from .jsonfile import read_json_file
from .tables import read_table

ON_INVALID = ("raise", "skip")


def read_iqms(
    path,
    *,
    modality: str | None = None,
    measures=None,
    iqm_sets: str = "strict",
    on_invalid: str = "raise",
    jobs: int | None = None,
    progress: bool = False,
) -> IQMTable:
    """Read MRIQC IQMs from a folder, a JSON record or a table; the format is detected.

    Parameters
    ----------
    path : str or Path
        A derivatives folder of per-image JSONs (any depth), an MRIQC ``.json`` record or a file
        of legacy Web-API records, or a ``.tsv``/``.csv`` table (MRIQC group table or any table
        whose columns are IQMs).
    modality : {'T1w', 'T2w', 'bold'}, optional
        Keep only images of this BIDS suffix. Required when a folder mixes modalities.
    measures : list of str, optional
        Read only these measures. In a table they may be any numeric columns (principal
        components, harmonised IQMs); without them a table's measures are its MRIQC IQMs.
    iqm_sets : {'strict', 'common'}
        Records with different IQM sets (different MRIQC versions) are refused ('strict') or
        reduced to the IQMs they all share ('common').
    on_invalid : {'raise', 'skip'}
        A file or row that is malformed or holds a non-number in an IQM stops the read with an
        error naming it ('raise'), or is left out and listed in ``IQMTable.skipped`` ('skip').
    jobs : int, optional
        Worker processes for large folders (default: all cores when there are many files).
    progress : bool
        Show a progress bar while parsing a folder.

    Returns
    -------
    IQMTable
        ``.data`` is the tidy DataFrame, one row per image; sentinels (``fber == -1``) are
        already missing values and counted in ``.sentinels``.
    """
    check_choice("on_invalid", on_invalid, ON_INVALID)
    check_choice("iqm_sets", iqm_sets, IQM_SET_POLICIES)
    if modality is not None:
        catalogue.check_modality(modality)
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    options = dict(modality=modality, iqm_sets=iqm_sets, on_invalid=on_invalid)
    kind = path.suffix.lower()
    if path.is_dir():
        table = read_derivatives(path, jobs=jobs, progress=progress, **options)
    elif kind == ".json":
        table = read_json_file(path, **options)
    elif kind in (".tsv", ".csv", ".txt"):
        return read_table(path, measures=measures, **options)
    else:
        raise InputError(
            f"{path}: cannot tell what this is. iqmstats reads a folder of MRIQC JSON files, "
            "an MRIQC .json record, or a .tsv/.csv table of IQMs."
        )
    return table if measures is None else table.select(measures)
