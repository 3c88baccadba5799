"""Checksums of inputs, recorded in provenance so a result can be tied to the exact files it read."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_checksum(path) -> str:
    """sha256 of a file, or of a folder's files (relative paths and contents, in sorted order).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()); _ = (folder / "a.json").write_text("{}")
    >>> file_checksum(folder) == file_checksum(folder)
    True
    """
    path = Path(path)
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        if file != path:
            digest.update(file.relative_to(path).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()
