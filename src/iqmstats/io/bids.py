"""BIDS file names: split ``sub-01_ses-V1_run-1_T1w.json`` into entities, as strings.

Labels stay strings forever (``0017`` keeps its zeros) and the entity keys are spelled out the
way pybids spells them (``ses`` -> ``session``).

Examples
--------
>>> parse_bids_name("sub-0017_ses-V1_run-1_T1w.json")
{'bids_name': 'sub-0017_ses-V1_run-1_T1w', 'subject': '0017', 'session': 'V1', 'run': '1', 'suffix': 'T1w'}
>>> parse_bids_name("dataset_description.json") is None
True
"""

from __future__ import annotations

import re

#: BIDS entity keys, in the order BIDS writes them, and the column names iqmstats uses.
ENTITY_COLUMNS = {
    "sub": "subject",
    "ses": "session",
    "task": "task",
    "acq": "acquisition",
    "ce": "ceagent",
    "rec": "reconstruction",
    "dir": "direction",
    "run": "run",
    "mod": "modality_label",
    "echo": "echo",
    "flip": "flip",
    "inv": "inversion",
    "mt": "mt",
    "part": "part",
    "chunk": "chunk",
}

_EXTENSION = re.compile(r"\.[A-Za-z0-9.]+$")


def strip_extension(filename: str) -> str:
    """``sub-01_T1w.nii.gz`` -> ``sub-01_T1w``."""
    return _EXTENSION.sub("", filename)


def parse_bids_name(filename: str) -> dict[str, str] | None:
    """Entities of a BIDS file name, or None when the name is not ``sub-<label>[_key-val]*_<suffix>``.

    The result always has ``bids_name`` (the name without extension), ``subject`` and ``suffix``;
    other entities appear only when present. Unknown entity keys are kept under their own key.
    Keys, labels and the suffix must be alphanumeric, as BIDS requires.
    """
    stem = strip_extension(filename)
    *pairs, suffix = stem.split("_")
    if not pairs or not pairs[0].startswith("sub-") or not (suffix.isalnum() and suffix.isascii()):
        return None
    entities = {"bids_name": stem}
    for pair in pairs:
        key, dash, label = pair.partition("-")
        if not (dash and key.isalnum() and label.isalnum() and key.isascii() and label.isascii()):
            return None
        entities[ENTITY_COLUMNS.get(key, key)] = label
    entities["suffix"] = suffix
    return entities
