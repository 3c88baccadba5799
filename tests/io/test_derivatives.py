"""Reading per-image MRIQC JSONs from folders: layouts, exact values, every bad input."""

import json
import os

import numpy as np
import pytest

from iqmstats import InputError, ParameterError
from iqmstats.examples import example_path
from iqmstats.io import derivatives, read_iqms

from ..conftest import BOLD_JSON, T1W_JSON, place

CJV = 0.32378983064912237  # the value written in tests/data/sub-0001_T1w.json


def _record(**changes):
    record = json.loads(T1W_JSON.read_text())
    record.update(changes)
    return record


def _write(root, relative, record):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))
    return path


def test_single_real_t1w_json_exact_values():
    table = read_iqms(T1W_JSON)
    row = table.data.iloc[0]
    assert row["cjv"] == CJV
    assert row["snr_total"] == 10.240315441305453  # as written in the file: no float drift
    assert row["bids_name"] == "sub-0001_T1w" and row["subject"] == "0001"
    assert (row["mriqc_version"], row["md5sum"]) == ("22.0.0rc1", "75299540d520042f9da0ec013e0d85c0")
    assert row["mriqc_warnings"] == "large_rot_frame,small_air_mask"
    assert table.iqms[:3] == ("cjv", "cnr", "efc") and len(table.iqms) == 62
    assert set(table.set_aside) == {
        "bids_meta",
        "provenance",
        "size_x",
        "size_y",
        "size_z",
        "spacing_x",
        "spacing_y",
        "spacing_z",
    }


def test_mriqc_output_folder(mriqc_output):
    table = read_iqms(mriqc_output, modality="T1w")
    assert table.data["bids_name"].tolist() == ["sub-0001_T1w", "sub-0002_ses-1_T1w"]
    assert table.data["session"].isna().tolist() == [True, False]
    assert table.data["source_file"].tolist() == [
        "sub-0001/anat/sub-0001_T1w.json",
        "sub-0002/ses-1/anat/sub-0002_ses-1_T1w.json",
    ]
    reasons = table.skipped.groupby("reason").size().to_dict()
    assert reasons == {
        "not a JSON file (reports, figures, logs)": 2,
        "not a BIDS-named JSON (e.g. dataset_description.json)": 1,
        "not T1w": 1,
    }
    assert "skipped 4" in table.describe()


def test_folder_with_two_modalities_asks_to_choose(mriqc_output):
    with pytest.raises(InputError, match=r"2 T1w, 1 bold.*modality='T1w' or modality='bold'"):
        read_iqms(mriqc_output)
    bold = read_iqms(mriqc_output, modality="bold")
    assert bold.data.loc[0, ["task", "acquisition"]].tolist() == ["restingstate", "mb3"]
    assert bold.data.loc[0, "tsnr"] == json.loads(BOLD_JSON.read_text())["tsnr"]


def test_study_blinded_layout_keeps_leading_zeros(tmp_path):
    for blinded in ("0007", "0152", "1160"):
        place(T1W_JSON, tmp_path, f"sub-{blinded}/ses-V1/anat/sub-{blinded}_ses-V1_run-1_T1w.json")
    table = read_iqms(tmp_path)
    assert table.data["subject"].tolist() == ["0007", "0152", "1160"]
    assert table.data.loc[0, ["session", "run", "suffix"]].tolist() == ["V1", "1", "T1w"]


def test_raw_bids_sidecars_are_skipped_not_read(tmp_path):
    place(T1W_JSON, tmp_path, "derivatives/mriqc/sub-01/anat/sub-01_T1w.json")
    _write(tmp_path, "sub-01/anat/sub-02_T1w.json", {"RepetitionTime": 2.3, "EchoTime": 0.003})
    table = read_iqms(tmp_path)
    assert len(table.data) == 1
    assert table.skipped["reason"].str.contains("raw BIDS sidecar").sum() == 1


def test_fber_sentinel_becomes_missing(tmp_path):
    _write(tmp_path, "sub-01/anat/sub-01_T1w.json", _record(fber=-1.0))
    _write(tmp_path, "sub-02/anat/sub-02_T1w.json", _record(fber=1200.5))
    table = read_iqms(tmp_path)
    assert np.isnan(table.data.loc[0, "fber"]) and table.data.loc[1, "fber"] == 1200.5
    assert table.sentinels == {"fber": 1}


