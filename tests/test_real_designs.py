"""Real studies, not only the defacing one: sessions as conditions, runs and tasks, small n,
derived measures (the study's own PCA table), rescans, modalities, power from a pilot tree."""

import json
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

import iqmstats
from iqmstats.cli import main
from iqmstats.examples import example_path

from .conftest import DATA, T1W_JSON, place

RESCANS = str(example_path("rescans"))
PCA = str(example_path("ixi-pca"))
COMPONENTS = [f"PC{i}" for i in range(1, 10)]
QUICK = dict(permutations=200, bootstrap=200)


@pytest.fixture(scope="module")
def rescans_t1w():
    return iqmstats.compare(RESCANS, modality="T1w", participant="subject", condition="session", **QUICK)


def test_derived_measures_run_every_test(tmp_path, capsys):
    """1. The study's PCA table: principal components are measures; every test runs on them."""
    args = [
        "compare",
        PCA,
        "--subject-col",
        "sub",
        "--condition-col",
        "defaced",
        "--conditions",
        "0,1",
        "--measures",
        ",".join(COMPONENTS),
        "--between",
        "site",
        "--permutations",
        "200",
        "--bootstrap",
        "200",
        "--no-report",
    ]
    assert main([*args, "--out", str(tmp_path / "pcs"), "--quiet"]) == 0
    multivariate = pd.read_csv(tmp_path / "pcs" / "multivariate.tsv", sep="\t")
    assert set(multivariate.test) == {"hotelling_paired", "manova_preregistered", "manova_between", "wts_mats"}
    assert multivariate.note.isna().all() and (multivariate.n_iqms == 9).all()
    per_iqm = pd.read_csv(tmp_path / "pcs" / "per_iqm.tsv", sep="\t")
    assert per_iqm.iqm.tolist() == COMPONENTS and (per_iqm.n == 579).all()
    provenance = json.loads((tmp_path / "pcs" / "provenance.json").read_text())
    assert provenance["pairing_audit"]["verdict"] == "aligned" and provenance["measures_analysed"] == COMPONENTS


