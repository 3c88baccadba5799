"""Fuzzed bad input: random corruptions of the real example files and tables (truncation, byte
flips, wrong JSON types, wrong column types, huge values) fed to read, unblind, compare, ratings
and report. Every run ends in a valid result (exit 0) or a typed, one-line refusal (exit 1 or 2);
never an internal error, a traceback or a warning (warnings are errors in this test suite)."""

import contextlib
import io
import json
import os
import random

import pandas as pd
import pytest

from iqmstats.cli import main
from iqmstats.examples import example_path

from .conftest import T1W_JSON

CASES = int(os.environ.get("IQMSTATS_FUZZ_CASES", "16"))  # more for a deeper search
HUGE = ["1e308", "-1e308", "1e400", "nan", "inf", "-0", "1e-320", "99999999999999999999999"]
JSON_VALUES = ["[]", "[1, 2]", '"0.5"', "{}", "null", "true", '{"a": 1}', "1e400", "-1", '""']


def corrupt_text(text: str, rng: random.Random) -> str:
    """One random corruption of a text file."""
    kind = rng.choice(
        ["truncate", "flip", "insert", "delete_line", "duplicate_line", "huge", "swap_separator", "empty"]
    )
    if kind == "truncate":
        return text[: rng.randrange(len(text))]
    if kind == "flip":
        chars = list(text)
        for _ in range(rng.randint(1, 5)):
            chars[rng.randrange(len(chars))] = rng.choice('x,\t"{}[]:\n0-.e')
        return "".join(chars)
    if kind == "insert":
        at = rng.randrange(len(text))
        return text[:at] + rng.choice(['"', "\t\t", ",,", "\n", "{", "NaN", "\x00", "é"]) + text[at:]
    lines = text.splitlines(keepends=True)
    if kind == "delete_line" and len(lines) > 1:
        del lines[rng.randrange(len(lines))]
        return "".join(lines)
    if kind == "duplicate_line":
        at = rng.randrange(len(lines))
        return "".join(lines[: at + 1] + lines[at:])
    if kind == "huge":
        import re

        numbers = list(re.finditer(r"-?\d+\.\d+(e-?\d+)?", text))
        if numbers:
            match = rng.choice(numbers)
            return text[: match.start()] + rng.choice(HUGE) + text[match.end() :]
    if kind == "swap_separator":
        return text.replace("\t", ",") if "\t" in text else text.replace(",", "\t")
    return ""


def corrupt_json(text: str, rng: random.Random) -> str:
    """A corruption of a JSON record: its text, or one value of the wrong type."""
    if rng.random() < 0.5:
        return corrupt_text(text, rng)
    record = json.loads(text)
    key = rng.choice(list(record))
    record[key] = json.loads(rng.choice(JSON_VALUES).replace("1e400", "1e300"))
    if rng.random() < 0.3:
        del record[rng.choice(list(record))]
    return json.dumps(record)


def run(argv) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return code, err.getvalue()


def assert_clean(code: int, err: str, what: str) -> None:
    assert code in (0, 1, 2), (what, code, err)
    assert "internal error" not in err and "Traceback" not in err, (what, err)
    if code:
        assert err.startswith("iqmstats: error: ") and err.count("\n") == 1, (what, err)


@pytest.fixture(scope="module")
def small_study(tmp_path_factory):
    """40 participants of the study table, a few IQMs, and their ratings."""
    folder = tmp_path_factory.mktemp("fuzz")
    study = pd.read_csv(example_path("ixi-iqms"), dtype=str)
    keep = sorted(study["sub"].unique())[:40]
    small = study[study["sub"].isin(keep)][
        ["bids_name", "sub", "defaced", "site", "cjv", "efc", "fber", "snr_wm", "wm2max"]
    ]
    small.to_csv(folder / "study.csv", index=False)
    ratings = pd.read_csv(example_path("ixi-ratings"), sep="\t", dtype=str, keep_default_na=False).head(120)
    ratings.to_csv(folder / "ratings.tsv", sep="\t", index=False)
    return folder


