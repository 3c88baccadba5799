"""iqmstats compare end to end: outputs, column contract, audit warning, refusals."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iqmstats.cli import main
from iqmstats.examples import example_path
from iqmstats.pipeline import compare_conditions
from iqmstats.stats.multivariate import MULTIVARIATE_COLUMNS
from iqmstats.stats.univariate import PER_IQM_COLUMNS

REFERENCE = Path(__file__).parent / "stats" / "reference"
STUDY = str(example_path("ixi-iqms"))
KEY = ["--key", str(example_path("ixi-key")), "--map", "non_defaced=original", "--conditions", "original,defaced"]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    assert main(["compare", STUDY, *KEY, "--between", "site", "--permutations", "999", "--bootstrap", "999",
                 "--out", str(out), "--quiet", "--no-report"]) == 0
    return out


def test_outputs_and_column_contract(outputs):
    assert sorted(p.name for p in outputs.iterdir()) == [
        "excluded_iqms.tsv", "multivariate.tsv", "paired_iqms.tsv", "per_iqm.tsv", "provenance.json"]
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
    assert len(provenance["inputs"]["sha256"]) == 64 and provenance["inputs"]["key_format"] == "ixi"
    assert provenance["parameters"]["random_state"] == 0 and provenance["parameters"]["differences"] == "original - defaced"
    assert provenance["pairing_audit"]["verdict"] == "aligned"
    assert {"numpy", "scipy", "statsmodels", "pandas", "python"} <= set(provenance["software"])
    assert provenance["participants_dropped"] == []


def test_shuffled_pairs_trigger_the_warning(ixi_unblinded, tmp_path, capsys):
    data = ixi_unblinded.data.copy()
    defaced = data.condition == "defaced"
    data.loc[defaced, "participant"] = np.random.default_rng(2).permutation(data.loc[defaced, "participant"].to_numpy())
    table = tmp_path / "shuffled.tsv"
    data.drop(columns=["presentation"]).to_csv(table, sep="\t", index=False)
    assert main(["compare", str(table), "--conditions", "original,defaced", "--permutations", "0", "--bootstrap", "0",
                 "--out", str(tmp_path / "out"), "--quiet", "--no-report"]) == 0
    assert "WARNING: the pairing looks misaligned" in capsys.readouterr().err
    assert json.loads((tmp_path / "out" / "provenance.json").read_text())["pairing_audit"]["verdict"] == "misaligned"


def test_too_few_participants_are_refused_with_advice(ixi_unblinded, tmp_path, capsys):
    data = ixi_unblinded.data
    few = data[data.participant.isin(sorted(data.participant.unique())[:30])]
    table = tmp_path / "few.tsv"
    few.to_csv(table, sep="\t", index=False)
    args = ["compare", str(table), "--conditions", "original,defaced", "--permutations", "0", "--bootstrap", "0", "--no-report"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 1
    err = capsys.readouterr().err
    assert "30 images" in err or "30 pairs" in err
    assert "--reduce pca" in err and "Traceback" not in err
    assert main([*args, "--reduce", "pca", "--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert (tmp_path / "b" / "pca_loadings.tsv").exists()


def test_outputs_are_not_replaced_without_force(outputs, capsys):
    args = ["compare", STUDY, *KEY, "--permutations", "0", "--bootstrap", "0", "--out", str(outputs), "--quiet", "--no-report"]
    assert main(args) == 1
    assert "exists; choose another path or pass --force" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0


def test_swapping_conditions_flips_signs_keeps_p(ixi_unblinded):
    forward = compare_conditions(ixi_unblinded, conditions=["original", "defaced"], permutations=0, bootstrap=0)
    backward = compare_conditions(ixi_unblinded, conditions=["defaced", "original"], permutations=0, bootstrap=0)
    np.testing.assert_allclose(backward.per_iqm["bias"], -forward.per_iqm["bias"], rtol=1e-12)
    f, b = (r.multivariate.set_index(["test", "statistic"]) for r in (forward, backward))
    assert b.loc[("hotelling_paired", "hotelling_t2"), "value"] == pytest.approx(f.loc[("hotelling_paired", "hotelling_t2"), "value"], rel=1e-10)