def test_a_stacked_table_labelled_as_interleaved_is_flagged_from_the_command_line(tmp_path, capsys):
    """1. S4 stacks all original rows above all defaced rows; labelled as if interleaved."""
    table = pd.read_csv(PCA, dtype=str)
    table["pair"] = [str(i // 2) for i in range(len(table))]
    table["slot"] = [str(i % 2) for i in range(len(table))]
    table.to_csv(tmp_path / "misread.csv", index=False)
    args = [
        "compare",
        str(tmp_path / "misread.csv"),
        "--subject-col",
        "pair",
        "--condition-col",
        "slot",
        "--measures",
        ",".join(COMPONENTS),
        "--permutations",
        "0",
        "--bootstrap",
        "0",
        "--no-report",
        "--quiet",
    ]
    assert main([*args, "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "WARNING: the pairing audit says misaligned (0% of images have their pair as nearest image" in err


def test_small_n_keeps_the_per_measure_tests_and_says_what_to_do(rescans_t1w, tmp_path, capsys):
    """2. 24 rescans, 56 IQMs: per-IQM tests for every IQM, multivariate tests not testable, with
    the fix; a run that already reduces is not told to reduce."""
    per_iqm = rescans_t1w.per_iqm
    assert len(per_iqm) == 56 and per_iqm.p_w.notna().all()
    # MRIQC's intensity normalisation fixes the WM median: 999.996 with a relative SD of 2e-05
    excluded = rescans_t1w.excluded.set_index("iqm")
    assert excluded.loc["summary_wm_median", "reason"] == "near_constant"
    paired = rescans_t1w.multivariate.set_index("test").loc["hotelling_paired"]
    assert paired.note == (
        "not testable: 21 pairs for 56 measures; this test needs at least 57 pairs; reduce the "
        "measures to principal components, or analyse fewer measures"
    )
    assert "reduce the measures to principal components with reduce='pca'" in rescans_t1w.summary()
    reduced = iqmstats.compare(
        RESCANS, modality="T1w", participant="subject", condition="session", reduce="pca", pca_rule=0.99, **QUICK
    )
    note = reduced.multivariate.set_index("test").loc["hotelling_paired", "note"]
    if isinstance(note, str) and note:
        assert "principal components" not in note and "keep fewer components" in note
    assert (
        main(
            [
                "compare",
                RESCANS,
                "--modality",
                "T1w",
                "--subject-col",
                "subject",
                "--condition-col",
                "session",
                "--reduce",
                "pca",
                "--pca-rule",
                "0.999",
                "--out",
                str(tmp_path / "r"),
                "--no-report",
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "--reduce pca" not in err and "keep fewer components (a smaller share with --pca-rule 0.8)" in err


def test_sessions_as_conditions_stay_strings_everywhere(rescans_t1w, tmp_path):
    """3. Labels 1 and 2 (and 01, 02) are strings in the outputs, the figures and the report."""
    assert rescans_t1w.conditions == ["1", "2"] and set(rescans_t1w.paired.condition) == {"1", "2"}
    rescans_t1w.write(tmp_path / "out")
    rescans_t1w.write_report(tmp_path / "out" / "report.html")
    again = iqmstats.Comparison.read(tmp_path / "out")
    assert again.paired.participant.iloc[0] == "01" and set(again.paired.condition) == {"1", "2"}
    html = (tmp_path / "out" / "report.html").read_text()
    assert "1 vs 2 (differences 1 - 2)" in html


@pytest.mark.parametrize("entity, column", [("acq", "acquisition"), ("rec", "reconstruction"), ("run", "run")])
def test_conditions_from_a_bids_entity_of_a_json_tree(entity, column, tmp_path):
    """3. Conditions as acq-, rec- or run- entities of per-image JSON trees (real MRIQC records,
    the second condition's IQMs perturbed)."""
    record = json.loads(T1W_JSON.read_text())
    rng = np.random.default_rng(0)
    for i in range(1, 9):
        for label in ("1", "2"):
            values = {k: (v * (1 + rng.normal(0, 0.01)) if isinstance(v, float) else v) for k, v in record.items()}
            path = tmp_path / "tree" / f"sub-{i:02d}" / "anat" / f"sub-{i:02d}_{entity}-{label}_T1w.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
    result = iqmstats.compare(
        tmp_path / "tree", participant="subject", condition=column, conditions=["1", "2"], **QUICK
    )
    assert result.provenance["n_participants"] == 8 and result.conditions == ["1", "2"]
    assert set(result.paired.condition) == {"1", "2"} and (result.per_iqm.n == 8).all()


def test_bold_runs_and_tasks(tmp_path, capsys):
    """4. Several images per participant and session: refused naming what varies; --where and
    --average-over choose; the count of images averaged is recorded."""
    args = [
        "compare",
        RESCANS,
        "--modality",
        "bold",
        "--subject-col",
        "subject",
        "--condition-col",
        "session",
        "--permutations",
        "0",
        "--bootstrap",
        "0",
        "--no-report",
        "--quiet",
    ]
    assert main([*args, "--out", str(tmp_path / "a")]) == 1
    assert "task takes 2 values and run takes 8 values within participant 01, session 1" in capsys.readouterr().err
    assert main([*args, "--where", "task=rest", "--out", str(tmp_path / "rest")]) == 0
    assert main([*args, "--where", "task=satellite", "--average-over", "run", "--out", str(tmp_path / "sat")]) == 0
    paired = pd.read_csv(tmp_path / "sat" / "paired_iqms.tsv", sep="\t", dtype={"participant": str, "condition": str})
    assert (paired.n_images == 8).all() and paired.participant.iloc[0] == "01"
    provenance = json.loads((tmp_path / "sat" / "provenance.json").read_text())
    assert "averaged the measures over run: 8 images per row" in provenance["notes"]


def test_rescans_pass_the_audit(rescans_t1w):
    """5. Correctly paired rescans are aligned (the subsets and shuffles: tests/test_pairing.py)."""
    audit = rescans_t1w.audit
    assert audit["verdict"] == "aligned" and audit["identified"] == 1.0 and audit["n"] == 24


def test_participants_with_a_sentinel_are_not_dropped_in_silence(rescans_t1w):
    """6. fber = -1 in 4 of 48 images: fber uses the pairs that have it; every other IQM all 24;
    the multivariate tests say whom they leave out, and why."""
    per_iqm = rescans_t1w.per_iqm.set_index("iqm")
    assert per_iqm.loc["fber", "n"] == 21 and (per_iqm.drop(index="fber").n == 24).all()
    assert rescans_t1w.provenance["multivariate_left_out"] == [
        {"participant": "07", "reason": "missing fber"},
        {"participant": "11", "reason": "missing fber"},
        {"participant": "18", "reason": "missing fber"},
    ]
    assert "left out: 07 (missing fber); 11 (missing fber); 18 (missing fber)" in rescans_t1w.summary()


def test_modality_is_parsed_strictly_or_inferred_and_said(tmp_path):
    """7. group_T1w_ds004219.tsv is not the modality 'T1w_ds004219': T1w is inferred from the
    columns, the identities apply, and the table says how the modality was told."""
    place(DATA / "group_T1w.tsv", tmp_path, "group_T1w_ds004219.tsv")
    table = iqmstats.read(tmp_path / "group_T1w_ds004219.tsv")
    assert table.modality == "T1w" and table.modality_source == "from the BIDS names"
    pd.read_csv(DATA / "group_T1w.tsv", sep="\t").drop(columns="bids_name").to_csv(
        tmp_path / "group_T1w_x.tsv", sep="\t", index=False
    )
    unnamed = iqmstats.read(tmp_path / "group_T1w_x.tsv")
    assert unnamed.modality == "T1w" and unnamed.modality_source == "inferred from the columns"
    assert "(T1w, inferred from the columns)" in unnamed.describe()
    from iqmstats.stats import screen_iqms

    screen = screen_iqms(unnamed.values, modality=unnamed.modality)
    assert set(screen.query("reason == 'redundant'").iqm) == {"fwhm_avg", "icvs_wm", "snr_total", "snrd_total"}
    assert iqmstats.read(DATA / "group_T1w.tsv").modality_source == "from the file name group_T1w.tsv"
    given = iqmstats.read(tmp_path / "group_T1w_ds004219.tsv", modality="T2w")
    assert given.modality == "T2w" and given.modality_source == "given"


def test_power_from_a_pilot_tree_with_measures_and_small_n(tmp_path):
    """8. Power from the rescans' sessions as paired pilot data; measures and PCA as in compare;
    a planned n <= the number of measures gives per-measure power and says Hotelling cannot run."""
    result = iqmstats.power(
        RESCANS,
        modality="T1w",
        participant="subject",
        condition="session",
        conditions=["1", "2"],
        n=[10, 20],
        delta=[0.0, 0.5],
        simulations=100,
    )
    hotelling = result.power[result.power.test == "hotelling"]
    assert hotelling.type_i.str.startswith("not testable: n = ").all() and len(hotelling) == 4
    assert (result.power[result.power.test == "t: cjv"].power.notna()).all()
    chosen = iqmstats.power(
        RESCANS,
        modality="T1w",
        participant="subject",
        condition="session",
        conditions=["1", "2"],
        measures=["cjv", "efc", "snr_wm"],
        n=[10, 20],
        delta=[0.0],
        simulations=100,
    )
    assert chosen.provenance["measures_simulated"] == ["cjv", "efc", "snr_wm"]
    assert set(chosen.power[chosen.power.test == "hotelling"].type_i) <= {"calibrated", "conservative", "liberal"}
    reduced = iqmstats.power(
        RESCANS,
        modality="T1w",
        participant="subject",
        condition="session",
        conditions=["1", "2"],
        reduce="pca",
        n=[20],
        delta=[0.0],
        simulations=100,
    )
    assert all(name.startswith("PC") for name in reduced.provenance["measures_simulated"])
    assert (
        main(
            [
                "power",
                RESCANS,
                "--modality",
                "T1w",
                "--subject-col",
                "subject",
                "--condition-col",
                "session",
                "--conditions",
                "1,2",
                "--measures",
                "cjv,efc",
                "--n",
                "15",
                "--delta",
                "0",
                "--simulations",
                "50",
                "--out",
                str(tmp_path / "p"),
                "--no-report",
                "--quiet",
            ]
        )
        == 0
    )


def test_ratings_first_presentations_and_exact_wilcoxon(tmp_path):
    """9. repeats=first is the study's published analysis; the Wilcoxon test of rating differences
    sees the zeros and ties of exact arithmetic (checked with fractions)."""
    result = iqmstats.analyse_ratings(
        example_path("ixi-ratings"),
        key=example_path("ixi-key"),
        key_map={"non_defaced": "original"},
        conditions=["original", "defaced"],
    )
    assert round(float(result.models.iloc[0].chi2), 2) == 6.28 and result.provenance["parameters"]["repeats"] == "first"
    first = result.tidy.groupby(["rater", "participant", "condition"], sort=False).head(1)
    for rater, ratings in first.groupby("rater"):
        exact = {(r.participant, r.condition): Fraction(str(r.rating)) for r in ratings.itertuples()}
        people = sorted({p for p, _ in exact})
        differences = [exact[(p, "original")] - exact[(p, "defaced")] for p in people]
        nonzero = [abs(d) for d in differences if d != 0]
        zeros, tied = len(differences) - len(nonzero), len(nonzero) - len(set(nonzero))
        from iqmstats.stats.ratings import RATING_DECIMALS

        rounded = np.round(np.array([float(d) for d in differences]), RATING_DECIMALS)
        assert (rounded == 0).sum() == zeros
        assert len(rounded[rounded != 0]) - len(set(np.abs(rounded[rounded != 0]))) == tied
        agreement = result.agreement
        row = agreement[
            (agreement.analysis == "bland_altman") & (agreement.rater == rater) & (agreement.statistic == "w")
        ]
        plus = sum(rank for rank, d in zip(_ranks(nonzero), [d for d in differences if d != 0]) if d > 0)
        assert float(row.value.item()) == pytest.approx(float(plus), rel=1e-12)
    random_first = iqmstats.analyse_ratings(
        example_path("ixi-ratings"),
        key=example_path("ixi-key"),
        key_map={"non_defaced": "original"},
        conditions=["original", "defaced"],
        repeats="all",
    )
    assert round(float(random_first.models.iloc[0].chi2), 2) == 10.36


def _ranks(values):
    """Average ranks of exact fractions (ties share their mean rank)."""
    order = sorted(values)
    return [Fraction(sum(i + 1 for i, v in enumerate(order) if v == value), order.count(value)) for value in values]
