"""Read every per-image MRIQC JSON under a folder, in parallel when it pays.

Works at any depth (MRIQC's output folder, OpenNeuroDerivatives, the defacing study's blinded
``sub-<id>/ses-V1/anat/`` layout). Files that are not MRIQC records are passed over and listed
with the reason in ``IQMTable.skipped``.
"""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tqdm import tqdm

from ..errors import InputError
from .bids import parse_bids_name
from .iqmtable import IQMTable, build_table
from .records import handle_invalid, parse_record_file, skip_summary

#: Below this many files, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 4000
_CHUNK = 500


def read_derivatives(
    root, *, modality=None, iqm_sets="strict", on_invalid="raise", jobs=None, progress=False
) -> IQMTable:
    """Read every per-image MRIQC JSON under ``root`` (parameters: :func:`iqmstats.read_iqms`)."""
    root = Path(root)
    candidates, skipped = discover(root, modality)
    results = _parse_files([str(root / rel) for rel, _ in candidates], jobs=jobs, progress=progress)
    ids, keys, rows, provenance, invalid, set_aside = [], [], [], [], [], set()
    for (rel, entities), result in zip(candidates, results):
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
        found = ", ".join(f"{n} {suffix}" for suffix, n in suffixes.most_common())
        choices = " or ".join(f"--modality {s}" for s in suffixes)
        raise InputError(f"{root}: found records of several modalities ({found}); choose one with {choices}")
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
    )


def discover(root: Path, modality: str | None = None):
    """BIDS-named JSON files under ``root`` as sorted (relative path, entities), and the files
    passed over as (relative path, reason). Hidden folders are not entered."""
    candidates, skipped = [], []
    for rel in walk_files(str(root)):
        name = rel.rpartition("/")[2]
        if not name.endswith(".json"):
            skipped.append((rel, "not a JSON file (reports, figures, logs)"))
        elif (entities := parse_bids_name(name)) is None:
            skipped.append((rel, "not a BIDS-named JSON (e.g. dataset_description.json)"))
        elif modality is not None and entities["suffix"] != modality:
            skipped.append((rel, f"not {modality}"))
        else:
            candidates.append((rel, entities))
    return candidates, skipped


def walk_files(root: str, prefix: str = "") -> list[str]:
    """Relative paths of the files under ``root``, sorted, skipping hidden folders.

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
    for name in sorted(folders):
        files += walk_files(os.path.join(root, name), f"{prefix}{name}/")
    return files


def _parse_files(paths: list[str], *, jobs, progress) -> list[tuple]:
    chunks = [paths[i : i + _CHUNK] for i in range(0, len(paths), _CHUNK)]
    workers = jobs or ((os.cpu_count() or 1) if len(paths) >= PARALLEL_MIN_FILES else 1)
    results = []
    with tqdm(total=len(paths), unit="file", desc="reading", disable=not progress, leave=False) as bar:
        if workers > 1 and len(chunks) > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                for chunk_results in pool.map(_parse_chunk, chunks):
                    results += chunk_results
                    bar.update(len(chunk_results))
        else:
            for chunk in chunks:
                results += _parse_chunk(chunk)
                bar.update(len(chunk))
    return results


def _parse_chunk(paths: list[str]) -> list[tuple]:
    return [parse_record_file(path) for path in paths]
