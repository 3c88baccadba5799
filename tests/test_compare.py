"""iqmstats.compare and iqmstats compare: outputs, column contracts, containers, refusals."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import iqmstats
from iqmstats.cli import main
from iqmstats.examples import example_path
from iqmstats.results import Comparison
from iqmstats.stats.multivariate import MULTIVARIATE_COLUMNS
from iqmstats.stats.univariate import PER_IQM_COLUMNS

REFERENCE = Path(__file__).parent / "stats" / "reference"
STUDY = str(example_path("ixi-iqms"))
KEY = ["--key", str(example_path("ixi-key")), "--map", "non_defaced=original", "--conditions", "original,defaced"]
QUICK = dict(permutations=999, bootstrap=999)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    assert (
        main(
            [
                "compare",
                STUDY,
                *KEY,
                "--between",
                "site",
                "--permutations",
                "999",
                "--bootstrap",
                "999",
                "--out",
                str(out),
                "--quiet",
                "--no-report",
            ]
        )
        == 0
    )
    return out


def test_outputs_and_column_contract(outputs):
    assert sorted(p.name for p in outputs.iterdir()) == [
        "decision_flips.tsv",
        "decisions.tsv",
        "excluded_iqms.tsv",
        "multivariate.tsv",
        "paired_iqms.tsv",
        "per_iqm.tsv",
        "provenance.json",
    ]
    per_iqm = pd.read_csv(outputs / "per_iqm.tsv", sep="\t")
    assert list(per_iqm.columns[: len(PER_IQM_COLUMNS)]) == PER_IQM_COLUMNS and len(per_iqm) == 53
    multivariate = pd.read_csv(outputs / "multivariate.tsv", sep="\t")
    assert list(multivariate.columns) == MULTIVARIATE_COLUMNS
    excluded = pd.read_csv(outputs / "excluded_iqms.tsv", sep="\t")
    assert list(excluded.columns) == ["iqm", "reason", "detail"] and len(excluded) == 9
    paired = pd.read_csv(outputs / "paired_iqms.tsv", sep="\t", dtype={"participant": str})
    assert len(paired) == 1158 and paired.loc[0, "participant"] == "002"


def test_numbers_in_the_files_are_rs(outputs):
    r = pd.read_csv(REFERENCE / "multivariate.csv")
    ours = pd.read_csv(outputs / "multivariate.tsv", sep="\t")
    paired = ours[(ours.test == "hotelling_paired") & (ours.statistic == "pillai")].iloc[0]
    reference = r[(r.test == "hotelling_paired") & (r.statistic == "pillai")].iloc[0]
    assert paired.value == pytest.approx(reference.value, rel=1e-8) and paired.effect == "original - defaced"
    assert paired.p_resampled == pytest.approx(1 / 1000)  # no sign flip comes near the observed T^2
    per_iqm = pd.read_csv(outputs / "per_iqm.tsv", sep="\t").set_index("iqm")
    r_iqm = pd.read_csv(REFERENCE / "per_iqm.csv").set_index("iqm")
    np.testing.assert_allclose(per_iqm.loc[r_iqm.index, "t"], r_iqm["t"], rtol=1e-9)


def test_provenance_records_inputs_parameters_and_audit(outputs):
    provenance = json.loads((outputs / "provenance.json").read_text())
    assert len(provenance["inputs"]["data_sha256"]) == 64 and provenance["inputs"]["key_format"] == "ixi"
    assert provenance["parameters"]["seed"] == 0 and provenance["parameters"]["differences"] == "original - defaced"
    assert provenance["pairing_audit"]["verdict"] == "aligned"
    assert {"numpy", "pandas", "python", "iqmstats"} <= set(provenance["software"])
    assert provenance["participants_dropped"] == [] and provenance["multivariate_left_out"] == []
    assert provenance["tables"]["per_iqm.tsv"] == {
        "columns": provenance["tables"]["per_iqm.tsv"]["columns"],
        "rows": 53,
    }
    assert provenance["tables"]["per_iqm.tsv"]["columns"]["iqm"] == "text"


def test_the_cli_writes_what_the_api_writes(outputs, tmp_path):
    result = iqmstats.compare(
        STUDY,
        key=str(example_path("ixi-key")),
        key_map={"non_defaced": "original"},
        conditions=["original", "defaced"],
        between="site",
        **QUICK,
    )
    result.write(tmp_path)
    for name in (
        "per_iqm.tsv",
        "multivariate.tsv",
        "excluded_iqms.tsv",
        "paired_iqms.tsv",
        "decisions.tsv",
        "decision_flips.tsv",
    ):
        assert (tmp_path / name).read_bytes() == (outputs / name).read_bytes(), name
    api, cli = (json.loads((folder / "provenance.json").read_text()) for folder in (tmp_path, outputs))
    for provenance in (api, cli):
        provenance.pop("created")
    assert api == cli


def test_the_same_data_gives_the_same_analysis_whatever_its_container():
    from_path = iqmstats.compare(STUDY, participant="sub", condition="defaced", conditions=["0", "1"], **QUICK)
    from_table = iqmstats.compare(
        iqmstats.read(STUDY), participant="sub", condition="defaced", conditions=["0", "1"], **QUICK
    )
    from_frame = iqmstats.compare(
        pd.read_csv(STUDY), participant="sub", condition="defaced", conditions=[0, 1], **QUICK
    )
    for other in (from_table, from_frame):
        pd.testing.assert_frame_equal(other.per_iqm, from_path.per_iqm)
        pd.testing.assert_frame_equal(other.multivariate, from_path.multivariate)
        pd.testing.assert_frame_equal(other.excluded, from_path.excluded)
    assert "fber" in set(from_frame.excluded.iqm)  # the -1 sentinel is masked in a DataFrame too
    assert (
        set(from_frame.paired.condition) == {"0", "1"}
        and not from_frame.paired.participant.str.contains(".", regex=False).any()
    )
    pd.testing.assert_frame_equal(from_frame.paired, from_path.paired)


def test_measures_means_analyse_these_whatever_the_container():
    chosen = ["cjv", "efc", "snr_wm", "fber"]
    for data in (STUDY, iqmstats.read(STUDY), pd.read_csv(STUDY)):
        result = iqmstats.compare(data, participant="sub", condition="defaced", measures=chosen, **QUICK)
        assert (
            result.per_iqm.iqm.tolist() == ["cjv", "efc", "fber", "snr_wm"]
            and (result.per_iqm.set_index("iqm").n == [579, 579, 87, 579]).all()
        )  # fber: 87 pairs without its -1 sentinel


def test_typed_round_trip_keeps_labels_strings_and_numbers_exact(tmp_path):
    frame = pd.read_csv(STUDY, dtype=str)
    frame["session"] = np.where(frame["defaced"] == "0", "01", "02")
    result = iqmstats.compare(frame, participant="sub", condition="session", measures=["cjv", "efc", "wm2max"], **QUICK)
    result.write(tmp_path)
    again = Comparison.read(tmp_path)
    assert again.paired["condition"].unique().tolist() == ["01", "02"]
    for name in Comparison.FILES:
        if getattr(result, name) is not None:
            pd.testing.assert_frame_equal(getattr(again, name), getattr(result, name), check_dtype=False)


def test_shuffled_pairs_trigger_the_warning(ixi_unblinded, tmp_path, capsys):
    data = ixi_unblinded.data.copy()
    defaced = data.condition == "defaced"
    data.loc[defaced, "participant"] = np.random.default_rng(2).permutation(data.loc[defaced, "participant"].to_numpy())
    table = tmp_path / "shuffled.tsv"
    data.drop(columns=["presentation"]).to_csv(table, sep="\t", index=False)
    assert (
        main(
            [
                "compare",
                str(table),
                "--conditions",
                "original,defaced",
                "--permutations",
                "0",
                "--bootstrap",
                "0",
                "--out",
                str(tmp_path / "out"),
                "--quiet",
                "--no-report",
            ]
        )
        == 0
    )
    assert "WARNING: the pairing audit says misaligned" in capsys.readouterr().err
    assert json.loads((tmp_path / "out" / "provenance.json").read_text())["pairing_audit"]["verdict"] == "misaligned"


def test_too_few_participants_keep_the_per_measure_tests(ixi_unblinded, tmp_path, capsys):
    data = ixi_unblinded.data
    few = data[data.participant.isin(sorted(data.participant.unique())[:30])]
    table = tmp_path / "few.tsv"
    few.to_csv(table, sep="\t", index=False)
    args = [
        "compare",
        str(table),
        "--conditions",
        "original,defaced",
        "--permutations",
        "0",
        "--bootstrap",
        "0",
        "--no-report",
    ]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "not testable: 30 pairs for" in err and "--reduce pca" in err and "reduce=" not in err
    per_iqm = pd.read_csv(tmp_path / "a" / "per_iqm.tsv", sep="\t")
    assert (per_iqm.n == 30).all() and per_iqm.p_t.notna().all()
    multivariate = pd.read_csv(tmp_path / "a" / "multivariate.tsv", sep="\t")
    paired = multivariate[multivariate.test == "hotelling_paired"].iloc[0]
    assert paired.note.startswith("not testable: 30 pairs for") and np.isnan(paired.value)
    assert main([*args, "--reduce", "pca", "--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert (tmp_path / "b" / "pca_loadings.tsv").exists()


def test_outputs_are_not_replaced_without_force(outputs, capsys):
    args = [
        "compare",
        STUDY,
        *KEY,
        "--permutations",
        "0",
        "--bootstrap",
        "0",
        "--out",
        str(outputs),
        "--quiet",
        "--no-report",
    ]
    assert main(args) == 1
    assert "exists; choose another path or replace it with --force" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0


def test_swapping_conditions_flips_signs_keeps_p(ixi_unblinded):
    forward = iqmstats.compare(ixi_unblinded, conditions=["original", "defaced"], permutations=0, bootstrap=0)
    backward = iqmstats.compare(ixi_unblinded, conditions=["defaced", "original"], permutations=0, bootstrap=0)
    np.testing.assert_allclose(backward.per_iqm["bias"], -forward.per_iqm["bias"], rtol=1e-12)
    f, b = (r.multivariate.set_index(["test", "statistic"]) for r in (forward, backward))
    assert b.loc[("hotelling_paired", "hotelling_t2"), "value"] == pytest.approx(
        f.loc[("hotelling_paired", "hotelling_t2"), "value"], rel=1e-10
    )


def test_two_conditions_found_are_used_in_sorted_order_and_said(ixi_unblinded):
    result = iqmstats.compare(ixi_unblinded, permutations=0, bootstrap=0)
    assert result.conditions == ["defaced", "original"]
    assert result.provenance["notes"] == [
        "conditions not given: comparing defaced and original in sorted order (differences defaced - original)"
    ]
