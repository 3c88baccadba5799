"""blind -> (MRIQC on the blinded data) -> unblind recovers every participant and condition."""

import json
import os
import stat

import nibabel as nib
import pandas as pd
import pytest

from iqmstats import OutputError, ParameterError
from iqmstats.blinding import audit, blind_datasets, read_key, unblind
from iqmstats.blinding.audit import gzip_stored_name
from iqmstats.errors import BlindingError
from iqmstats.io import read_iqms

from ..conftest import T1W_JSON
from .conftest import PARTICIPANTS


def _blind(bids_pair, folder, **options):
    """Blind the pair into folder/blinded with key folder/key.json (folder is created)."""
    folder.mkdir(exist_ok=True)
    options = {"repeat": 1, "seed": 11, **options}
    return blind_datasets(
        list(bids_pair), ["original", "defaced"], out=folder / "blinded", key_path=folder / "key.json", **options
    )


def test_round_trip_recovers_every_image(bids_pair, tmp_path):
    key = _blind(bids_pair, tmp_path)
    blinded = tmp_path / "blinded"
    entries = key.entries
    assert len(entries) == 4 * 2 + 1 * 2  # every image, plus both images of one repeated participant
    assert entries["blinded_id"].is_unique and entries["blinded_id"].str.len().eq(3).all()
    assert not set(entries["blinded_id"].astype(int)) & {1, 2, 3, 4}  # never an original label
    # simulate MRIQC on the blinded dataset: one JSON per blinded image, cjv encoding the truth
    record = json.loads(T1W_JSON.read_text())
    truth = {}
    for i, entry in enumerate(entries.itertuples()):
        assert (blinded / f"sub-{entry.blinded_id}/anat/sub-{entry.blinded_id}_T1w.nii.gz").exists()
        record["cjv"] = float(i)
        truth[float(i)] = (entry.participant, entry.condition, entry.presentation)
        target = tmp_path / "mriqc" / f"sub-{entry.blinded_id}/anat/sub-{entry.blinded_id}_T1w.json"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(record))
    back = unblind(read_iqms(tmp_path / "mriqc"), read_key(tmp_path / "key.json")).data
    recovered = {row.cjv: (row.participant, row.condition, row.presentation) for row in back.itertuples()}
    assert recovered == truth
    assert back.groupby(["participant", "condition"]).size().to_dict() == {
        (p, c): (2 if p == entries.loc[entries.presentation == 2, "participant"].iloc[0] else 1)
        for p in PARTICIPANTS
        for c in ("defaced", "original")
    }


def test_blinded_dataset_is_valid_bids_and_clean(bids_pair, tmp_path):
    key = _blind(bids_pair, tmp_path)
    blinded = tmp_path / "blinded"
    description = json.loads((blinded / "dataset_description.json").read_text())
    assert description["BIDSVersion"] and description["GeneratedBy"][0]["Name"] == "iqmstats"
    ids = pd.read_csv(blinded / "participants.tsv", sep="\t", dtype=str)["participant_id"].tolist()
    assert ids == sorted(f"sub-{i}" for i in key.entries["blinded_id"])
    for image in blinded.glob("sub-*/anat/*.nii.gz"):
        header = nib.load(image).header
        assert header["descrip"].tobytes().strip(b"\0") == b"" and header["aux_file"].tobytes().strip(b"\0") == b""
        assert len(header.extensions) == 0
        assert gzip_stored_name(image) in (None, image.name.removesuffix(".gz"))
        sidecar = json.loads(image.with_name(image.name.replace(".nii.gz", ".json")).read_text())
        assert sidecar == {"EchoTime": 0.0046, "RepetitionTime": 9.8}
    assert key.metadata["sidecar_fields_found_identifying"] == ["AcquisitionTime", "ScannerSessionCode", "SeriesNumber"]
    assert audit(blinded).empty
    assert audit(blinded, read_key(tmp_path / "key.json")).empty


def test_key_is_private_complete_and_versioned(bids_pair, tmp_path):
    _blind(bids_pair, tmp_path)
    path = tmp_path / "key.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    document = json.loads(path.read_text())
    assert (document["format"], document["version"], document["seed"]) == ("iqmstats-blinding-key", 1, 11)
    assert document["random_source"] == "numpy PCG64, seeded"
    first = document["entries"][0]
    assert set(first) == {"blinded_id", "participant", "condition", "presentation", "source"}
    assert first["source"].endswith("_T1w.nii.gz") and os.path.isabs(first["source"])


def test_seed_reproduces_and_no_seed_is_cryptographic(bids_pair, tmp_path):
    first = _blind(bids_pair, tmp_path / "a")
    second = _blind(bids_pair, tmp_path / "b")
    assert first.entries.equals(second.entries)
    other = _blind(bids_pair, tmp_path / "c", seed=12)
    assert not other.entries["blinded_id"].equals(first.entries["blinded_id"])
    secret = _blind(bids_pair, tmp_path / "d", seed=None)
    assert secret.metadata["seed"] is None and "cryptographic" in secret.metadata["random_source"]


def test_the_key_is_never_overwritten_or_misplaced(bids_pair, tmp_path):
    (tmp_path / "key.json").write_text("the only copy")
    with pytest.raises(OutputError, match="key.json exists"):
        _blind(bids_pair, tmp_path)
    assert (tmp_path / "key.json").read_text() == "the only copy"
    assert not (tmp_path / "blinded").exists()
    with pytest.raises(OutputError, match="must not lie inside the blinded dataset"):
        blind_datasets(list(bids_pair), ["original", "defaced"], out=tmp_path / "b", key_path=tmp_path / "b" / "k.json")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    with pytest.raises(OutputError, match="not empty"):
        blind_datasets(list(bids_pair), ["original", "defaced"], out=tmp_path / "full", key_path=tmp_path / "k2.json")


def test_condition_as_an_entity(tmp_path, bids_pair):
    original, defaced = bids_pair
    single = tmp_path / "single"
    for root, condition in ((original, "original"), (defaced, "defaced")):
        for image in root.glob("sub-*/anat/*"):
            name = image.name.replace("_T1w", f"_acq-{condition}_T1w")
            target = single / image.parent.relative_to(root) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(image.read_bytes())
    key = blind_datasets(
        [single],
        ["original", "defaced"],
        out=tmp_path / "blinded",
        key_path=tmp_path / "k.json",
        condition_entity="acq",
        seed=3,
    )
    assert sorted(key.entries["condition"].value_counts().to_dict().items()) == [("defaced", 4), ("original", 4)]
    assert not list((tmp_path / "blinded").rglob("*acq-*"))


def test_bad_blinding_requests(bids_pair, tmp_path):
    with pytest.raises(ParameterError, match="2 source dataset"):
        blind_datasets(list(bids_pair), ["original"], out=tmp_path / "o", key_path=tmp_path / "k.json")
    with pytest.raises(ParameterError, match="repeat=9"):
        _blind(bids_pair, tmp_path, repeat=9)
    with pytest.raises(ParameterError, match="distinct"):
        blind_datasets(list(bids_pair), ["a", "a"], out=tmp_path / "o", key_path=tmp_path / "k.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BlindingError, match="no NIfTI images"):
        blind_datasets([tmp_path / "empty"], ["a"], out=tmp_path / "o2", key_path=tmp_path / "k.json")
    assert not (tmp_path / "k.json").exists()