def test_malformed_json_names_the_file(tmp_path):
    place(T1W_JSON, tmp_path, "sub-01/anat/sub-01_T1w.json")
    bad = tmp_path / "sub-02/anat/sub-02_T1w.json"
    bad.parent.mkdir(parents=True)
    bad.write_text('{"cjv": 0.3,, }')
    with pytest.raises(InputError, match=r"sub-02/anat/sub-02_T1w.json: is not valid JSON \(.*line 1, column 13"):
        read_iqms(tmp_path)
    table = read_iqms(tmp_path, on_invalid="skip")
    assert table.data["subject"].tolist() == ["01"]
    assert table.skipped["file"].tolist() == ["sub-02/anat/sub-02_T1w.json"]


@pytest.mark.parametrize(
    "value, message",
    [
        (None, "IQM 'cjv' is null"),
        ("0.3", "IQM 'cjv' is '0.3', not a number"),
        ({"a": 1}, "IQM 'cjv' is {'a': 1}, not a number"),
        ([0.3, 0.4, 0.5], "IQM 'cjv' is a list of 3 values \\(multi-echo data\\?\\)"),
    ],
)
def test_non_numbers_in_iqms_are_refused(tmp_path, value, message):
    _write(tmp_path, "sub-01/anat/sub-01_T1w.json", _record(cjv=value))
    with pytest.raises(InputError, match=f"sub-01_T1w.json: {message}"):
        read_iqms(tmp_path)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_inf_literals_are_refused(tmp_path, literal):
    path = _write(tmp_path, "sub-01/anat/sub-01_T1w.json", _record(cjv=12345.678))
    path.write_text(path.read_text().replace("12345.678", literal))
    with pytest.raises(InputError, match="IQM 'cjv' is .*not a finite number"):
        read_iqms(tmp_path)


def test_versions_with_different_iqm_sets(tmp_path):
    old = _record(provenance={"version": "0.15.1", "software": "mriqc"})
    for key in ("summary_bg_n", "summary_csf_n"):
        del old[key]
    old["new_iqm"] = 1.0
    place(T1W_JSON, tmp_path, "sub-01/anat/sub-01_T1w.json")
    place(T1W_JSON, tmp_path, "sub-02/anat/sub-02_T1w.json")
    _write(tmp_path, "sub-03/anat/sub-03_T1w.json", old)
    with pytest.raises(InputError) as caught:
        read_iqms(tmp_path)
    message = str(caught.value)
    assert "2 (MRIQC 22.0.0rc1) vs 1 (MRIQC 0.15.1, e.g. sub-03/anat/sub-03_T1w.json)" in message
    assert "lacking summary_bg_n, summary_csf_n; adding new_iqm" in message
    assert "keep the 60 IQMs all records share with common_iqms=True" in message
    common = read_iqms(tmp_path, iqm_sets="common")
    assert len(common.iqms) == 60 and "summary_bg_n" not in common.iqms and "new_iqm" not in common.iqms
    assert common.data["cjv"].tolist() == [CJV] * 3


def test_key_order_does_not_matter(tmp_path):
    record = _record()
    _write(tmp_path, "sub-01/anat/sub-01_T1w.json", record)
    _write(tmp_path, "sub-02/anat/sub-02_T1w.json", dict(reversed(list(record.items()))))
    table = read_iqms(tmp_path)
    assert table.data.loc[0, list(table.iqms)].tolist() == table.data.loc[1, list(table.iqms)].tolist()


def test_two_files_for_the_same_image(tmp_path):
    place(T1W_JSON, tmp_path, "run1/sub-01/anat/sub-01_T1w.json")
    place(T1W_JSON, tmp_path, "run2/sub-01/anat/sub-01_T1w.json")
    with pytest.raises(InputError, match="sub-01_T1w in run1/sub-01/anat/sub-01_T1w.json and run2/"):
        read_iqms(tmp_path)


def test_empty_folder(tmp_path):
    with pytest.raises(InputError, match="no MRIQC IQM files found. Nothing was found at all"):
        read_iqms(tmp_path)


