"""Single JSON files: a per-image record, legacy Web-API records, and JSON that is neither."""

import json

import pytest

from iqmstats import InputError
from iqmstats.io import read_iqms

from ..conftest import DATA, T1W_JSON

WEBAPI = DATA / "webapi_legacy_sub-10159_T1w.json"


def test_legacy_webapi_record():
    table = read_iqms(WEBAPI)
    raw = json.loads(WEBAPI.read_text())
    row = table.data.iloc[0]
    assert (row["bids_name"], row["subject"], row["suffix"]) == ("sub-10159_T1w", "10159", "T1w")
    assert row["cjv"] == 0.7248942255973816 == raw["cjv"]
    assert (row["md5sum"], row["mriqc_version"]) == ("75cab8005361c2504ba5a7f02ecbacd7", "99.99.99")
    assert len(table.iqms) == 50  # an older MRIQC: no summary_*_mad/median/n
    assert "summary_bg_n" not in table.iqms
    assert {"FlipAngle", "EchoTime", "mriqc_pred", "size_x"} <= set(table.set_aside)
    assert not {"md5sum", "version", "subject_id"} & set(table.set_aside)  # read as provenance and ids
    assert not {"FlipAngle", "EchoTime", "mriqc_pred"} & set(table.iqms)


def test_webapi_list_and_api_page(tmp_path):
    record = json.loads(WEBAPI.read_text())
    second = dict(record, subject_id="10160", session_id="1", cjv=0.5)
    (tmp_path / "list.json").write_text(json.dumps([record, second]))
    (tmp_path / "page.json").write_text(json.dumps({"_items": [record, second], "_meta": {"total": 2}}))
    for name in ("list.json", "page.json"):
        table = read_iqms(tmp_path / name)
        assert table.data["bids_name"].tolist() == ["sub-10159_T1w", "sub-10160_ses-1_T1w"]
        assert table.data["cjv"].tolist() == [0.7248942255973816, 0.5]
        assert table.data["source_file"].tolist() == [f"{name}[0]", f"{name}[1]"]


def test_webapi_bad_values_and_modalities(tmp_path):
    record = json.loads(WEBAPI.read_text())
    (tmp_path / "bad.json").write_text(json.dumps([record, dict(record, subject_id="2", efc="high")]))
    with pytest.raises(InputError, match=r"bad.json\[1\]: IQM 'efc' is 'high', not a number"):
        read_iqms(tmp_path / "bad.json")
    assert len(read_iqms(tmp_path / "bad.json", on_invalid="skip").data) == 1
    (tmp_path / "odd.json").write_text(json.dumps([dict(record, modality="dwi")]))
    with pytest.raises(InputError, match="has modality 'dwi'"):
        read_iqms(tmp_path / "odd.json")


def test_json_that_is_not_an_mriqc_record(tmp_path):
    (tmp_path / "sub-01_T1w.json").write_text(json.dumps({"RepetitionTime": 2.3}))
    with pytest.raises(InputError, match="sub-01_T1w.json: not an MRIQC record"):
        read_iqms(tmp_path / "sub-01_T1w.json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="not an MRIQC record"):
        read_iqms(tmp_path / "list.json")


def test_malformed_single_file(tmp_path):
    (tmp_path / "sub-01_T1w.json").write_text('{"cjv": 0.3')
    with pytest.raises(InputError, match=r"sub-01_T1w.json: is not valid JSON \(Expecting ',' delimiter at line 1"):
        read_iqms(tmp_path / "sub-01_T1w.json")
    (tmp_path / "latin1.json").write_bytes(b'{"cjv": "\xe9"}')
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_iqms(tmp_path / "latin1.json")


def test_single_record_of_another_modality(tmp_path):
    with pytest.raises(InputError, match="is a T1w record, not bold"):
        read_iqms(T1W_JSON, modality="bold")
