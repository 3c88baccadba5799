"""Jobs on files: ``read`` MRIQC outputs, ``blind`` datasets, ``audit`` them, ``unblind`` results."""

from __future__ import annotations

from pathlib import Path

from ..errors import BlindingError, InputError, Param, ParameterError
from ..validation import validate
from .common import load_key, load_table, now


def read(
    path,
    *,
    modality=None,
    measures=None,
    common_iqms: bool = False,
    on_invalid: str = "raise",
    jobs: int | None = None,
    progress: bool = False,
):
    """Read MRIQC IQMs (a folder of per-image JSONs at any depth, one JSON record or Web-API
    records, a group TSV or any CSV/TSV of measures) into an :class:`~iqmstats.io.IQMTable`.

    ``modality`` keeps one BIDS suffix (required when a folder mixes them); ``measures`` names the
    columns to read as measures (any numeric columns of a table); ``common_iqms`` keeps the IQMs
    all records share when MRIQC versions differ; ``on_invalid='skip'`` leaves malformed files
    or rows out (listed in ``.skipped``) instead of refusing; ``jobs`` worker processes.
    ``.write(path)`` writes the tidy TSV and its JSON sidecar.

    Examples
    --------
    >>> import iqmstats
    >>> table = iqmstats.read(iqmstats.example_path("ixi-iqms"))
    >>> table.data.shape, table.sentinels, table.modality_source
    ((1158, 72), {'fber': 863}, 'from the BIDS names')
    """
    arguments = validate("read", locals())
    table = load_table(
        arguments["path"],
        measures=arguments["measures"],
        modality=arguments["modality"],
        common_iqms=common_iqms,
        on_invalid=on_invalid,
        jobs=arguments["jobs"],
        progress=progress,
        inputs={},
        name="path",
    )
    return table.with_provenance(
        {
            "created": now(),
            "options": {
                "modality": arguments["modality"],
                "measures": arguments["measures"],
                "common_iqms": common_iqms,
                "on_invalid": on_invalid,
            },
        }
    )


def unblind(data, key, *, id_column: str = "subject", key_map=None, positions=None):
    """Add ``participant``, ``condition`` and ``presentation`` to records made on blinded data.

    ``data``: MRIQC outputs (a path, or an IQMTable: one row per image is enforced) or any
    table with a column of blinded ids (a path or DataFrame, e.g. ratings: several rows per
    image are fine). ``key``: a key file, a key document (``load_example("ixi-key")``) or a
    BlindingKey; ``key_map`` renames condition tokens; ``positions`` is the pilot's position
    file, checked against the key. Returns the same kind of table as it was given (an
    IQMTable for MRIQC outputs).

    Examples
    --------
    >>> import iqmstats
    >>> table = iqmstats.unblind(iqmstats.load_example("ixi-iqms"), iqmstats.load_example("ixi-key"))
    >>> table.data.loc[0, ["bids_name", "participant", "condition", "presentation"]].astype(str).tolist()
    ['sub-0001_T1w', '177', 'defaced', '1']
    """
    arguments = validate("unblind", locals())
    import pandas as pd

    from ..blinding import unblind as unblind_records
    from ..io import IQMTable
    from ..io.tables import is_iqm_table, read_plain_table

    inputs: dict[str, str] = {}
    records = arguments["data"]
    if isinstance(records, str):
        path = Path(records)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if path.is_file() and path.suffix.lower() in (".tsv", ".csv") and not is_iqm_table(path):
            records = read_plain_table(path)
        else:
            records = load_table(path, inputs=inputs)
    found = load_key(arguments["key"], arguments["key_map"], inputs, positions=arguments["positions"])
    if isinstance(records, IQMTable):
        result = unblind_records(records, found, id_column=id_column, unique=True)
        return result.with_provenance({"created": now(), "unblinded_with": inputs})
    if not isinstance(records, pd.DataFrame):
        raise ParameterError("{0}: expected MRIQC outputs or a table", Param("data", records))
    return unblind_records(records, found, id_column=id_column, unique=False)


def blind(
    sources,
    *,
    conditions,
    out,
    key,
    condition_entity=None,
    repeat: int = 0,
    seed=None,
    link: str = "copy",
    allow_leaky_links: bool = False,
    scrub=None,
    keep=None,
):
    """Write a blinded BIDS dataset ``out`` and its key file ``key``; return the BlindingKey.

    ``sources``: one BIDS dataset per condition, in the order of ``conditions``; or one dataset
    whose condition is the ``acq``/``rec`` entity (``condition_entity``). Every input is checked
    before anything is written; the key is written first (mode 0600), never over an existing
    file and never inside ``out``. ``repeat`` shows that many random participants twice;
    ``seed`` makes the draw reproducible (default: the operating system's cryptographic
    source). ``link='copy'`` scrubs headers and sidecars (``scrub`` adds sidecar fields to
    remove, ``keep`` spares default ones); ``hardlink``/``symlink`` leak the originals and need
    ``allow_leaky_links=True``.
    """
    arguments = validate("blind", locals())
    from .. import __version__
    from ..blinding import blind_datasets
    from ..blinding.scrub import DEFAULT_SCRUB_FIELDS

    if arguments["link"] != "copy" and not allow_leaky_links:
        leak = "ls -l shows their paths" if link == "symlink" else "ls -i shows their inodes"
        raise ParameterError(
            f"{{0}} leaks the originals ({leak}) and cannot scrub headers; if raters never see the "
            "files, also give {1}",
            Param("link", link),
            Param("allow_leaky_links", True),
        )
    fields = (DEFAULT_SCRUB_FIELDS | set(arguments["scrub"] or ())) - set(arguments["keep"] or ())
    return blind_datasets(
        arguments["sources"],
        list(arguments["conditions"]),
        out=arguments["out"],
        key_path=arguments["key"],
        condition_entity=condition_entity,
        repeat=repeat,
        seed=arguments["seed"],
        link=link,
        scrub_fields=fields,
        version=__version__,
    )


def audit(dataset, *, key=None, key_map=None):
    """Every way a rater could break the blinding of ``dataset``: a DataFrame of findings
    (``check, file, detail``), empty when none is found. With the ``key`` (file, document or
    BlindingKey), also the checks that need to know whose images are whose. A folder without
    images, or a key that shares no blinded id with the dataset, is refused: nothing would have
    been checked."""
    arguments = validate("audit", locals())
    from ..blinding import audit as find_leaks

    found = load_key(arguments["key"], arguments["key_map"], {}) if arguments["key"] is not None else None
    if not Path(arguments["dataset"]).is_dir():
        raise BlindingError(f"{dataset}: not a folder", Param("dataset", str(dataset)))
    return find_leaks(arguments["dataset"], found)
