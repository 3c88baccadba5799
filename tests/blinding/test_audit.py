"""The audit flags every way a rater could match a participant's images."""

import gzip
import json
import os
import shutil

import numpy as np

from iqmstats.blinding import audit, blind_datasets, read_key

from .conftest import write_image


def _blinded(bids_pair, tmp_path, **options):
    blind_datasets(
        list(bids_pair),
        ["original", "defaced"],
        out=tmp_path / "blinded",
        key_path=tmp_path / "key.json",
        seed=5,
        **options,
    )
    return tmp_path / "blinded", read_key(tmp_path / "key.json")


def _checks(findings):
    return sorted(set(findings["check"]))


def test_symlinked_copy_is_flagged(bids_pair, tmp_path):
    blinded, key = _blinded(bids_pair, tmp_path, link="symlink")
    findings = audit(blinded, key)
    assert "symlink" in _checks(findings)
    assert findings[findings.check == "symlink"]["detail"].str.contains("ixi").all()
    assert "header text" not in _checks(audit(blinded))  # links are not followed into the originals


def test_hardlinked_copy_is_flagged(bids_pair, tmp_path):
    blinded, key = _blinded(bids_pair, tmp_path, link="hardlink")
    checks = _checks(audit(blinded, key))
    assert {"hardlink", "header text", "header extension"} <= set(checks)  # the originals' headers came along


def test_the_studys_own_symlink_layout_is_flagged(bids_pair, tmp_path):
    """The study linked sub-<id>/ses-V1/anat/sub-<id>_ses-V1_run-1_T1w.nii.gz to the originals."""
    original, _ = bids_pair
    study = tmp_path / "shuffled"
    for blinded_id, participant in ((17, "01"), (4, "02")):
        target = study / f"sub-{blinded_id}/ses-V1/anat/sub-{blinded_id}_ses-V1_run-1_T1w.nii.gz"
        target.parent.mkdir(parents=True)
        os.symlink(original / f"sub-{participant}/anat/sub-{participant}_T1w.nii.gz", target)
    findings = audit(study)
    assert findings["check"].tolist() == ["symlink", "symlink"]
    assert findings["detail"].str.contains("sub-01_T1w.nii.gz|sub-02_T1w.nii.gz").all()


def test_leaked_id_in_a_sidecar_and_in_a_name(bids_pair, tmp_path):
    blinded, key = _blinded(bids_pair, tmp_path)
    sidecar = next(blinded.glob("sub-*/anat/*.json"))
    sidecar.write_text(json.dumps({"EchoTime": 0.0046, "Comment": "from sub-03"}))
    (blinded / "notes_sub-02.txt").write_text("")
    findings = audit(blinded, key)
    assert findings[findings.check == "original id in content"]["file"].tolist() == [
        sidecar.relative_to(blinded).as_posix()
    ]
    assert findings[findings.check == "original id in name"]["detail"].tolist() == ["contains participant 02"]
    assert audit(blinded).empty  # without the key these cannot be seen


def test_numeric_ids_do_not_match_inside_numbers(bids_pair, tmp_path):
    blinded, key = _blinded(bids_pair, tmp_path)
    sidecar = next(blinded.glob("sub-*/anat/*.json"))
    sidecar.write_text(json.dumps({"EchoTime": 0.0046, "Slope": 1.02, "Offset": 3}))
    assert audit(blinded, key).empty  # '02' and '03' as parts of numbers are not participant labels


def test_unscrubbed_header_and_stored_gzip_name(bids_pair, tmp_path):
    blinded, key = _blinded(bids_pair, tmp_path)
    image = next(blinded.glob("sub-*/anat/*.nii.gz"))
    write_image(image, np.zeros((4, 4, 4), dtype=np.int16), descrip=b"IXI002 2005-06-01")
    other = sorted(blinded.glob("sub-*/anat/*.nii.gz"))[-1]
    raw = gzip.decompress(other.read_bytes())
    with open(other, "wb") as handle, gzip.GzipFile("IXI002-Guys-0828-T1.nii", "wb", fileobj=handle) as packed:
        packed.write(raw)
    findings = audit(blinded, key)
    assert findings[findings.check == "header text"]["detail"].tolist() == [
        "descrip = 'IXI002 2005-06-01'",
        "aux_file = 'scan.dcm'",
    ]
    assert findings[findings.check == "header extension"]["detail"].tolist() == ["code 6, 18 bytes"]
    assert findings[findings.check == "gzip header name"]["detail"].tolist() == [
        "the compressed file remembers the name 'IXI002-Guys-0828-T1.nii'"
    ]


def test_identical_images_across_conditions(bids_pair, tmp_path):
    original, defaced = bids_pair
    shutil.rmtree(defaced)
    shutil.copytree(original, defaced)  # "defacing" that changed nothing
    blinded, key = _blinded(bids_pair, tmp_path)
    findings = audit(blinded, key)
    assert (findings["check"] == "identical images").sum() == 4


def test_identifying_sidecar_field_is_flagged(bids_pair, tmp_path):
    blinded, key = _blinded(bids_pair, tmp_path)
    for sidecar in blinded.glob("sub-*/anat/*.json"):
        subject = sidecar.name.split("_")[0].removeprefix("sub-")
        participant = key.entries.set_index("blinded_id").loc[subject, "participant"]
        sidecar.write_text(json.dumps({"EchoTime": 0.0046, "CoilString": f"HEA;HEP-{participant}"}))
    findings = audit(blinded, key)
    assert findings[findings.check == "identifying sidecar field"]["file"].tolist() == ["CoilString"]
