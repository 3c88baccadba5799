import json

import pandas as pd

from iqmstats.cli import main
from iqmstats.examples import example_path

PAIRED = ["--key", str(example_path("ixi-key")), "--map", "non_defaced=original", "--conditions", "original,defaced"]


def test_power_from_paired_pilot_data(tmp_path, capsys):
    assert (
        main(
            [
                "power",
                str(example_path("ixi-iqms")),
                *PAIRED,
                "--n",
                "60,120",
                "--delta",
                "0,0.002",
                "--shift-iqms",
                "cjv",
                "--simulations",
                "200",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    power = pd.read_csv(tmp_path / "power.tsv", sep="\t")
    assert set(power["n"]) == {60, 120} and set(power["delta"]) == {0.0, 0.002}
    assert set(power.loc[power.delta == 0, "type_i"]) <= {"calibrated", "conservative", "liberal"}
    summary = pd.read_csv(tmp_path / "power_summary.tsv", sep="\t")
    assert list(summary.columns) == ["test", "delta", "smallest_n", "target"]
    assert (tmp_path / "report.html").exists() and 'id="power"' in (tmp_path / "report.html").read_text()
    provenance = json.loads((tmp_path / "provenance.json").read_text())
    assert provenance["parameters"]["seed"] == 0 and "cjv" in provenance["measures_simulated"]
    assert "Hotelling, delta 0.002" in capsys.readouterr().err


def test_power_from_unpaired_reference_rows(tmp_path):
    assert (
        main(
            [
                "power",
                str(example_path("ixi-iqms")),
                "--condition-col",
                "defaced",
                "--reference-condition",
                "0",
                "--n",
                "80",
                "--delta",
                "0",
                "--simulations",
                "100",
                "--out",
                str(tmp_path),
                "--no-report",
            ]
        )
        == 0
    )
    power = pd.read_csv(tmp_path / "power.tsv", sep="\t")
    assert (power["simulations"] == 100).all() and not (tmp_path / "report.html").exists()


def test_bad_power_requests(tmp_path, capsys):
    assert main(["power", str(example_path("ixi-iqms")), "--n", "ten", "--out", str(tmp_path)]) == 2
    assert main(["power", str(example_path("ixi-iqms")), "--n", "2000", "--out", str(tmp_path)]) == 1
    assert "n = 2000 exceeds the 1158 participants of the reference" in capsys.readouterr().err


def test_ratings_power_uses_the_pilot_ratings(tmp_path):
    assert (
        main(
            [
                "power",
                str(example_path("ixi-iqms")),
                *PAIRED,
                "--n",
                "60",
                "--delta",
                "0",
                "--simulations",
                "50",
                "--ratings",
                str(example_path("ixi-ratings")),
                "--bias",
                "0.1",
                "--raters",
                "2",
                "--rating-simulations",
                "12",
                "--out",
                str(tmp_path),
                "--no-report",
            ]
        )
        == 0
    )
    rows = pd.read_csv(tmp_path / "power.tsv", sep="\t").query("test == 'ratings LME (LRT)'")
    assert rows[["n", "delta", "simulations"]].values.tolist() == [[60, 0.1, 12]]
    assert (
        main(
            [
                "power",
                str(example_path("ixi-iqms")),
                "--ratings",
                str(example_path("ixi-ratings")),
                "--n",
                "60",
                "--out",
                str(tmp_path / "x"),
            ]
        )
        == 2
    )  # no key, no conditions: refused
