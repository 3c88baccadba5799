"""The common parameter test: every public function, every parameter, a table of bad values.

Each bad value must be refused before any work with a ParameterError that names the parameter
(``exc.parameter`` and the message), in Python's words; the command line says the same in its
flags. A parameter added without bad values here fails ``test_every_parameter_has_bad_values``.
"""

import inspect
import math

import pytest

import iqmstats
from iqmstats.cli import main
from iqmstats.errors import ParameterError

STUDY = str(iqmstats.example_path("ixi-iqms"))
KEY = str(iqmstats.example_path("ixi-key"))
RATINGS = str(iqmstats.example_path("ixi-ratings"))

#: Valid values for the required parameters; every other parameter keeps its default.
REQUIRED = {
    "read": {"path": STUDY},
    "unblind": {"data": STUDY, "key": KEY},
    "compare": {"data": STUDY},
    "analyse_ratings": {"data": RATINGS, "key": KEY},
    "power": {"reference": STUDY},
    "blind": {"sources": ["a", "b"], "conditions": ["original", "defaced"], "out": "blinded", "key": "key.json"},
    "audit": {"dataset": "blinded"},
}

NAN = math.nan
#: Bad values of every public parameter, by name (a name means the same in every job).
BAD = {
    "data": [5, None, b"S2_Data.csv", ["a.tsv"]],
    "reference": [5, None],
    "path": [5, None, ""],
    "dataset": [5, None],
    "sources": [[], 5, [5]],
    "out": [5, None],
    "key": [5, ["k.json"]],
    "key_map": ["non_defaced=original", {"non_defaced": 1}, {"": "original"}],
    "positions": [5],
    "participants": [5, ["p.tsv"]],
    "ratings": [5],
    "modality": ["T3w", 1],
    "measures": [[], 3, ["cjv", "cjv"], [""]],
    "common_iqms": ["yes", 1],
    "on_invalid": ["ignore", None],
    "jobs": [0, -1, 1.5, "2"],
    "progress": ["yes", 1],
    "participant": ["", 3, None],
    "condition": ["", 3],
    "conditions": ["original,defaced", ["original"], ["a", "a"], [1.5, 2.5], 5],
    "between": ["", 3],
    "where": ["task=rest", {}, {"task": []}, {"task": [1.5]}],
    "average_over": [[], 3, [""]],
    "repeats": ["last", None],
    "drop_unpaired": ["yes", 1],
    "id_column": ["", 5],
    "rater_column": ["", 5],
    "rating_column": ["", 5],
    "reference_condition": [1.5, ""],
    "reduce": ["ica", 1],
    "pca_rule": [1.5, 0, "kaiserr", True],
    "fit_on": [1.5, ""],
    "standardise_within": ["yes"],
    "max_missing_share": [0, 1.5, NAN, "0.1"],
    "max_identical_share": [0, -0.1, 2],
    "permutations": [-5, 1.5, "many", True, None],
    "bootstrap": [-1, 2.5, "10000"],
    "seed": [-1, 1.5, "0", True],
    "margin": [0, -0.2, NAN, math.inf, "0.2"],
    "margins": [5, {"cjv": 0}, {"cjv": "wide"}],
    "alpha": [0, 0.5, 1.0, NAN, "0.05"],
    "iqr_k": [0, -1.5, NAN],
    "decision_columns": [[], 5, {"qc": []}, {"qc": [float("nan")]}, ["qc=fail"]],
    "scale": [(4, 1), (1,), "1,4", (1, NAN)],
    "threshold": [NAN, "2.45", None],
    "n": [[2], [100.5], "100", [], [100, -5]],
    "delta": [[NAN], "0.1", [], [0, math.inf]],
    "shift": [[], 5],
    "multiplicative": ["yes"],
    "within_correlation": [1, -1.5, NAN],
    "bias": [[math.inf], "0.1"],
    "raters": [1, 2.5],
    "rating_simulations": [5, 10.5],
    "simulations": [9, 100.5, "1000"],
    "target": [0, 1, 1.2],
    "condition_entity": ["run", 3],
    "repeat": [-1, 1.5],
    "link": ["copy2", None],
    "allow_leaky_links": ["yes"],
    "scrub": [[], 5],
    "keep": [5, [""]],
}

#: Where a job accepts a value the others refuse (analyse_ratings: participant=None means "unblind with the key").
BAD_IN_JOB = {("analyse_ratings", "participant"): ["", 3]}

JOBS = {name: getattr(iqmstats, name) for name in REQUIRED}


def test_every_parameter_has_bad_values():
    for name, job in JOBS.items():
        missing = set(inspect.signature(job).parameters) - set(BAD)
        assert not missing, f"{name}: no bad values for {sorted(missing)}"


@pytest.mark.parametrize(
    "job, parameter, value",
    [
        (job, parameter, value)
        for job, function in JOBS.items()
        for parameter in inspect.signature(function).parameters
        for value in BAD_IN_JOB.get((job, parameter), BAD[parameter])
    ],
    ids=lambda v: repr(v)[:30],
)
def test_bad_values_are_refused_naming_the_parameter(job, parameter, value, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be written, but if it were, not into the repository
    arguments = {**REQUIRED[job], parameter: value}
    positional = next(iter(inspect.signature(JOBS[job]).parameters))
    with pytest.raises(ParameterError) as raised:
        JOBS[job](arguments.pop(positional), **arguments)
    assert raised.value.parameter == parameter
    assert f"{parameter}=" in str(raised.value)
    assert not list(tmp_path.iterdir())  # refused before any work


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["compare", STUDY, "--permutations", "-5"], "--permutations -5"),
        (["compare", STUDY, "--alpha", "0.7"], "--alpha 0.7"),
        (["compare", STUDY, "--margin", "0"], "--margin 0.0"),
        (["compare", STUDY, "--subject-col", "subj"], "--subject-col subj"),
        (["compare", STUDY, "--pca-rule", "1.5"], "--pca-rule 1.5"),
        (["compare", STUDY, "--max-missing-share", "2"], "--max-missing-share 2.0"),
        (["power", STUDY, "--n", "2"], "--n 2"),
        (["power", STUDY, "--within-correlation", "1"], "--within-correlation 1.0"),
        (["ratings", RATINGS, "--key", KEY, "--scale", "4,1"], "--scale 4.0,1.0"),
        (["ratings", RATINGS, "--key", KEY, "--conditions", "a,b,c"], "--conditions a,b,c"),
    ],
)
def test_the_command_line_names_its_flags(argv, flag, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"iqmstats: error: {flag}") and err.count("\n") == 1
    assert "=" not in err.split(":")[2]  # no Python keyword form such as permutations=-5


def test_advice_names_flags_on_the_command_line_and_parameters_in_python(tmp_path, capsys):
    bold = str(iqmstats.example_path("rescans"))
    assert (
        main(
            [
                "compare",
                bold,
                "--modality",
                "bold",
                "--subject-col",
                "subject",
                "--condition-col",
                "session",
                "--out",
                str(tmp_path / "a"),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "Choose with --where task=rest, or average with --average-over run" in err
    with pytest.raises(
        iqmstats.PairingError, match=r"Choose with where=\{'task': 'rest'\}, or average with average_over=\['run'\]"
    ):
        iqmstats.compare(bold, modality="bold", participant="subject", condition="session")
