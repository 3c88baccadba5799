"""Read one JSON file: a per-image MRIQC record, or legacy MRIQC Web-API records.

A Web-API record is flat: IQMs, BIDS metadata (``EchoTime``, ...) and provenance (``md5sum``,
``version``, ``subject_id``, ...) side by side, so its IQMs are the names the catalogue knows for
its ``modality``. The file may hold one record, a list, or an API page with ``_items``.
"""

from __future__ import annotations

from pathlib import Path

from .. import catalogue
from ..errors import InputError, Param
from .bids import parse_bids_name
from .iqmtable import IQMTable, build_table
from .records import handle_invalid, load_json, per_image_record, value_problem

_WEBAPI_IDS = (
    ("sub", "subject_id", "subject"),
    ("ses", "session_id", "session"),
    ("task", "task_id", "task"),
    ("acq", "acq_id", "acquisition"),
    ("rec", "rec_id", "reconstruction"),
    ("run", "run_id", "run"),
)


def read_json_file(path, *, modality=None, iqm_sets="strict", on_invalid="raise") -> IQMTable:
    """Read one per-image MRIQC JSON or a file of Web-API records (see :func:`iqmstats.read_iqms`)."""
    path = Path(path)
    try:
        document = load_json(path.read_bytes())
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    if isinstance(document, dict) and ("provenance" in document or "bids_meta" in document):
        return _read_per_image(path, document, modality)
    records = document.get("_items", [document]) if isinstance(document, dict) else document
    if not isinstance(records, list) or not records or not all(map(_is_webapi_record, records)):
        raise InputError(
            f"{path}: not an MRIQC record. Expected a per-image JSON written by MRIQC "
            "(with 'provenance' and 'bids_meta') or legacy Web-API records (with 'md5sum' and IQMs)."
        )
    return _read_webapi(path, records, modality, iqm_sets, on_invalid)


def _read_per_image(path: Path, document, modality) -> IQMTable:
    result = per_image_record(document)
    if result[0] != "ok":
        raise InputError(f"{path}: {result[1]}")
    _, names, values, prov, others = result
    entities = parse_bids_name(path.name) or {"bids_name": path.stem}
    found = entities.get("suffix")
    if modality is not None and found != modality:
        raise InputError(f"{path}: is a {found} record, not {modality}")
    return build_table(
        [entities],
        [names],
        [values],
        [(*prov, path.name)],
        modality=found,
        source=str(path),
        set_aside=others,
        modality_source="from the BIDS name",
    )


def _is_webapi_record(record) -> bool:
    return isinstance(record, dict) and "md5sum" in record and any(key in catalogue.IQMS for key in record)


def _read_webapi(path: Path, records, modality, iqm_sets, on_invalid) -> IQMTable:
    ids, keys, rows, provenance, skipped, invalid = [], [], [], [], [], []
    for i, record in enumerate(records):
        label = f"{path.name}[{i}]" if len(records) > 1 else path.name
        kind = record.get("modality") or modality
        if kind not in catalogue.MODALITIES:
            invalid.append((label, f"has modality {kind!r}, which iqmstats does not know"))
            continue
        if modality is not None and kind != modality:
            skipped.append((label, f"not {modality}"))
            continue
        names = tuple(name for name in catalogue.iqm_names(kind) if name in record)
        values = [record[name] for name in names]
        problem = value_problem(names, values)
        if problem:
            invalid.append((label, problem))
            continue
        ids.append(_webapi_ids(record, kind))
        keys.append(names)
        rows.append(values)
        provenance.append((record.get("version"), record.get("md5sum"), "", label))
    skipped += handle_invalid(invalid, on_invalid)
    kinds = {record["suffix"] for record in ids}
    if len(kinds) != 1:
        problem = "no usable record" if not kinds else f"records of several modalities ({', '.join(sorted(kinds))})"
        raise InputError(
            f"{path}: {problem}; choose one with {{0}}", Param("modality", sorted(kinds)[0] if kinds else "T1w")
        )
    used = {name for k in keys for name in k} | {field for _, field, _ in _WEBAPI_IDS} | {"md5sum", "version"}
    set_aside = {key for record in records for key in record} - used
    return build_table(
        ids,
        keys,
        rows,
        provenance,
        modality=kinds.pop(),
        modality_source="from the records",
        source=str(path),
        iqm_sets=iqm_sets,
        skipped=skipped,
        set_aside=set_aside,
    )


def _webapi_ids(record, modality: str) -> dict[str, str]:
    """Entities of a Web-API record, and the BIDS name they spell (``sub-10159_T1w``)."""
    present = [(key, column, str(record[field])) for key, field, column in _WEBAPI_IDS if record.get(field) is not None]
    ids = {"bids_name": "_".join([f"{key}-{label}" for key, _, label in present] + [modality])}
    ids.update({column: label for _, column, label in present})
    ids["suffix"] = modality
    return ids
