import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

PARTICIPANTS = ("01", "02", "03", "04")


def write_image(path: Path, data: np.ndarray, *, descrip: bytes = b"") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = nib.Nifti1Image(data, np.diag([1.0, 1.0, 1.2, 1.0]))
    image.header["descrip"] = descrip
    image.header["aux_file"] = b"scan.dcm" if descrip else b""
    if descrip:
        image.header.extensions.append(nib.nifti1.Nifti1Extension("comment", b"PatientName=IXI002"))
    nib.save(image, path)


def sidecar(participant: str) -> dict:
    """Realistic fields: some shared by everyone, some that identify the participant's session."""
    return {
        "EchoTime": 0.0046,
        "RepetitionTime": 9.8,
        "AcquisitionTime": f"10:{participant}:07.5",
        "SeriesNumber": int(participant) + 3,
        "DeviceSerialNumber": "66012",
        "ScannerSessionCode": f"S{participant}X",  # not on any default list: found from the data
    }


@pytest.fixture
def bids_pair(tmp_path) -> tuple[Path, Path]:
    """Two tiny BIDS datasets of 4 participants: originals (with leaky headers) and defaced copies."""
    rng = np.random.default_rng(7)
    original, defaced = tmp_path / "ixi", tmp_path / "ixi-defaced"
    for root in (original, defaced):
        (root).mkdir()
        (root / "dataset_description.json").write_text(json.dumps({"Name": root.name, "BIDSVersion": "1.9.0"}))
    for participant in PARTICIPANTS:
        data = rng.integers(0, 1000, (6, 6, 5)).astype(np.int16)
        face_removed = data.copy()
        face_removed[:, :2, :] = 0
        stem = f"sub-{participant}/anat/sub-{participant}_T1w"
        write_image(original / f"{stem}.nii.gz", data, descrip=f"IXI0{participant} 2005-06-0{participant}".encode())
        write_image(defaced / f"{stem}.nii.gz", face_removed)
        for root in (original, defaced):
            (root / f"{stem}.json").write_text(json.dumps(sidecar(participant)))
    return original, defaced
