"""The defacing study's real data, bundled: ``load_example(name)`` and ``example_path(name)``.

See ``data/PROVENANCE.md`` beside this file for sources and licences.

Examples
--------
>>> sorted(EXAMPLES)[:3]
['ixi-iqms', 'ixi-key', 'ixi-pca']
>>> table = load_example("ixi-iqms")
>>> table.data["sub"].nunique(), sorted(table.data["defaced"].unique())
(579, ['0', '1'])
>>> load_example("ixi-key")["444"]
'002_non_defaced'
>>> load_example("ixi-ratings")["subject"].iloc[0]
'072'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import orjson
import pandas as pd

from ..blinding.keys import read_key
from ..errors import ParameterError, did_you_mean


@dataclass(frozen=True)
class Example:
    """One bundled file (or folder), what it holds, and how to load it."""

    path: str
    description: str
    kind: str  # 'iqms' (an IQMTable), 'table' (a DataFrame of strings), 'json' (a dict), 'folder'


EXAMPLES = {
    "ixi-iqms": Example(
        "ixi-defacing/S2_Data.csv",
        "IXI T1w IQMs (MRIQC 23.1.0), 579 participants x original/defaced (S2_Data.csv)",
        "iqms",
    ),
    "ixi-key": Example("ixi-defacing/IXI_blind_dict.json", "IXI blinding key: blinded id -> NNN_(non_)defaced", "json"),
    "ixi-ratings": Example(
        "ixi-defacing/S1_Data.tsv", "manual ratings of 450 blinded IXI reports by 4 raters", "table"
    ),
    "ixi-pca": Example("ixi-defacing/S4_Data.csv", "the study's released PCA scores (rows misaligned)", "table"),
    "ixi-raters": Example("ixi-defacing/rater_experience.json", "experience level of each IXI rater", "json"),
    "pilot-key": Example("pilot/DefacingPilotData_blind_dict.json", "pilot blinding key: original name -> id", "json"),
    "pilot-positions": Example("pilot/DefacingPilotData_pos_dict.json", "pilot position -> participant", "json"),
    "pilot-ratings": Example(
        "pilot/ManualRatings", "pilot ratings from MRIQC's rating widget, a folder per rater", "folder"
    ),
    "rescans": Example(
        "openneuro-ds001454-mriqc",
        "OpenNeuro ds001454 test-retest MRIQC outputs: 24 participants x 2 sessions, T1w and bold (rest, 8 satellite runs)",
        "folder",
    ),
}

#: What the coded columns of the IXI tables mean (``defaced``: condition, ``site``: scanner site).
IXI_LABELS = {"defaced": {"0": "original", "1": "defaced (pydeface)"}, "site": {"0": "HH", "1": "Guys", "2": "IOP"}}


def example_path(name: str) -> Path:
    """Where the bundled file (or folder) ``name`` lies."""
    if name not in EXAMPLES:
        raise ParameterError(f"no example named {name!r}. {did_you_mean(name, EXAMPLES)}")
    return Path(str(resources.files(__name__).joinpath("data").joinpath(EXAMPLES[name].path)))


def load_example(name: str):
    """Load a bundled example: an IQMTable, a DataFrame (all strings), a dict, or a folder Path."""
    path = example_path(name)
    kind = EXAMPLES[name].kind
    if kind == "iqms":
        from ..io import read_iqms

        return read_iqms(path)
    if kind == "table":
        return pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ",", dtype=str, keep_default_na=False)
    if kind == "json":
        return json.loads(path.read_text())
    return path


def build_ixi_derivatives(root) -> Path:
    """Rebuild the study's blinded MRIQC output from ``S2_Data.csv`` under ``root``, as MRIQC wrote it:
    ``sub-<id>/ses-V1/anat/sub-<id>_ses-V1_run-1_T1w.json`` for each blinded id (the study's real
    ids), holding the IQMs (fber's -1 sentinels included), ``bids_meta`` and ``provenance``; plus
    ``participants.tsv`` with each original participant's site (HH, Guys, IOP), labelled as the
    key labels them. Returns ``root``.
    """
    root = Path(root)
    study = pd.read_csv(example_path("ixi-iqms"), dtype={"bids_name": str, "sub": str, "defaced": str, "site": str})
    participant_of = dict(
        read_key(example_path("ixi-key")).entries[["blinded_id", "participant"]].itertuples(index=False)
    )
    iqms = [c for c in study.columns if c not in ("bids_name", "sub", "defaced", "site")]
    sites = {}
    for row in study.itertuples(index=False):
        blinded = row.bids_name.removeprefix("sub-").removesuffix("_T1w")
        record: dict[str, object] = {name: float(getattr(row, name)) for name in iqms}
        record["bids_meta"] = {"modality": "T1w", "subject_id": blinded, "session_id": "V1", "run_id": 1}
        record["provenance"] = {"software": "mriqc", "version": "23.1.0", "settings": {"testing": False}}
        folder = root / f"sub-{blinded}" / "ses-V1" / "anat"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"sub-{blinded}_ses-V1_run-1_T1w.json").write_bytes(orjson.dumps(dict(sorted(record.items()))))
        sites[participant_of[str(int(blinded))]] = IXI_LABELS["site"][row.site]
    lines = "".join(f"sub-{participant}\t{site}\n" for participant, site in sorted(sites.items()))
    (root / "participants.tsv").write_text("participant_id\tsite\n" + lines)
    return root
