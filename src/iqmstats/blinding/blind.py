"""Write a blinded BIDS dataset and its key, so raters cannot match one person's images.

Two ways to say which image belongs to which condition:

- one BIDS dataset per condition (``blind_datasets([ixi, ixi_defaced], ["original", "defaced"])``);
  a dataset whose conditions are folders (``study/original/sub-*``, ``study/defaced/sub-*``) is
  the same thing: pass the folders;
- one dataset whose condition is an entity: ``condition_entity="acq"`` (``sub-01_acq-defaced_T1w``)
  or ``"rec"``; the entity is removed from the blinded names.

Every image (NIfTI + JSON sidecar) becomes ``sub-<id>/<datatype>/sub-<id>_<suffix>.nii[.gz]``
with a fresh random id. Ids are drawn without replacement from 1..10^w - 1, with w one digit
more than the number of images needs, skipping any id that equals an original participant label;
they are zero-padded to w digits. A seed makes the draw reproducible; without one the draw uses
the operating system's cryptographic source, and the key says which.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from ..errors import BlindingError, OutputError, Param, ParameterError
from ..io.bids import ENTITY_COLUMNS, parse_bids_name
from ..io.derivatives import walk_files
from ..io.write import check_writable, write_bytes, write_json
from .keys import KEY_COLUMNS, BlindingKey
from .scrub import DEFAULT_SCRUB_FIELDS, HEADER_TEXT_FIELDS, identifying_fields, scrub_sidecar

LINK_MODES = ("copy", "hardlink", "symlink")
CONDITION_ENTITIES = ("acq", "rec")
_NIFTI = (".nii.gz", ".nii")


@dataclass(frozen=True)
class SourceImage:
    """One image to blind: who, which condition, where, and which image of the participant it is."""

    participant: str
    condition: str | None  # None: the image lacks the entity that names the condition
    path: Path
    datatype: str
    suffix: str


def find_images(sources, conditions, *, condition_entity: str | None = None) -> list[SourceImage]:
    """The NIfTI images of the source dataset(s), each with its participant and condition."""
    sources = [Path(s) for s in sources]
    for source in sources:
        if not source.is_dir():
            raise BlindingError(f"{source}: not a folder (a BIDS dataset is expected)")
    resolved = [source.resolve() for source in sources]
    for i, source in enumerate(resolved):
        for j, other in enumerate(resolved):
            if i != j and (source == other or source.is_relative_to(other)):
                raise BlindingError(
                    f"{sources[i]} and {sources[j]} are the same dataset (or one lies inside the other): "
                    "give one dataset per condition, each in its own folder"
                )
    if condition_entity is None:
        if len(sources) != len(conditions):
            raise ParameterError(
                f"{len(sources)} source dataset(s) for {len(conditions)} condition(s): give one dataset per "
                "condition, in the order of {0}, or one dataset and {1}",
                Param("conditions", list(conditions)),
                Param("condition_entity", "acq"),
            )
        images = [
            img for source, condition in zip(sources, conditions) for img in _images_of(source, condition=condition)
        ]
    else:
        if condition_entity not in CONDITION_ENTITIES or len(sources) != 1:
            raise ParameterError(
                f"{{0}} takes one of {', '.join(CONDITION_ENTITIES)} with one dataset",
                Param("condition_entity", condition_entity),
            )
        images = list(_images_of(sources[0], entity=ENTITY_COLUMNS[condition_entity]))
        unknown = sorted({img.path.name for img in images if img.condition not in conditions})
        if unknown:
            raise BlindingError(
                f"{len(unknown)} image(s) have no {condition_entity}-<condition> among {', '.join(conditions)}, "
                f"e.g. {unknown[0]}"
            )
    if not images:
        raise BlindingError(f"no NIfTI images under sub-*/ in {', '.join(map(str, sources))}")
    found = {img.condition for img in images}
    for k, condition in enumerate(conditions):
        if condition not in found:
            where = sources[k] if condition_entity is None else f"{sources[0]} ({condition_entity}-{condition})"
            raise BlindingError(f"no image of condition {condition!r} in {where}: every condition needs its images")
    return images


def unpaired_participants(images: list[SourceImage], conditions) -> dict[str, list[str]]:
    """Participants with images under some conditions only (often a failed defacing upstream):
    participant -> the conditions they have."""
    have: dict[str, set] = {}
    for img in images:
        have.setdefault(img.participant, set()).add(img.condition)
    return {p: sorted(c, key=list(conditions).index) for p, c in sorted(have.items()) if len(c) < len(conditions)}


def _images_of(source: Path, *, condition: str | None = None, entity: str | None = None):
    """Images under ``source``; their condition is ``condition``, or the value of ``entity``."""
    for rel in walk_files(str(source)):
        if not rel.startswith("sub-") or not rel.endswith(_NIFTI):
            continue
        entities = parse_bids_name(rel.rpartition("/")[2])
        if entities is None:
            continue
        datatype = rel.rsplit("/", 2)[-2] if "/" in rel else "anat"
        found = condition if entity is None else entities.get(entity)
        yield SourceImage(entities["subject"], found, source / rel, datatype, entities["suffix"])


def assign_ids(images: list[SourceImage], *, repeat: int = 0, seed: int | None = None) -> pd.DataFrame:
    """Key entries: every image once, plus a second presentation of every image of ``repeat``
    randomly chosen participants; each presentation gets its own random id."""
    participants = sorted({img.participant for img in images})
    if not 0 <= repeat <= len(participants):
        raise ParameterError(f"repeat={repeat}: must be between 0 and the number of participants ({len(participants)})")
    sample = _sampler(seed)
    repeated = set(sample(participants, repeat))
    shown = [(img, 1) for img in images] + [(img, 2) for img in images if img.participant in repeated]
    width = len(str(len(shown))) + 1
    taken = {int(p) for p in participants if p.isdigit()}
    pool = [i for i in range(1, 10**width) if i not in taken]
    ids = sample(pool, len(shown))
    rows = [
        (f"{blinded:0{width}d}", img.participant, img.condition, presentation, str(img.path.resolve()))
        for blinded, (img, presentation) in zip(ids, shown)
    ]
    return pd.DataFrame(rows, columns=KEY_COLUMNS).sort_values("blinded_id", ignore_index=True)


def _sampler(seed):
    """sample(population, k) -> k distinct items in random order: seeded PCG64, or the OS's CSPRNG."""
    if seed is None:
        return random.SystemRandom().sample
    rng = np.random.default_rng(seed)
    return lambda population, k: [population[i] for i in rng.permutation(len(population))[:k]]


