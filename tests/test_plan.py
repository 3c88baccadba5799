"""Pre-registration: a locked plan runs as registered; every deviation is recorded, never silent."""

import json
import shutil

import pytest

from iqmstats.cli import main
from iqmstats.examples import example_path

PLAN = """
[compare]
input = "S2_Data.csv"
key = "IXI_blind_dict.json"
map = "non_defaced=original"
conditions = ["original", "defaced"]
permutations = 200
bootstrap = 200
seed = 7

[ratings]
input = "S1_Data.tsv"
key = "IXI_blind_dict.json"
map = "non_defaced=original"
conditions = ["original", "defaced"]
threshold = 2.45
"""


@pytest.fixture
def study(tmp_path):
    for name in ("ixi-iqms", "ixi-key", "ixi-ratings"):
        shutil.copyfile(example_path(name), tmp_path / example_path(name).name)
    (tmp_path / "plan.toml").write_text(PLAN)
    return tmp_path


def _registration(folder):
    return json.loads((folder / "provenance.json").read_text())["registration"]


def test_locked_plan_runs_as_registered(study, capsys):
    assert main(["plan", "lock", str(study / "plan.toml")]) == 0
    lock = json.loads((study / "plan.lock.json").read_text())
    assert len(lock["sha256"]) == 64 and lock["normalised_plan"]["compare"]["seed"] == 7
    assert (
        main(["compare", "--plan", str(study / "plan.toml"), "--out", str(study / "a"), "--quiet", "--no-report"]) == 0
    )
    registration = _registration(study / "a")
    assert registration["status"] == "ran as registered" and registration["sha256"] == lock["sha256"]
    assert f"ran as registered (sha256 {lock['sha256']})" in capsys.readouterr().err
    provenance = json.loads((study / "a" / "provenance.json").read_text())
    assert provenance["parameters"]["seed"] == 7 and provenance["parameters"]["permutations"] == 200
    assert (
        main(["ratings", "--plan", str(study / "plan.toml"), "--out", str(study / "r"), "--quiet", "--no-report"]) == 0
    )
    assert _registration(study / "r")["status"] == "ran as registered"


def test_command_line_override_is_a_deviation(study, capsys):
    main(["plan", "lock", str(study / "plan.toml")])
    assert (
        main(
            [
                "compare",
                "--plan",
                str(study / "plan.toml"),
                "--seed",
                "8",
                "--out",
                str(study / "b"),
                "--quiet",
                "--no-report",
            ]
        )
        == 0
    )
    registration = _registration(study / "b")
    assert registration["status"] == "deviations from the registered plan"
    assert registration["deviations"] == ["seed: the plan says 7; this run used 8"]
    assert "DEVIATION from the registered plan: seed: the plan says 7; this run used 8" in capsys.readouterr().err
    assert json.loads((study / "b" / "provenance.json").read_text())["parameters"]["seed"] == 8


def test_edited_plan_and_unlocked_plan_are_deviations(study):
    main(["plan", "lock", str(study / "plan.toml")])
    (study / "plan.toml").write_text(PLAN.replace("permutations = 200", "permutations = 300"))
    assert (
        main(["compare", "--plan", str(study / "plan.toml"), "--out", str(study / "c"), "--quiet", "--no-report"]) == 0
    )
    assert _registration(study / "c")["deviations"] == ["the plan was edited after locking ([compare] permutations)"]
    (study / "plan.lock.json").unlink()
    assert (
        main(["compare", "--plan", str(study / "plan.toml"), "--out", str(study / "d"), "--quiet", "--no-report"]) == 0
    )
    assert _registration(study / "d")["deviations"] == ["the plan was never locked (no plan.lock.json)"]


def test_the_report_says_it(study):
    main(["plan", "lock", str(study / "plan.toml")])
    assert (
        main(
            [
                "compare",
                "--plan",
                str(study / "plan.toml"),
                "--permutations",
                "100",
                "--out",
                str(study / "e"),
                "--quiet",
            ]
        )
        == 0
    )
    html = (study / "e" / "report.html").read_text()
    assert "Compare: deviations from the registered plan (permutations: the plan says 200; this run used 100)." in html


