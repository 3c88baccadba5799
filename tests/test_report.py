"""The report: numbers equal the TSVs', self-contained, re-renderable, and the demo end to end."""

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

import iqmstats
from iqmstats.cli import main
from iqmstats.examples import example_path
from iqmstats.report.html import figures, render_report
from iqmstats.results import Comparison

matplotlib.use("Agg")
import matplotlib.pyplot as plt


class _Cells(HTMLParser):
    """Exact values (data-value) of the numeric cells of each table, by table id."""

    def __init__(self):
        super().__init__()
        self.tables, self.current, self.row = {}, None, None
        self.sources = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.current = self.tables.setdefault(attrs.get("id"), [])
        elif tag == "tr" and self.current is not None:
            self.row = []
            self.current.append(self.row)
        elif tag == "td" and "data-value" in attrs and self.row is not None:
            self.row.append(float(attrs["data-value"]))
        for name in ("src", "href"):
            if name in attrs:
                self.sources.append(attrs[name])

    def handle_endtag(self, tag):
        if tag == "table":
            self.current = None


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run[0]


def test_demo_writes_everything(demo, capsys):
    for name in (
        "report.html",
        "per_iqm.tsv",
        "multivariate.tsv",
        "excluded_iqms.tsv",
        "provenance.json",
        "ratings/ratings_models.tsv",
        "figures/forest.png",
        "figures/bland_altman.png",
        "mriqc/participants.tsv",
    ):
        assert (demo / name).exists(), name
    assert len(list((demo / "mriqc").glob("sub-*/ses-V1/anat/sub-*_ses-V1_run-1_T1w.json"))) == 1158
    provenance = json.loads((demo / "provenance.json").read_text())
    assert provenance["pairing_audit"]["verdict"] == "aligned" and provenance["n_participants"] == 579


def test_numbers_in_the_report_are_the_numbers_in_the_tsvs(demo):
    cells = _Cells()
    cells.feed((demo / "report.html").read_text())
    multivariate = pd.read_csv(demo / "multivariate.tsv", sep="\t")
    shown = ["value", "f", "df1", "df2", "p_value", "p_resampled", "n", "n_iqms"]
    expected = [[v for v in row if v == v] for row in multivariate[shown].itertuples(index=False)]
    assert [row for row in cells.tables["multivariate"] if row] == expected
    per_iqm = pd.read_csv(demo / "per_iqm.tsv", sep="\t").set_index("iqm")
    rows = [row for row in cells.tables["per-iqm"] if row]
    assert len(rows) == 53
    efc = per_iqm.loc["efc"]  # the largest |dz|: first row
    assert rows[0][:3] == [efc.n, efc.mean_a, efc.mean_b]
    models = pd.read_csv(demo / "ratings" / "ratings_models.tsv", sep="\t")
    assert cells.tables["ratings-models"][1][0] == models.loc[0, "estimate"]


def test_report_is_self_contained(demo):
    cells = _Cells()
    cells.feed((demo / "report.html").read_text())
    assert cells.sources and all(source.startswith(("data:image/png;base64,", "#")) for source in cells.sources)
    text = (demo / "report.html").read_text()
    assert "http://" not in text and "https://" not in text and "<script" not in text