def blind_datasets(
    sources,
    conditions,
    *,
    out,
    key_path,
    condition_entity: str | None = None,
    repeat: int = 0,
    seed: int | None = None,
    link: str = "copy",
    scrub_fields=DEFAULT_SCRUB_FIELDS,
    version: str = "unknown",
) -> BlindingKey:
    """Write the blinded dataset ``out`` and its key ``key_path``; return the key.

    The key is written first (atomically, mode 0600, never over an existing file, never inside
    ``out``), so a dataset never exists without its key. ``link="copy"`` rewrites every image with
    its header text fields and extensions emptied and every sidecar without ``scrub_fields`` and without the
    fields that identify a participant in these data; ``hardlink`` and ``symlink`` cannot scrub
    and leak the original (its inode, its path): they are for trusted, unblinded workflows.
    """
    out, key_path = Path(out), Path(key_path)
    if link not in LINK_MODES:
        raise ParameterError(f"link={link!r}: choose one of {', '.join(LINK_MODES)}")
    if len(set(conditions)) != len(conditions) or not conditions:
        raise ParameterError(f"conditions must be distinct names, got {', '.join(conditions) or 'none'}")
    if key_path.resolve().is_relative_to(out.resolve()):
        raise OutputError(f"{key_path}: the key must not lie inside the blinded dataset {out}")
    for source in sources:
        if out.resolve().is_relative_to(Path(source).resolve()) or Path(source).resolve().is_relative_to(out.resolve()):
            raise OutputError(
                f"{out}: the blinded dataset must not lie inside a source dataset ({source}) or contain "
                "one; choose a folder outside the sources"
            )
        if key_path.resolve().is_relative_to(Path(source).resolve()):
            raise OutputError(f"{key_path}: the key must not lie inside a source dataset ({source})")
    check_writable(key_path)
    if out.exists() and any(out.iterdir()):
        raise OutputError(f"{out} exists and is not empty; choose a new folder for the blinded dataset")

    images = find_images(sources, conditions, condition_entity=condition_entity)
    entries = assign_ids(images, repeat=repeat, seed=seed)
    sidecars = {img.path: _read_sidecar(img.path) for img in images}
    if link == "copy":
        for img in images:  # every image must be rewritable before anything is written
            _check_image(img.path)
    auto = identifying_fields([(img.participant, sidecars[img.path]) for img in images])
    removed = sorted(set(scrub_fields) | set(auto))
    key = BlindingKey(
        entries,
        "iqmstats",
        {
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "iqmstats_version": version,
            "seed": seed,
            "random_source": "numpy PCG64, seeded"
            if seed is not None
            else "os cryptographic source (secrets), not reproducible",
            "conditions": list(conditions),
            "sources": [str(Path(s).resolve()) for s in sources],
            "condition_entity": condition_entity,
            "repeat": repeat,
            "link": link,
            "sidecar_fields_removed": removed,
            "sidecar_fields_found_identifying": auto,
            "header_fields_emptied": [*HEADER_TEXT_FIELDS, "extensions"] if link == "copy" else [],
            "unpaired_participants": unpaired_participants(images, conditions),
        },
    )
    out_existed = out.exists()
    write_bytes(orjson.dumps(key.to_document(), option=orjson.OPT_INDENT_2), key_path, mode=0o600)
    try:
        _write_dataset(out, entries, images, sidecars, removed, link, version)
    except BaseException:  # a failed run leaves nothing of its own behind (and never touches what was there)
        key_path.unlink(missing_ok=True)
        if out_existed:
            for child in out.iterdir():
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        else:
            shutil.rmtree(out, ignore_errors=True)
        raise
    return key