@pytest.mark.parametrize("case", range(CASES))
def test_read_and_unblind_a_corrupted_record(case, tmp_path):
    rng = random.Random(case)
    tree = tmp_path / "tree"
    text = T1W_JSON.read_text()
    for i in range(1, 4):
        (tree / f"sub-000{i}" / "anat").mkdir(parents=True)
        content = corrupt_json(text, rng) if i == 2 else text
        (tree / f"sub-000{i}" / "anat" / f"sub-000{i}_T1w.json").write_text(content, encoding="utf-8")
    key = {"0001": "a_non_defaced", "0002": "a_defaced", "0003": "b_non_defaced"}
    (tmp_path / "key.json").write_text(json.dumps(key) if case % 4 else corrupt_text(json.dumps(key), rng))
    assert_clean(*run(["read", str(tree), "--out", str(tmp_path / "r.tsv")]), f"read case {case}")
    assert_clean(
        *run(["read", str(tree / "sub-0002/anat/sub-0002_T1w.json"), "--out", str(tmp_path / "one.tsv")]), "one"
    )
    assert_clean(
        *run(["unblind", str(tree), "--key", str(tmp_path / "key.json"), "--out", str(tmp_path / "u.tsv")]), "unblind"
    )


@pytest.mark.parametrize("case", range(CASES))
def test_compare_a_corrupted_table(case, small_study, tmp_path):
    rng = random.Random(1000 + case)
    text = (small_study / "study.csv").read_text()
    (tmp_path / "study.csv").write_text(corrupt_text(text, rng), encoding="utf-8")
    argv = [
        "compare",
        str(tmp_path / "study.csv"),
        "--subject-col",
        "sub",
        "--condition-col",
        "defaced",
        "--permutations",
        "20",
        "--bootstrap",
        "20",
        "--out",
        str(tmp_path / "out"),
        "--quiet",
        "--no-report",
    ]
    if case % 3 == 0:
        argv += ["--between", "site", "--margin", "0.3"]
    assert_clean(*run(argv), f"compare case {case}")


@pytest.mark.parametrize("case", range(CASES // 2))
def test_ratings_from_a_corrupted_export(case, small_study, tmp_path):
    rng = random.Random(2000 + case)
    text = (small_study / "ratings.tsv").read_text()
    (tmp_path / "ratings.tsv").write_text(corrupt_text(text, rng), encoding="utf-8")
    argv = [
        "ratings",
        str(tmp_path / "ratings.tsv"),
        "--key",
        str(example_path("ixi-key")),
        "--map",
        "non_defaced=original",
        "--out",
        str(tmp_path / "out"),
        "--quiet",
        "--no-report",
    ]
    assert_clean(*run(argv), f"ratings case {case}")


@pytest.fixture(scope="module")
def compare_outputs(small_study, tmp_path_factory):
    out = tmp_path_factory.mktemp("outputs") / "out"
    code, err = run(
        [
            "compare",
            str(small_study / "study.csv"),
            "--subject-col",
            "sub",
            "--condition-col",
            "defaced",
            "--permutations",
            "20",
            "--bootstrap",
            "20",
            "--margin",
            "0.3",
            "--out",
            str(out),
            "--no-report",
        ]
    )
    assert code == 0, err
    return out


@pytest.mark.parametrize("case", range(CASES))
def test_report_from_a_corrupted_folder(case, compare_outputs, tmp_path):
    import shutil

    rng = random.Random(3000 + case)
    folder = tmp_path / "out"
    shutil.copytree(compare_outputs, folder)
    victim = rng.choice(sorted(p for p in folder.iterdir() if p.suffix in (".tsv", ".json")))
    victim.write_text(corrupt_text(victim.read_text(), rng), encoding="utf-8")
    assert_clean(*run(["report", str(folder)]), f"report case {case}: {victim.name}")
