import json
from pathlib import Path

import pandas as pd
import pytest

from iqmstats.cli import main
from iqmstats.examples import example_path

REFERENCE = Path(__file__).parent / "stats" / "reference"
RATINGS = str(example_path("ixi-ratings"))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("ratings")
    assert (
        main(
            [
                "ratings",
                RATINGS,
                "--key",
                str(example_path("ixi-key")),
                "--map",
                "non_defaced=original",
                "--conditions",
                "original,defaced",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    return out


def test_outputs(outputs):
    assert sorted(p.name for p in outputs.iterdir()) == [
        "figures",
        "provenance.json",
        "ratings_agreement.tsv",
        "ratings_artifacts.tsv",
        "ratings_decision_flips.tsv",
        "ratings_decisions.tsv",
        "ratings_models.tsv",
        "ratings_rm_anova.tsv",
        "ratings_tidy.tsv",
        "report.html",
    ]  # the report is written by default
    assert sorted(p.name for p in (outputs / "figures").iterdir()) == [
        "rating_bland_altman.png",
        "rating_distributions.png",
    ]
    models = pd.read_csv(outputs / "ratings_models.tsv", sep="\t")
    assert list(models.columns[:10]) == [
        "model",
        "effect",
        "estimate",
        "se",
        "ci_lower",
        "ci_upper",
        "chi2",
        "df",
        "p_value",
        "p_fdr",
    ]
    r = pd.read_csv(REFERENCE / "ratings_lme_first.csv").iloc[0]  # the study's published analysis: chi2(1) = 6.28
    for column in ("estimate", "se", "chi2", "p_value", "loglik"):
        assert models.loc[0, column] == pytest.approx(r[column], rel=1e-5), column
    tidy = pd.read_csv(outputs / "ratings_tidy.tsv", sep="\t", dtype=str)
    assert (tidy["participant"] == tidy["subject"]).all()  # unblinding agrees with S1's own column
    provenance = json.loads((outputs / "provenance.json").read_text())
    assert provenance["n_ratings_read"] == 1800 and provenance["n_ratings"] == 1480  # first presentations
    assert provenance["inputs"]["key_format"] == "ixi" and provenance["parameters"]["repeats"] == "first"


def test_unblinded_table_with_named_columns_gives_the_same_model(outputs, tmp_path):
    assert (
        main(
            [
                "ratings",
                RATINGS,
                "--subject-col",
                "subject",
                "--condition-col",
                "defaced",
                "--conditions",
                "0,1",
                "--out",
                str(tmp_path),
                "--quiet",
                "--no-report",
            ]
        )
        == 0
    )
    same = pd.read_csv(tmp_path / "ratings_models.tsv", sep="\t")
    keyed = pd.read_csv(outputs / "ratings_models.tsv", sep="\t")
    assert same.loc[0, "estimate"] == pytest.approx(keyed.loc[0, "estimate"], rel=1e-9)


def test_blinded_ratings_without_a_key_are_refused(tmp_path, capsys):
    assert main(["ratings", RATINGS, "--conditions", "original,defaced", "--out", str(tmp_path)]) == 2
    assert (
        "give --key to unblind them, or name the columns of an unblinded table with --subject-col and --condition-col"
        in (capsys.readouterr().err)
    )
    assert main(["ratings", RATINGS, "--conditions", "a,b,c", "--key", "k", "--out", str(tmp_path)]) == 2