def _check_image(path: Path) -> None:
    """Refuse an image nibabel cannot read (before anything is written)."""
    import nibabel as nib

    try:
        nib.load(path).header  # noqa: B018 - reading the header is the check
    except Exception as exc:  # nibabel raises many types for damaged or unusual files
        raise BlindingError(f"{path}: not a readable NIfTI image ({exc}); fix or remove it before blinding") from None


def _read_sidecar(image: Path) -> dict:
    sidecar = image.with_name(image.name.removesuffix(".gz").removesuffix(".nii") + ".json")
    if not sidecar.exists():
        return {}
    try:
        document = json.loads(sidecar.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise BlindingError(f"{sidecar}: not valid JSON ({type(exc).__name__}); fix it before blinding") from None
    if not isinstance(document, dict):
        raise BlindingError(f"{sidecar}: a BIDS sidecar holds a JSON object, not a {type(document).__name__}")
    return document


def _write_dataset(out: Path, entries, images, sidecars, removed, link, version) -> None:
    by_path = {str(img.path.resolve()): img for img in images}
    out.mkdir(parents=True, exist_ok=True)
    for entry in entries.itertuples(index=False):
        image = by_path[entry.source]
        folder = out / f"sub-{entry.blinded_id}" / image.datatype
        folder.mkdir(parents=True)
        stem = f"sub-{entry.blinded_id}_{image.suffix}"
        extension = ".nii.gz" if image.path.name.endswith(".nii.gz") else ".nii"
        _place_image(image.path, folder / (stem + extension), link)
        sidecar = scrub_sidecar(sidecars[image.path], removed)
        if sidecar or sidecars[image.path]:
            write_json(sidecar, folder / f"{stem}.json")
    participants = "participant_id\n" + "".join(f"sub-{i}\n" for i in sorted(entries["blinded_id"]))
    write_bytes(participants.encode(), out / "participants.tsv")
    write_json(
        {
            "Name": "Blinded dataset",
            "BIDSVersion": "1.9.0",
            "DatasetType": "raw",
            "GeneratedBy": [{"Name": "iqmstats", "Version": version, "Description": "iqmstats blind"}],
        },
        out / "dataset_description.json",
    )


def _place_image(source: Path, target: Path, link: str) -> None:
    if link == "symlink":
        os.symlink(source.resolve(), target)
    elif link == "hardlink":
        os.link(source, target)
    else:
        import nibabel as nib  # on first use: reading keys needs none of it

        try:
            image: Any = nib.load(source)
            for name in HEADER_TEXT_FIELDS:
                if name in image.header:
                    image.header[name] = b""
            if hasattr(image.header, "extensions"):
                image.header.extensions.clear()  # converters may embed whole DICOM headers here
            nib.save(image, target)
        except Exception as exc:  # nibabel raises many types for damaged or unusual files
            target.unlink(missing_ok=True)
            raise BlindingError(f"{source}: cannot be rewritten with a clean header ({exc})") from None