def test_plans_are_validated_with_hints(study, capsys):
    (study / "typo.toml").write_text("[compare]\npermutation = 100\n")
    assert main(["plan", "lock", str(study / "typo.toml")]) == 2
    assert "[compare] has no parameter 'permutation'. Did you mean 'permutations'?" in capsys.readouterr().err
    (study / "section.toml").write_text("[compair]\nseed = 1\n")
    assert main(["plan", "lock", str(study / "section.toml")]) == 2
    assert "unknown section [compair]. Did you mean 'compare'?" in capsys.readouterr().err
    (study / "choice.toml").write_text('[compare]\nreduce = "ica"\n')
    assert main(["plan", "lock", str(study / "choice.toml")]) == 2
    (study / "types.toml").write_text('[compare]\ndata = "S2_Data.csv"\npermutations = "many"\n')
    assert main(["plan", "lock", str(study / "types.toml")]) == 2  # refused at lock, not after unblinding
    assert "[compare] permutations = 'many': must be a whole number >= 0" in capsys.readouterr().err
    main(["plan", "lock", str(study / "plan.toml")])
    assert main(["plan", "lock", str(study / "plan.toml")]) == 1  # never replaces a lock
    err = capsys.readouterr().err
    assert (
        "a lock is never replaced" in err and "save it under a new name and lock that" in err and "--force" not in err
    )


def test_init_writes_a_plan_that_locks_once_filled_in(tmp_path, capsys):
    assert main(["plan", "init", "--out", str(tmp_path / "plan.toml")]) == 0
    text = (tmp_path / "plan.toml").read_text()
    assert "[compare]" in text and "[ratings]" in text and "[power]" in text and "permutations = 10000" in text
    assert main(["plan", "lock", str(tmp_path / "plan.toml")]) == 2  # the data are not named yet
    assert "[compare] data = '': must be a path" in capsys.readouterr().err
    filled = text.replace('data = ""', 'data = "S2_Data.csv"').replace('reference = ""', 'reference = "S2_Data.csv"')
    (tmp_path / "plan.toml").write_text(filled)
    assert main(["plan", "lock", str(tmp_path / "plan.toml")]) == 0
    every_example = "\n".join(line.removeprefix("# ") if " = " in line else line for line in filled.splitlines())
    (tmp_path / "examples.toml").write_text(every_example.replace('reduce = "pca"', 'reduce = "none"'))
    assert main(["plan", "lock", str(tmp_path / "examples.toml")]) == 0  # the template's examples are valid values


def test_a_cli_style_value_in_a_plan_is_refused_at_lock(tmp_path, capsys):
    (tmp_path / "plan.toml").write_text('[compare]\ndata = "S2_Data.csv"\ndecision_columns = "rater_1=-1.0"\n')
    assert main(["plan", "lock", str(tmp_path / "plan.toml")]) == 2
    assert "'rater_1=-1.0' is not a column name: to say which values mean excluded, give {'rater_1': ['-1.0']}" in (
        capsys.readouterr().err
    )


def test_a_plan_of_an_older_iqmstats_still_runs(study):
    """Plans written before plans used the Python names (subject_col, iqms, map, input) still
    read, and their lock still matches: a registered plan is never lost."""
    (study / "old.toml").write_text(PLAN.replace("[ratings]", 'iqms = ["cjv", "efc"]\n\n[ratings]'))
    assert main(["plan", "lock", str(study / "old.toml")]) == 0
    assert (
        main(["compare", "--plan", str(study / "old.toml"), "--out", str(study / "o"), "--quiet", "--no-report"]) == 0
    )
    provenance = json.loads((study / "o" / "provenance.json").read_text())
    assert provenance["registration"]["status"] == "ran as registered" and provenance["measures_analysed"] == [
        "cjv",
        "efc",
    ]
