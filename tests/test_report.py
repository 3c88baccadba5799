"""The report: numbers equal the TSVs', self-contained, re-renderable, and the demo end to end."""

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from iqmstats.cli import main


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
    for name in ("report.html", "per_iqm.tsv", "multivariate.tsv", "excluded_iqms.tsv", "provenance.json",
                 "ratings/ratings_models.tsv", "figures/forest.png", "figures/bland_altman.png", "mriqc/participants.tsv"):
        assert (demo / name).exists(), name
    assert len(list((demo / "mriqc").glob("sub-*/ses-V1/anat/sub-*_ses-V1_run-1_T1w.json"))) == 1158
    provenance = json.loads((demo / "provenance.json").read_text())
    assert provenance["pairing_audit"]["verdict"] == "aligned" and provenance["n_participants"] == 579


def test_numbers_in_the_report_are_the_numbers_in_the_tsvs(demo):
    cells = _Cells()
    cells.feed((demo / "report.html").read_text())
    multivariate = pd.read_csv(demo / "multivariate.tsv", sep="\t")
    shown = ["value", "f", "df1", "df2", "p_value", "p_resampled"]
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
    assert "579 participants, original vs defaced, 53 IQMs analysed; 9 excluded:" in out
    assert "fber               missing        missing in 863 of 1158 images (75%)" in out
    assert "pairing audit: aligned" in out and out.rstrip().endswith("printed/report.html")
