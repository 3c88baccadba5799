"""Read every per-image MRIQC JSON under a folder, in parallel when it pays.

Works at any depth (MRIQC's output folder, OpenNeuroDerivatives, the defacing study's blinded
``sub-<id>/ses-V1/anat/`` layout). Files that are not MRIQC records are passed over and listed
with the reason in ``IQMTable.skipped``.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tqdm import tqdm

from ..errors import InputError, Param
from .bids import parse_bids_name
from .iqmtable import IQMTable, build_table
from .records import handle_invalid, parse_record, skip_summary

#: Below this many files, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 4000
#: Files, or top-level folders (e.g. one per participant), per work unit.
_CHUNK = 500
_FOLDERS = 50
#: Open up a tree's top level until it holds this many folders to share among workers.
_SPREAD = 16


def read_derivatives(
    root, *, modality=None, iqm_sets="strict", on_invalid="raise", jobs=None, progress=False
) -> IQMTable:
    """Read every per-image MRIQC JSON under ``root`` (parameters: :func:`iqmstats.read_iqms`)."""
    root = Path(root)
    checksum = hashlib.sha256()
    ids, keys, rows, provenance, invalid, skipped, set_aside = [], [], [], [], [], [], set()
    for rel, entities, result, digest in _read_tree(str(root), modality, jobs=jobs, progress=progress):
        if entities is None:
            skipped.append((rel, result))
            continue
        checksum.update(rel.encode() + b"\0" + digest)
        if result[0] == "ok":
            _, names, values, prov, others = result
            ids.append(entities)
            keys.append(names)
            rows.append(values)
            provenance.append((*prov, rel))
            set_aside.update(others)
        elif result[0] == "skip":
            skipped.append((rel, result[1]))
        else:
            invalid.append((rel, result[1]))
    skipped += handle_invalid(invalid, on_invalid)
    if not ids:
        raise InputError(f"{root}: no MRIQC IQM files found. {skip_summary(skipped)}")
    suffixes = Counter(record["suffix"] for record in ids)
    if len(suffixes) > 1:
        counts = ", ".join(f"{n} {suffix}" for suffix, n in suffixes.most_common())
        choices = [suffix for suffix, _ in suffixes.most_common()]
        raise InputError(
            f"{root}: found records of several modalities ({counts}); choose one with "
            + " or ".join(f"{{{i}}}" for i in range(len(choices))),
            *(Param("modality", suffix) for suffix in choices),
        )
    return build_table(
        ids,
        keys,
        rows,
        provenance,
        modality=next(iter(suffixes)),
        modality_source="from the BIDS names",
        source=str(root),
        iqm_sets=iqm_sets,
        skipped=skipped,
        set_aside=set_aside,
        checksum=checksum.hexdigest(),
    )


def _unnamed_reason(name: str) -> str:
    """Why a JSON whose name is not a BIDS name is passed over."""
    if "_sub-" in name and parse_bids_name(name[name.index("_sub-") + 1 :]) is not None:
        # MRIQC's rating widget saves <dataset>_<BIDS name>.json
        return "a rating-widget record, not IQMs (ratings are analysed by iqmstats ratings / analyse_ratings)"
    return "not a BIDS-named JSON (e.g. dataset_description.json)"


def walk_files(root: str) -> list[str]:
    """Relative paths of the files under ``root`` (see :func:`iter_files`)."""
    return list(iter_files(root))


def iter_files(root: str, prefix: str = ""):
    """Relative paths of the files under ``root``, skipping hidden folders: each folder's files
    sorted, then its sub-folders in sorted order (a deterministic order).

    ``os.scandir`` on a stack of folders: the directory entry says whether it is a folder, so no
    file is stat-ed (``os.walk`` and ``pathlib`` cost more than parsing the JSON here).
    """
    stack = [(root, prefix)]
    while stack:
        folder, within = stack.pop()
        files, folders = _entries(folder)
        yield from (within + name for name in files)
        stack += [(os.path.join(folder, name), f"{within}{name}/") for name in reversed(folders)]


def _read_tree(root: str, modality, *, jobs, progress):
    """(relative path, entities, parse result, sha256 of the bytes) per file under ``root``, in
    :func:`iter_files` order; a file passed over has entities None and the reason as its result.

    The tree is split into work units (see :func:`_units`) that each walk and parse their share,
    so walking (a system call per folder) and parsing both spread over the workers. Units
    run in this process until :data:`PARALLEL_MIN_FILES` files are seen (or at once with
    ``jobs``), then the rest go to worker processes."""
    units = _units(root)
    workers = jobs or os.cpu_count() or 1
    seen, pool, pending = 0, None, []
    with tqdm(unit="file", desc="reading", disable=not progress, leave=False) as bar:
        try:
            for unit in units:
                if pool is None and workers > 1 and (jobs or seen >= PARALLEL_MIN_FILES):
                    pool = ProcessPoolExecutor(max_workers=workers)
                if pool is None:
                    done = _read_unit(root, modality, unit)
                    seen += len(done)
                    bar.update(len(done))
                    yield from done
                else:
                    future = pool.submit(_read_unit, root, modality, unit)
                    future.add_done_callback(_count_into(bar))
                    pending.append(future)
            pending.reverse()
            while pending:  # let go of each unit's results once handed on
                yield from pending.pop().result()
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)


def _count_into(bar):
    """A future's callback that counts its unit's files on the progress bar (a failed unit is
    reported by ``result()`` in the reading loop, not here)."""

    def count(future) -> None:
        if not future.cancelled() and future.exception() is None:
            bar.update(len(future.result()))

    return count


def _units(root: str) -> list[tuple[str, list[str]]]:
    """Work units in :func:`iter_files` order: ("files", relative paths) or ("folders", relative
    folders, each walked whole). The top level is opened up, down to three levels, until it holds
    enough folders to share (``derivatives/mriqc/sub-*``: the participants' folders)."""
    files, folders = _entries(root)
    entries = [("files", name) for name in files] + [("folders", name) for name in folders]
    for _ in range(3):
        if sum(kind == "folders" for kind, _ in entries) >= _SPREAD:
            break
        opened = []
        for kind, rel in entries:
            if kind == "files":
                opened.append((kind, rel))
            else:
                files, folders = _entries(os.path.join(root, rel))
                opened += [("files", f"{rel}/{name}") for name in files]
                opened += [("folders", f"{rel}/{name}") for name in folders]
        entries = opened
    units: list[tuple[str, list[str]]] = []
    for kind, rel in entries:
        size = _CHUNK if kind == "files" else _FOLDERS
        if units and units[-1][0] == kind and len(units[-1][1]) < size:
            units[-1][1].append(rel)
        else:
            units.append((kind, [rel]))
    return units


def _entries(folder: str) -> tuple[list[str], list[str]]:
    """The files and the (not hidden) sub-folders of ``folder``, each sorted by name."""
    files, folders = [], []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if not entry.name.startswith("."):
                        folders.append(entry.name)
                else:
                    files.append(entry.name)
    except OSError as exc:  # unreadable, or removed while being read
        raise InputError(f"{folder}: the folder cannot be listed ({exc.strerror}); fix its permissions") from None
    return sorted(files), sorted(folders)


def _read_unit(root: str, modality, unit) -> list[tuple]:
    """Walk (for folders) and read one work unit of :func:`_read_tree`."""
    kind, names = unit
    if kind == "files":
        rels = names
    else:
        rels = [rel for name in names for rel in iter_files(os.path.join(root, name), name + "/")]
    read = []
    for rel in rels:
        entities, reason = _classify(rel.rpartition("/")[2], modality)
        if entities is None:
            read.append((rel, None, reason, b""))
            continue
        try:
            with open(os.path.join(root, rel), "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            read.append((rel, entities, ("invalid", f"cannot be read ({exc.strerror})"), b""))
            continue
        read.append((rel, entities, parse_record(raw), hashlib.sha256(raw).digest()))
    return read


def _classify(name: str, modality: str | None):
    """(entities, "") for a file to parse, or (None, the reason it is passed over)."""
    if name.endswith((".tsv", ".csv")):
        return None, "a table, not a per-image record (give it on its own to read it)"
    if not name.endswith(".json"):
        return None, "not a JSON file (reports, figures, logs)"
    entities = parse_bids_name(name)
    if entities is None:
        return None, _unnamed_reason(name)
    if modality is not None and entities["suffix"] != modality:
        return None, f"not {modality}"
    return entities, ""
