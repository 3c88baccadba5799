"""Never silently wrong, never a false all-clear: each bad input, one at a time, ends in a one-line
refusal naming the file, option or value (exit 1 or 2), or in a result that reports what it dropped."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from iqmstats.cli import main
from iqmstats.examples import example_path

from .conftest import T1W_JSON, place

STUDY = example_path("ixi-iqms")
QUICK = ["--permutations", "50", "--bootstrap", "50", "--no-report"]


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("iqmstats: error: ") and err.count("\n") == 1, err
    assert "internal error" not in err and "Traceback" not in err
    return err


@pytest.fixture
def study(tmp_path):
    return pd.read_csv(STUDY, dtype=str)


def test_an_all_constant_table_is_refused_in_words(study, tmp_path, capsys):
    for column in study.columns[4:]:
        study[column] = "1.0"
    study.to_csv(tmp_path / "constant.csv", index=False)
    args = ["compare", str(tmp_path / "constant.csv"), "--subject-col", "sub", "--condition-col", "defaced"]
    assert main([*args, "--out", str(tmp_path / "out"), *QUICK]) == 1
    assert "no measure is left to test: all 62 were excluded (62 constant; e.g. cjv: always 1" in _one_line_error(
        capsys
    )


def test_a_condition_without_values_is_refused_naming_it(study, tmp_path, capsys):
    third = study[study.defaced == "0"].assign(defaced="2", bids_name=lambda d: d.bids_name + "x")
    third[study.columns[4:]] = ""
    pd.concat([study, third]).to_csv(tmp_path / "three.csv", index=False)
    args = [
        "compare",
        str(tmp_path / "three.csv"),
        "--subject-col",
        "sub",
        "--condition-col",
        "defaced",
        "--conditions",
        "0,1,2",
        "--out",
        str(tmp_path / "out"),
        *QUICK,
    ]
    assert main(args) == 1
    assert (
        "condition '2': none of its 579 images has a value of any measure; compare the others with --conditions 0,1"
        in (_one_line_error(capsys))
    )


def test_a_between_level_with_one_participant_is_named(study, tmp_path, capsys):
    study.loc[study["sub"] == "2", "site"] = "9"
    study.to_csv(tmp_path / "sites.csv", index=False)
    args = [
        "compare",
        str(tmp_path / "sites.csv"),
        "--subject-col",
        "sub",
        "--condition-col",
        "defaced",
        "--between",
        "site",
        "--out",
        str(tmp_path / "out"),
        "--quiet",
        *QUICK,
    ]
    assert main(args) == 0
    multivariate = pd.read_csv(tmp_path / "out" / "multivariate.tsv", sep="\t")
    wts = multivariate[multivariate.test == "wts_mats"].iloc[0]
    assert wts.note == "not testable: site level(s) 9 have fewer than two participants; every level needs at least two"


def test_extra_columns_of_a_group_table_are_identifiers_not_iqms(tmp_path, capsys):
    from .conftest import DATA

    table = pd.read_csv(DATA / "group_T1w.tsv", sep="\t", dtype=str)
    table["notes"], table["age"] = ["fine", "blurry, redo", "", "ok"], ["31", "45", "52", "60"]
    table.to_csv(tmp_path / "group_T1w.tsv", sep="\t", index=False)
    assert main(["read", str(tmp_path / "group_T1w.tsv"), "--out", str(tmp_path / "t.tsv")]) == 0
    err = capsys.readouterr().err
    assert "columns holding numbers that are not MRIQC IQMs, kept as identifiers" in err and "age" in err
    sidecar = json.loads((tmp_path / "t.json").read_text())
    assert "age" not in sidecar["columns"]["iqms"] and sidecar["other_numeric"] == ["age"]
    assert {"notes", "age"} <= set(sidecar["columns"]["identifiers"]) and len(sidecar["columns"]["iqms"]) == 62


def test_files_passed_over_are_counted_and_listed(tmp_path, capsys):
    place(T1W_JSON, tmp_path / "tree", "sub-01/anat/sub-01_T1w.json")
    place(T1W_JSON, tmp_path / "tree", "sub-02/anat/sub-02_T1w.json")
    (tmp_path / "tree" / "sub-03" / "anat").mkdir(parents=True)
    (tmp_path / "tree" / "sub-03" / "anat" / "sub-03_T1w.json").write_text('{"RepetitionTime": 2.3}')
    key = {"01": "a_non_defaced", "02": "a_defaced", "03": "b_defaced"}
    (tmp_path / "key.json").write_text(json.dumps(key))
    assert (
        main(["unblind", str(tmp_path / "tree"), "--key", str(tmp_path / "key.json"), "--out", str(tmp_path / "u.tsv")])
        == 0
    )
    err = capsys.readouterr().err
    assert "unblinded 2 records" in err and "passed over 1 not an MRIQC record" in err
    assert json.loads((tmp_path / "u.json").read_text())["skipped"][0]["file"] == "sub-03/anat/sub-03_T1w.json"


def test_a_json_nested_too_deeply_is_refused_naming_it(tmp_path, capsys):
    deep = tmp_path / "sub-01_T1w.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    assert main(["read", str(deep), "--out", str(tmp_path / "t.tsv")]) == 1
    assert f"{deep}: is nested too deeply to be an MRIQC record" in _one_line_error(capsys)
    (tmp_path / "tree" / "sub-01" / "anat").mkdir(parents=True)
    shutil.copyfile(deep, tmp_path / "tree" / "sub-01" / "anat" / "sub-01_T1w.json")
    assert main(["read", str(tmp_path / "tree"), "--out", str(tmp_path / "u.tsv")]) == 1
    assert "sub-01/anat/sub-01_T1w.json: is nested too deeply" in _one_line_error(capsys)


def test_a_truncated_table_is_refused_naming_the_file(tmp_path, capsys):
    out = tmp_path / "out"
    assert (
        main(
            [
                "compare",
                str(STUDY),
                "--subject-col",
                "sub",
                "--condition-col",
                "defaced",
                "--out",
                str(out),
                "--quiet",
                *QUICK,
            ]
        )
        == 0
    )
    text = (out / "per_iqm.tsv").read_text()
    (out / "per_iqm.tsv").write_text(text[: len(text) // 2])
    assert main(["report", str(out)]) == 1
    assert f"{out / 'per_iqm.tsv'}: 27 rows where provenance.json records 53" in _one_line_error(capsys)


def test_ratings_without_conditions_use_the_two_found_and_say_which_first(tmp_path, capsys):
    assert (
        main(
            [
                "ratings",
                str(example_path("ixi-ratings")),
                "--key",
                str(example_path("ixi-key")),
                "--map",
                "non_defaced=original",
                "--out",
                str(tmp_path / "r"),
                "--no-report",
            ]
        )
        == 0
    )
    assert "conditions not given: comparing defaced and original in sorted order (differences defaced - original)" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--delta", "0,nan"], "--delta nan: must be a finite number"),
        (["--shift", "cjv,cjvv"], "--shift cjv,cjvv: 'cjvv' is not a measure of the reference. Did you mean 'cjv'?"),
        (["--n", "2000"], "--n 2000: n = 2000 exceeds the 1158 participants of the reference"),
    ],
)
def test_power_refuses_what_it_would_simulate_wrongly(extra, message, tmp_path, capsys):
    assert main(["power", str(STUDY), *extra, "--simulations", "20", "--out", str(tmp_path / "p")]) in (1, 2)
    assert message in _one_line_error(capsys)
    assert not (tmp_path / "p").exists()


def test_a_plan_lock_is_never_replaced_and_the_message_says_what_to_do(tmp_path, capsys):
    (tmp_path / "plan.toml").write_text('[compare]\ndata = "S2_Data.csv"\n')
    assert main(["plan", "lock", str(tmp_path / "plan.toml")]) == 0
    capsys.readouterr()
    assert main(["plan", "lock", str(tmp_path / "plan.toml")]) == 1
    err = _one_line_error(capsys)
    assert "a lock is never replaced" in err and "--force" not in err


def test_no_warning_reaches_the_terminal_on_degenerate_data(tmp_path):
    """Differences of zero in all but a few pairs, a measure missing in most images: the
    statistics say what they can and the process prints no numpy or pandas warning."""
    import subprocess
    import sys

    rng = np.random.default_rng(0)
    a = rng.normal(size=(12, 3))
    b = a.copy()
    b[:2] += 0.1
    frame = pd.DataFrame(np.vstack([a, b]), columns=["cjv", "efc", "snr_wm"])
    frame["snr_wm"] = np.where(np.arange(24) % 3 == 0, frame["snr_wm"], np.nan)
    frame["participant"] = [f"p{i}" for i in range(12)] * 2
    frame["condition"] = ["x"] * 12 + ["y"] * 12
    frame.to_csv(tmp_path / "tiny.csv", index=False)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "iqmstats",
            "compare",
            str(tmp_path / "tiny.csv"),
            "--out",
            str(tmp_path / "out"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "warn" not in done.stderr.lower()
