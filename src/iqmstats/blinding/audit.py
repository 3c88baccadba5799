"""Find every way a rater could break the blinding of a dataset.

Without a key: symbolic links (``ls -l`` shows the original path), hard links (``ls -i`` shows
the original's inode), NIfTI header text and extensions (converters write names, dates, paths,
whole DICOM headers there), and gzip headers that remember another file name.
With the key, also: original participant labels or file names in names, contents and headers;
sidecar fields that are the same in all of a participant's images and differ between
participants; images of one participant that have the same size or content under two conditions.

Examples
--------
>>> import tempfile, numpy as np, nibabel as nib
>>> folder = Path(tempfile.mkdtemp()); (folder / "sub-0417" / "anat").mkdir(parents=True)
>>> nib.save(nib.Nifti1Image(np.zeros((2, 2, 2), np.int16), np.eye(4)), folder / "sub-0417/anat/sub-0417_T1w.nii.gz")
>>> findings = audit(folder)
>>> findings.empty, findings.attrs["checked"]
(True, '1 file(s), 1 image(s)')
>>> audit(tempfile.mkdtemp())
Traceback (most recent call last):
...
iqmstats.errors.BlindingError: ...: no images to audit (no .nii or .nii.gz file in 0 file(s)): is this the blinded dataset?
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pandas as pd

from ..errors import BlindingError
from ..io.bids import parse_bids_name
from .keys import BlindingKey
from .scrub import header_text, identifying_fields

FINDING_COLUMNS = ["check", "file", "detail"]
_TEXT_SUFFIXES = (".json", ".tsv", ".txt", ".md", ".csv", ".bval", ".bvec")


def audit(root, key: BlindingKey | None = None) -> pd.DataFrame:
    """One row per leak found (columns ``check, file, detail``); empty when none is found."""
    root = Path(root)
    if not root.is_dir():
        raise BlindingError(f"{root}: not a folder")
    findings: list[tuple[str, str, str]] = []
    files = _files(root, findings)
    n_images = sum(rel.endswith((".nii", ".nii.gz")) for rel in files) + sum(
        check == "symlink" and rel.endswith((".nii", ".nii.gz")) for check, rel, _ in findings
    )
    if not n_images:
        raise BlindingError(
            f"{root}: no images to audit (no .nii or .nii.gz file in {len(files)} file(s)): "
            "is this the blinded dataset?"
        )
    originals = _original_patterns(key) if key is not None else []
    images = {}
    for rel in files:
        path = root / rel
        for pattern, what in originals:
            if pattern.search(rel):
                findings.append(("original id in name", rel, f"contains {what}"))
        if rel.endswith(_TEXT_SUFFIXES):
            text = path.read_text(encoding="utf-8", errors="replace")
            for pattern, what in originals:
                if pattern.search(text):
                    findings.append(("original id in content", rel, f"contains {what}"))
        if rel.endswith((".nii", ".nii.gz")):
            images[rel] = path
            findings += _header_findings(path, rel)
    if key is not None:
        findings += _pair_findings(root, files, images, key)
    table = pd.DataFrame(findings, columns=FINDING_COLUMNS)
    table.attrs["checked"] = f"{len(files)} file(s), {n_images} image(s)" + (" with the key" if key is not None else "")
    return table


def _files(root: Path, findings) -> list[str]:
    """Relative paths of the regular files; links are findings."""
    files = []
    for folder, subfolders, names in os.walk(root):
        for name in subfolders + names:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                findings.append(("symlink", rel, f"points to {os.readlink(path)}"))
            elif name in names:
                if path.stat().st_nlink > 1:
                    findings.append(("hardlink", rel, f"{path.stat().st_nlink} names share this file's inode"))
                files.append(rel)
    return sorted(files)


def _original_patterns(key: BlindingKey) -> list[tuple[re.Pattern, str]]:
    """What would give an original image away: its participant label (as sub-<label>, or alone
    when it is not a bare number, which would match any number) and its file name."""
    patterns = []
    for participant in sorted(set(key.entries["participant"])):
        label = re.escape(participant)
        bare = "" if participant.isdigit() else rf"|(?<![A-Za-z0-9]){label}(?![A-Za-z0-9])"
        patterns.append((re.compile(rf"sub-{label}(?![A-Za-z0-9]){bare}"), f"participant {participant}"))
    for source in key.entries["source"].dropna().unique():
        stem = Path(source).name.removesuffix(".gz").removesuffix(".nii")
        patterns.append((re.compile(re.escape(stem)), f"original file name {stem}"))
    return patterns


def _header_findings(path: Path, rel: str) -> list[tuple[str, str, str]]:
    import nibabel as nib  # on first use: reading keys and auditing names need none of it

    try:
        header = nib.load(path).header
    except Exception as exc:  # an unreadable image cannot be checked: say so
        return [("unreadable image", rel, str(exc))]
    findings = [("header text", rel, f"{field} = {text!r}") for field, text in header_text(header).items()]
    for extension in getattr(header, "extensions", []):
        findings.append(("header extension", rel, f"code {extension.get_code()}, {len(extension.get_content())} bytes"))
    stored = gzip_stored_name(path) if rel.endswith(".gz") else None
    if stored is not None and stored != path.name.removesuffix(".gz"):
        findings.append(("gzip header name", rel, f"the compressed file remembers the name {stored!r}"))
    return findings


def gzip_stored_name(path: Path) -> str | None:
    """The file name a gzip header stores (RFC 1952 FNAME), or None when it stores none."""
    with open(path, "rb") as handle:
        head = handle.read(10)
        if len(head) < 10 or head[:2] != b"\x1f\x8b" or not head[3] & 0x08:
            return None
        if head[3] & 0x04:  # FEXTRA comes first
            handle.read(int.from_bytes(handle.read(2), "little"))
        name = bytearray()
        while (byte := handle.read(1)) not in (b"", b"\0") and len(name) < 1024:
            name += byte
    return name.decode("latin-1")


def _pair_findings(root: Path, files, images, key: BlindingKey) -> list[tuple[str, str, str]]:
    """Checks that need to know whose images are whose."""
    row_of = key.row_finder()
    findings, sidecars, owner = [], [], {}
    blinded, unknown = set(), set()
    for rel in files:
        entities = parse_bids_name(rel.rpartition("/")[2])
        row = row_of(entities["subject"]) if entities else None
        if entities:
            blinded.add(entities["subject"])
        if row is None:
            if entities:
                unknown.add(entities["subject"])
            continue
        owner[rel] = key.entries.iloc[row]
        if rel.endswith(".json"):
            try:
                sidecars.append((owner[rel]["participant"], json.loads((root / rel).read_text())))
            except (json.JSONDecodeError, UnicodeDecodeError):
                findings.append(("unreadable sidecar", rel, "not valid JSON"))
    if not owner:
        ids = ", ".join(sorted(blinded)[:3]) or "none"
        raise BlindingError(
            f"{root}: none of its blinded ids ({ids}, ...) is in the key, whose ids are such as "
            f"{', '.join(key.entries['blinded_id'].head(3))}: this key is not this dataset's"
        )
    if unknown:
        raise BlindingError(
            f"{root}: {len(unknown)} of its {len(blinded)} blinded ids are not in the key (e.g. "
            f"{', '.join(sorted(unknown)[:3])}): is this the key of this dataset?"
        )
    for field in identifying_fields(sidecars):
        findings.append(("identifying sidecar field", field, "same within each participant, different between them"))
    by_participant: dict[str, list] = {}
    for rel, path in images.items():
        if rel in owner:
            by_participant.setdefault(owner[rel]["participant"], []).append((owner[rel]["condition"], rel, path))
    for shown in by_participant.values():
        for i, (condition_a, rel_a, path_a) in enumerate(shown):
            for condition_b, rel_b, path_b in shown[i + 1 :]:
                if condition_a == condition_b:
                    continue
                if path_a.stat().st_size == path_b.stat().st_size:
                    same = _digest(path_a) == _digest(path_b)
                    check = "identical images" if same else "identical file sizes"
                    findings.append((check, rel_a, f"and {rel_b} ({condition_a} / {condition_b} of one participant)"))
    return findings


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
