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


def test_tost_power_from_a_small_pilot_names_what_not_to_rely_on(tmp_path):
    """Rescans as paired pilot data: TOST power is read at delta 0 (not at the margin, where its rate
    is an error rate); at n = 8 the heavy-tailed efc makes TOST liberal, and the summary says so;
    n = 24 uses every reference participant, which the summary notes."""
    import iqmstats

    result = iqmstats.power(
        example_path("rescans"),
        modality="T1w",
        participant="subject",
        condition="session",
        conditions=["1", "2"],
        measures=["cjv", "efc", "snr_wm", "wm2max"],
        n=[8, 24],
        delta=[0, 0.5],
        margin=0.5,
    )
    tost = result.smallest_n[result.smallest_n["test"].str.startswith("TOST")]
    assert set(tost["delta"]) == {0.0}
    assert set(result.smallest_n.loc[~result.smallest_n["test"].str.startswith("TOST"), "delta"]) == {0.5}
    at_margin = result.power.query("test == 'TOST: efc' and delta == 0.5").set_index("n")
    assert at_margin.loc[8, "type_i"] == "liberal" and at_margin.loc[8, "power"] > 0.1
    summary = result.summary()
    assert "TOST, every measure within 0.5 SD at a true shift of 0: power 0.8 reached at n = " in summary
    assert "LIBERAL (more false positives than alpha: do not rely on their power): " in summary
    assert " of 11 tests keep alpha at every planned n" in summary  # hotelling, Holm, 4 t, 4 TOST, TOST all
    assert "TOST: efc" in summary.split("LIBERAL")[1]
    assert "note: n = 24 is more than half of the reference's 24 participants" in summary