def test_folder_without_mriqc_records_says_what_it_skipped(tmp_path):
    (tmp_path / "dataset_description.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(InputError, match="no MRIQC IQM files found. Passed over ") as caught:
        read_iqms(tmp_path)
    assert "1 file (not a JSON file" in str(caught.value) and "1 file (not a BIDS-named JSON" in str(caught.value)


def test_a_folder_of_rating_widget_records_is_named_as_ratings():
    with pytest.raises(InputError, match=r"Passed over 40 files \(a rating-widget record, not IQMs \(ratings are "):
        read_iqms(example_path("pilot-ratings"))


def test_mriqc_record_without_iqms(tmp_path):
    _write(tmp_path, "sub-01/anat/sub-01_T1w.json", {"bids_meta": {}, "provenance": {}, "size_x": 3})
    with pytest.raises(InputError, match="an MRIQC record without any IQM"):
        read_iqms(tmp_path)


def test_missing_path_and_unknown_formats(tmp_path):
    with pytest.raises(InputError, match="no such file or directory"):
        read_iqms(tmp_path / "nope")
    (tmp_path / "x.nii.gz").write_bytes(b"")
    with pytest.raises(InputError, match="cannot tell what this is"):
        read_iqms(tmp_path / "x.nii.gz")
    with pytest.raises(ParameterError, match="Did you mean 'skip'"):
        read_iqms(tmp_path, on_invalid="skipp")
    with pytest.raises(ParameterError, match="Did you mean 'T2w'"):
        read_iqms(tmp_path, modality="T2")


def test_parallel_read_equals_serial_read(tmp_path):
    record = _record()
    rng = np.random.default_rng(0)
    for i in range(1100):  # more than two chunks
        record["cjv"] = float(rng.random())
        _write(tmp_path, f"sub-{i:04d}/anat/sub-{i:04d}_T1w.json", record)
    serial = read_iqms(tmp_path, jobs=1)
    parallel = read_iqms(tmp_path, jobs=2)
    assert serial.data.equals(parallel.data)
    assert serial.data["subject"].iloc[-1] == "1099"
    assert derivatives.PARALLEL_MIN_FILES > 1100  # the default stays serial at this size


def test_work_units_cover_the_tree_in_walk_order(tmp_path, monkeypatch):
    """A tree under one folder (derivatives/mriqc/sub-*) is opened up so its participants' folders
    can be shared; the units, walked, give every file once, in the walk's order, and reading them
    in worker processes gives the serial table."""
    record = _record()
    (tmp_path / "derivatives" / "mriqc").mkdir(parents=True)
    (tmp_path / "derivatives" / "README.txt").write_text("")
    (tmp_path / "derivatives" / "mriqc" / "dataset_description.json").write_text("{}")
    for i in range(40):
        for session in ("1", "2"):
            record["cjv"] = i + int(session) / 10
            _write(
                tmp_path, f"derivatives/mriqc/sub-{i:02d}/ses-{session}/anat/sub-{i:02d}_ses-{session}_T1w.json", record
            )
    monkeypatch.setattr(derivatives, "_FOLDERS", 7)
    units = derivatives._units(str(tmp_path))
    assert units[0] == ("files", ["derivatives/README.txt", "derivatives/mriqc/dataset_description.json"])
    assert [kind for kind, _ in units[1:]] == ["folders"] * 6 and units[1][1][0] == "derivatives/mriqc/sub-00"
    walked = [
        rel
        for kind, names in units
        for name in names
        for rel in ([name] if kind == "files" else derivatives.iter_files(str(tmp_path / name), name + "/"))
    ]
    assert walked == derivatives.walk_files(str(tmp_path)) and len(walked) == 82
    serial, parallel = read_iqms(tmp_path, jobs=1), read_iqms(tmp_path, jobs=2)
    assert serial.data.equals(parallel.data) and serial.checksum == parallel.checksum
    assert serial.data["cjv"].tolist() == [i + s / 10 for i in range(40) for s in (1, 2)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_folder_that_cannot_be_listed_is_named(tmp_path, monkeypatch, jobs):
    """Permissions cannot be taken from root, so listing one participant's folder fails here by hand;
    in a worker process too the error names the folder (not an internal error)."""
    for i in range(20):
        _write(tmp_path, f"sub-{i:02d}/anat/sub-{i:02d}_T1w.json", _record())
    listing = os.scandir

    def refusing(path):
        if str(path).endswith("sub-07"):
            raise PermissionError(13, "Permission denied")
        return listing(path)

    monkeypatch.setattr(derivatives.os, "scandir", refusing)
    with pytest.raises(InputError, match=r"sub-07: the folder cannot be listed \(Permission denied\); fix its"):
        read_iqms(tmp_path, jobs=jobs)
