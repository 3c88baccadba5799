"""The command line: one clear line per user error, exit codes 0/1/2, never a traceback."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from iqmstats import InputError
from iqmstats.cli import main

from .conftest import DATA


def test_read_writes_a_tidy_table_and_a_sidecar(tmp_path, capsys):
    out = tmp_path / "iqms.tsv"
    assert main(["read", str(DATA / "group_T1w.tsv"), "--out", str(out)]) == 0
    table = pd.read_csv(out, sep="\t", dtype=str, keep_default_na=False)
    assert table["bids_name"].tolist()[:2] == ["sub-50137_T1w", "sub-50152_T1w"]
    assert table.columns[-4:].tolist() == ["mriqc_version", "md5sum", "mriqc_warnings", "source_file"]
    sidecar = json.loads((tmp_path / "iqms.json").read_text())
    assert sidecar["n_images"] == 4 and sidecar["modality"] == "T1w" and sidecar["sentinels"] == {"fber": 1}
    assert len(sidecar["columns"]["iqms"]) == 62
    assert "wrote" in capsys.readouterr().err


def test_read_refuses_to_replace_outputs_unless_forced(tmp_path, capsys):
    sidecar = tmp_path / "iqms.json"
    sidecar.write_text("mine")
    args = ["read", str(DATA / "group_T1w.tsv"), "--out", str(tmp_path / "iqms.tsv"), "--quiet"]
    assert main(args) == 1
    assert (
        capsys.readouterr().err
        == f"iqmstats: error: {sidecar} exists; choose another path or replace it with --force\n"
    )
    assert not (tmp_path / "iqms.tsv").exists() and sidecar.read_text() == "mine"
    assert main([*args, "--force"]) == 0
    assert json.loads(sidecar.read_text())["n_images"] == 4


def test_input_errors_are_one_line_and_exit_1(tmp_path, capsys):
    (tmp_path / "sub-01_T1w.json").write_text("{not json")
    assert main(["read", str(tmp_path / "sub-01_T1w.json"), "--out", str(tmp_path / "t.tsv")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("iqmstats: error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_usage_errors_exit_2(capsys):
    assert main(["read", "x"]) == 2  # --out missing
    assert main(["read", "x", "--out", "y", "--modality", "T3w"]) == 2
    assert main(["nonsense"]) == 2
    assert "usage:" in capsys.readouterr().err


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(InputError):
        main(["--debug", "read", str(tmp_path / "nope"), "--out", str(tmp_path / "t.tsv")])


def test_python_dash_m_and_version():
    done = subprocess.run([sys.executable, "-m", "iqmstats", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("iqmstats ")
