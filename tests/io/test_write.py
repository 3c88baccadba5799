"""Outputs are atomic, never replace what exists unless asked, and round-trip exactly."""

import io
import os
import stat

import numpy as np
import pandas as pd
import pytest

from iqmstats import OutputError
from iqmstats.examples import example_path
from iqmstats.io import read_iqms
from iqmstats.io.write import write_bytes, write_json, write_tsv


def test_tsv_round_trip_is_exact(tmp_path):
    table = read_iqms(example_path("ixi-iqms"))
    write_tsv(table.data, tmp_path / "iqms.tsv")
    back = read_iqms(tmp_path / "iqms.tsv")
    np.testing.assert_array_equal(back.values.to_numpy(), table.values.to_numpy())  # NaN == NaN here
    assert back.data["subject"].tolist() == table.data["subject"].tolist()
    assert back.missing == {"fber": 863}  # sentinels were written as n/a


def test_existing_files_are_never_replaced(tmp_path):
    target = tmp_path / "key.json"
    target.write_text("precious")
    with pytest.raises(OutputError, match="key.json exists; choose another path or replace it with overwrite=True"):
        write_json({"a": 1}, target)
    with pytest.raises(OutputError):
        write_tsv(pd.DataFrame({"a": [1]}), target)
    assert target.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["key.json"]  # no temporary file left behind
    write_json({"a": 1}, target, overwrite=True)
    assert target.read_text() == '{\n  "a": 1\n}\n'


def test_missing_folder_and_permissions(tmp_path):
    with pytest.raises(OutputError, match="does not exist; create it first"):
        write_bytes(b"x", tmp_path / "no" / "file")
    path = write_bytes(b"secret", tmp_path / "key", mode=0o600)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_tsv_text_is_what_pandas_writes_up_to_the_exponent_notation():
    """The fast writer's text equals pandas' to_csv for every kind of column the outputs hold, but
    for floats in exponent notation (JSON's 1e-7 for repr's 1e-07); pandas reads every value back
    exactly as it was."""
    from iqmstats.io.write import tsv_text

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "iqm": ["cjv", "with\ttab", 'with "quote"', "n/a", "line\nbreak"],
            "value": [0.1, np.nan, 1e-300, -2.5e16, 3.0],
            "tiny": rng.normal(size=5) * 1e-12,
            "infinite": [np.inf, -np.inf, 1e-5, np.nan, 0.0],
            "single": np.float32([0.1, np.nan, np.inf, -0.0, 1 / 3]),
            "n": [1, 2, 3, 4, 5],
            "kept": [True, False, True, True, False],
            "text": ["a", None, "", "01", np.nan],
            "count": pd.array([1, None, 3, 4, 5], dtype="Int64"),
            "flag": pd.array([True, None, False, True, True], dtype="boolean"),
            "label": pd.array(["x", None, "y", "z", "w"], dtype="string"),
            "wide": rng.normal(size=5) * 10.0 ** rng.integers(-9, 9, size=5),
        }
    )
    ours = tsv_text(frame)
    theirs = frame.to_csv(sep="\t", index=False, na_rep="n/a", lineterminator="\n")
    floats = ["value", "tiny", "wide"]
    read = {
        text: pd.read_csv(io.StringIO(text), sep="\t", na_values="n/a", keep_default_na=False)
        for text in (ours, theirs)
    }
    pd.testing.assert_frame_equal(read[ours], read[theirs], check_exact=True)
    np.testing.assert_array_equal(read[ours][floats].to_numpy(), frame[floats].to_numpy())
    others = [c for c in frame.columns if c not in floats]
    for text in (ours, theirs):
        assert "n/a" in text
    assert tsv_text(frame[others]) == frame[others].to_csv(sep="\t", index=False, na_rep="n/a", lineterminator="\n")
    assert "\t1e-7\t" in tsv_text(pd.DataFrame({"a": ["x"], "b": [1e-7], "c": [1]}))