def test_report_command_rerenders_from_the_tsvs(demo, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(demo, copy)
    (copy / "report.html").unlink()
    shutil.rmtree(copy / "figures")
    assert main(["report", str(copy)]) == 0
    assert (copy / "report.html").exists() and (copy / "figures" / "forest.png").exists()
    assert main(["report", str(copy)]) == 1  # exists: refused without --force
    assert main(["report", str(tmp_path / "empty_dir_that_is_missing")]) == 1
    assert "no outputs of iqmstats compare, ratings or power to report on" in capsys.readouterr().err


def test_demo_refuses_a_used_folder(demo, capsys):
    assert main(["demo", "--out", str(demo), "--quiet"]) == 1
    assert "exists and is not empty" in capsys.readouterr().err


def test_demo_json_summary(demo_run):
    summary = demo_run[1]
    assert summary["participants"] == 579 and summary["iqms_analysed"] == 53 and summary["pairing_audit"] == "aligned"
    assert Path(summary["report"]).name == "report.html"


def test_demo_prints_what_it_found(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "printed"), "--resamples", "20", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert (
        "579 participants, original vs defaced (differences original - defaced), 53 measures analysed; 9 excluded"
        in out
    )
    assert "excluded measures: fber (missing); fwhm_avg (redundant)" in out
    assert (
        "equivalence within +/- 0.2 reference SD" in out
        and "is an illustration: a study must choose and register" in out
    )
    assert "likelihood-ratio chi2(1) = 6.28, p = 0.0122" in out
    assert "pairing audit: aligned" in out and out.rstrip().endswith("printed/report.html")
    # the README shows this output: every line of it but the resampled p (the README runs 10,000) is printed
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    shown = readme.split("```\n579 participants", 1)[1].split("```", 1)[0].splitlines()
    shown = ["579 participants" + shown[0], *shown[1:]]
    for line in shown:
        if line != "..." and "permutation p" not in line and not line.startswith("report:"):
            assert line in out.splitlines(), line


@pytest.fixture(scope="module")
def numeric_labels(tmp_path_factory):
    """A comparison whose condition labels look like numbers (sessions 01 and 02), written to a
    folder and read back: the labels must stay strings all the way into the figures."""
    frame = pd.read_csv(example_path("ixi-iqms"), dtype=str)
    frame["session"] = frame["defaced"].map({"0": "01", "1": "02"})
    result = iqmstats.compare(
        frame,
        participant="sub",
        condition="session",
        measures=["cjv", "efc", "snr_wm", "wm2max", "fber"],
        permutations=50,
        bootstrap=50,
        margin=0.2,
    )
    folder = tmp_path_factory.mktemp("numeric")
    result.write(folder)
    return result, Comparison.read(folder)


def test_figures_show_the_data_they_were_given(numeric_labels):
    """Each paired-slopes panel holds one line per participant with both values, each Bland-Altman
    panel one point per pair, the forest and equivalence plots one row per measure: from the
    result in memory and from the folder read back."""
    for result in numeric_labels:
        made = figures(result)
        per_iqm = result.per_iqm.set_index("iqm")
        slopes = made["paired_slopes"].axes
        assert [ax.get_ylabel().split(" ")[0] for ax in slopes] == ["efc", "fber", "snr_wm", "wm2max"]  # by |dz|
        for ax in slopes:
            measure = ax.get_ylabel().split(" ")[0]
            (participant_lines,) = ax.collections  # one segment per participant with both values
            assert len(participant_lines.get_segments()) == per_iqm.loc[measure, "n"]
            assert [t.get_text() for t in ax.get_xticklabels()] == ["01", "02"]
        panels = made["bland_altman"].axes
        assert len(panels) == 5
        for ax in panels:
            measure = ax.get_title().split(" ")[0]
            assert len(ax.collections[0].get_offsets()) == per_iqm.loc[measure, "n"]  # fber: only its 87 pairs
        forest = made["forest"].axes[0]
        assert sorted(t.get_text() for t in forest.get_yticklabels()) == sorted(per_iqm.index)
        equivalence = made["equivalence"].axes[0]
        assert sorted(t.get_text() for t in equivalence.get_yticklabels()) == sorted(per_iqm.index)
        plt.close("all")


def test_rendering_warns_nothing(numeric_labels, recwarn):
    render_report(numeric_labels[1])
    assert [str(w.message) for w in recwarn] == []


def test_ratings_figures_show_every_rating(ixi_ratings):
    result = iqmstats.analyse_ratings(
        example_path("ixi-ratings"),
        key=example_path("ixi-key"),
        key_map={"non_defaced": "original"},
        conditions=["original", "defaced"],
    )
    made = figures(result)
    boxes = made["rating_distributions"].axes[0]
    assert [t.get_text() for t in boxes.get_xticklabels()] == ["rater_01", "rater_02", "rater_03", "rater_04"]
    points = made["rating_bland_altman"].axes[0].collections[0].get_offsets()
    assert len(points) == result.tidy["participant"].nunique() == 185
    plt.close("all")
