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
_CHUNK = 500


def read_derivatives(
    root, *, modality=None, iqm_sets="strict", on_invalid="raise", jobs=None, progress=False
) -> IQMTable:
    """Read every per-image MRIQC JSON under ``root`` (parameters: :func:`iqmstats.read_iqms`)."""
    root = Path(root)
    base, candidates, skipped = str(root), [], []

    def walked():  # the walk feeds the parsers as it goes: walking and parsing overlap
        for rel, entities, reason in _classified(base, modality):
            if entities is None:
                skipped.append((rel, reason))
            else:
                candidates.append((rel, entities))
                yield os.path.join(base, rel)

    parsed = _parse_files(walked(), jobs=jobs, progress=progress)
    checksum = hashlib.sha256()
    ids, keys, rows, provenance, invalid, set_aside = [], [], [], [], [], set()
    for (rel, entities), (result, digest) in zip(candidates, parsed):
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


def _classified(root: str, modality: str | None):
    """(relative path, entities or None, reason passed over) for every file under ``root``."""
    for rel in iter_files(root):
        name = rel.rpartition("/")[2]
        if name.endswith((".tsv", ".csv")):
            yield rel, None, "a table, not a per-image record (give it on its own to read it)"
        elif not name.endswith(".json"):
            yield rel, None, "not a JSON file (reports, figures, logs)"
        elif (entities := parse_bids_name(name)) is None:
            yield rel, None, _unnamed_reason(name)
        elif modality is not None and entities["suffix"] != modality:
            yield rel, None, f"not {modality}"
        else:
            yield rel, entities, ""


def walk_files(root: str) -> list[str]:
    """Relative paths of the files under ``root`` (see :func:`iter_files`)."""
    return list(iter_files(root))


def iter_files(root: str, prefix: str = ""):
    """Relative paths of the files under ``root``, skipping hidden folders: each folder's files
    sorted, then its sub-folders in sorted order (a deterministic order).

    ``os.scandir`` recursion: the directory entry says whether it is a folder, so no file is
    stat-ed (``os.walk`` and ``pathlib`` cost more than parsing the JSON here).
    """
    files, folders = [], []
    with os.scandir(root) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith("."):
                    folders.append(entry.name)
            else:
                files.append(prefix + entry.name)
    files.sort()
    yield from files
    for name in sorted(folders):
        yield from iter_files(os.path.join(root, name), f"{prefix}{name}/")


def _parse_files(paths, *, jobs, progress) -> list[tuple]:
    """Parse the files ``paths`` yields, in chunks; from the moment there are enough of them to
    pay for it (or at once with ``jobs``), chunks go to worker processes while the walk goes on.
    Results come back in the order of ``paths``."""
    workers = jobs or os.cpu_count() or 1
    chunks, futures, chunk, seen, pool = [], [], [], 0, None
    with tqdm(unit="file", desc="reading", disable=not progress, leave=False) as bar:
        try:
            for path in paths:
                chunk.append(path)
                seen += 1
                if len(chunk) < _CHUNK:
                    continue
                chunks.append(chunk)
                chunk = []
                if pool is None and workers > 1 and (jobs or seen >= PARALLEL_MIN_FILES):
                    pool = ProcessPoolExecutor(max_workers=workers)
                if pool is not None:
                    futures += [_submit(pool, waiting, bar) for waiting in chunks]
                    chunks = []
            if chunk:
                chunks.append(chunk)
            if pool is None:
                results = []
                for waiting in chunks:
                    results += _parse_chunk(waiting)
                    bar.update(len(waiting))
                return results
            futures += [_submit(pool, waiting, bar) for waiting in chunks]
            return [parsed for future in futures for parsed in future.result()]
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)


def _submit(pool, chunk: list[str], bar):
    future, size = pool.submit(_parse_chunk, chunk), len(chunk)
    future.add_done_callback(lambda _: bar.update(size))
    return future


def _parse_chunk(paths: list[str]) -> list[tuple]:
    """(parse result, sha256 digest of the bytes) per file: the folder's checksum costs no second read."""
    parsed = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            parsed.append((("invalid", f"cannot be read ({exc.strerror})"), b""))
            continue
        parsed.append((parse_record(raw), hashlib.sha256(raw).digest()))
    return parsed
