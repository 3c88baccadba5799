"""Reading group TSVs and tabulated IQMs (S2_Data.csv): identifiers stay strings, bad cells are named."""

import numpy as np
import pandas as pd
import pytest

from iqmstats import InputError
from iqmstats.examples import example_path
from iqmstats.io import read_iqms

from ..conftest import DATA


def test_group_t1w_table_exact_values():
    table = read_iqms(DATA / "group_T1w.tsv")
    raw = pd.read_csv(DATA / "group_T1w.tsv", sep="\t")  # independent parse of the same file
    assert table.modality == "T1w" and len(table.data) == 4 and len(table.iqms) == 62
    assert table.data["bids_name"].tolist() == raw["bids_name"].tolist()
    assert table.data.loc[0, "cjv"] == 0.5954143604542232
    kept = [c for c in table.iqms if c != "fber"]
    np.testing.assert_array_equal(table.data[kept].to_numpy(), raw[kept].to_numpy())
    assert table.sentinels == {"fber": int((raw.fber == -1).sum())} == {"fber": 1}
    assert set(table.set_aside) == {f"{k}_{a}" for k in ("size", "spacing") for a in "xyz"}


def test_group_bold_table():
    table = read_iqms(DATA / "group_bold.tsv")
    assert table.modality == "bold" and len(table.iqms) == 36 and len(table.data) == 9
    first = table.data.iloc[0]
    assert (first["subject"], first["task"], first["run"]) == ("ds205s03", "functionallocalizer", "01")
    assert "size_t" in table.set_aside and "spacing_tr" in table.set_aside


def test_study_table_keeps_identifiers_as_strings():
    table = read_iqms(example_path("ixi-iqms"))
    data = table.data
    assert table.id_columns == ["bids_name", "subject", "suffix", "sub", "defaced", "site"]
    assert data["subject"].iloc[:3].tolist() == ["0001", "0002", "0003"]
    raw = pd.read_csv(example_path("ixi-iqms"), dtype=str)
    assert data["sub"].tolist() == raw["sub"].tolist()
    assert data.loc[0, "cjv"] == float(raw.loc[0, "cjv"])
    assert table.sentinels == {"fber": 863}


def _s2_rows(tmp_path, cells, n=4):
    frame = pd.read_csv(example_path("ixi-iqms"), dtype=str, nrows=n)
    for (row, column), value in cells.items():
        frame.loc[row, column] = value
    path = tmp_path / "iqms.tsv"
    frame.to_csv(path, sep="\t", index=False)
    return path


def test_missing_cells_are_counted_not_invented(tmp_path):
    path = _s2_rows(tmp_path, {(1, "cjv"): "n/a", (2, "cjv"): ""})
    table = read_iqms(path)
    assert table.data["cjv"].isna().tolist() == [False, True, True, False]
    assert table.missing == {"cjv": 2}
    assert "cjv: 2 values missing in the input" in table.describe()


@pytest.mark.parametrize("cell", ["abc", "inf", "-inf", "1,5"])
def test_non_numbers_in_tables_name_the_line(tmp_path, cell):
    path = _s2_rows(tmp_path, {(2, "efc"): cell})
    with pytest.raises(InputError, match=rf"iqms.tsv line 4 \(sub-0003_T1w\): IQM 'efc' is '{cell}'"):
        read_iqms(path)
    table = read_iqms(path, on_invalid="skip")
    assert table.data["bids_name"].tolist() == ["sub-0001_T1w", "sub-0002_T1w", "sub-0004_T1w"]
    assert table.skipped["file"].tolist() == ["iqms.tsv line 4 (sub-0003_T1w)"]


def test_duplicate_images_in_a_table(tmp_path):
    path = _s2_rows(tmp_path, {(3, "bids_name"): "sub-0001_T1w"})
    with pytest.raises(InputError, match="sub-0001_T1w in iqms.tsv line 2 and iqms.tsv line 5"):
        read_iqms(path)


def test_tables_that_are_not_iqm_tables(tmp_path):
    (tmp_path / "people.tsv").write_text("participant_id\tage\nsub-01\t31\n")
    with pytest.raises(InputError, match="no column is an IQM"):
        read_iqms(tmp_path / "people.tsv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="not a readable CSV table"):
        read_iqms(tmp_path / "empty.csv")
    (tmp_path / "twice.tsv").write_text("cjv\tcjv\n1\t2\n")
    with pytest.raises(InputError, match="columns appear twice"):
        read_iqms(tmp_path / "twice.tsv")
    (tmp_path / "ragged.csv").write_text("cjv,efc\n1,2\n1,2,3,4\n")
    with pytest.raises(InputError, match="not a readable CSV table"):
        read_iqms(tmp_path / "ragged.csv")


def test_table_without_bids_names_labels_lines(tmp_path):
    (tmp_path / "abide.tsv").write_text(
        "subject_id\tsite\tcjv\tefc\n0050002\tPITT\t0.38\t0.61\n0050003\tPITT\tx\t0.6\n"
    )
    with pytest.raises(InputError, match=r"abide.tsv line 3: IQM 'cjv' is 'x'"):
        read_iqms(tmp_path / "abide.tsv")
    table = read_iqms(tmp_path / "abide.tsv", on_invalid="skip")
    assert table.data["subject_id"].tolist() == ["0050002"]
    assert table.modality == "T1w"
