"""Pairing by key, never by row order; the audit notices tables paired by position."""

import numpy as np
import pandas as pd
import pytest

from iqmstats import load_example
from iqmstats.errors import PairingError, ParameterError
from iqmstats.pairing import audit_pairing, pair_iqms


def test_pairs_follow_ids_not_row_order(ixi_unblinded):
    data = ixi_unblinded.data
    shuffled = data.sample(frac=1.0, random_state=3)
    a = pair_iqms(data, iqms=["cjv", "efc"], conditions=["original", "defaced"])
    b = pair_iqms(shuffled, iqms=["cjv", "efc"], conditions=["original", "defaced"])
    np.testing.assert_array_equal(a.values, b.values)
    row = data[(data.participant == "002") & (data.condition == "defaced")]
    assert a.condition("defaced").loc["002", "cjv"] == row["cjv"].item()
    assert a.differences().loc["002", "cjv"] == a.condition("original").loc["002", "cjv"] - row["cjv"].item()


def test_study_design(ixi_paired):
    assert ixi_paired.n == 579 and ixi_paired.conditions == ("original", "defaced")
    assert ixi_paired.between.value_counts().to_dict() == {"1": 320, "0": 185, "2": 74}
    tidy = ixi_paired.to_frame()
    assert tidy.columns[:3].tolist() == ["participant", "site", "condition"] and len(tidy) == 1158


def _toy(rows):
    return pd.DataFrame(rows, columns=["participant", "condition", "presentation", "cjv"])


def test_repeated_presentations_policies():
    toy = _toy([("p1", "a", 1, 1.0), ("p1", "b", 1, 2.0), ("p1", "b", 2, 4.0), ("p2", "a", 1, 5.0), ("p2", "b", 1, 6.0)])
    first = pair_iqms(toy, iqms=["cjv"])
    assert first.condition("b")["cjv"].tolist() == [2.0, 6.0]
    assert first.dropped.values.tolist() == [["p1", "repeated presentations resolved by 'first'"]]
    assert pair_iqms(toy, iqms=["cjv"], repeats="mean").condition("b")["cjv"].tolist() == [3.0, 6.0]
    picks = {pair_iqms(toy, iqms=["cjv"], repeats="random", random_state=s).condition("b").loc["p1", "cjv"] for s in range(20)}
    assert picks == {2.0, 4.0}


def test_duplicates_and_unpaired_are_refused_or_dropped():
    duplicate = _toy([("p1", "a", 1, 1.0), ("p1", "a", 1, 1.5), ("p1", "b", 1, 2.0)])
    with pytest.raises(PairingError, match="p1 / a"):
        pair_iqms(duplicate, iqms=["cjv"])
    with pytest.raises(PairingError, match="p1 / a"):
        pair_iqms(duplicate.drop(columns="presentation"), iqms=["cjv"], presentation=None)
    unpaired = _toy([("p1", "a", 1, 1.0), ("p1", "b", 1, 2.0), ("p2", "a", 1, 3.0)])
    with pytest.raises(PairingError, match=r"1 participant\(s\) lack an image under some condition \(p2\).*--drop-unpaired"):
        pair_iqms(unpaired, iqms=["cjv"])
    kept = pair_iqms(unpaired, iqms=["cjv"], drop_unpaired=True)
    assert kept.participants == ("p1",) and kept.dropped["participant"].tolist() == ["p2"]


def test_bad_parameters_name_what_is_valid(ixi_unblinded):
    with pytest.raises(ParameterError, match="Did you mean 'defaced'"):
        pair_iqms(ixi_unblinded.data, iqms=["cjv"], conditions=["original", "defacd"])
    with pytest.raises(ParameterError, match="no column 'cvj'"):
        pair_iqms(ixi_unblinded.data, iqms=["cvj"])
    with pytest.raises(PairingError, match="changes within participant"):
        pair_iqms(_toy([("p1", "a", 1, 1.0), ("p1", "b", 1, 2.0)]).assign(site=["x", "y"]), iqms=["cjv"], between="site")


def test_audit_passes_real_pairs_and_flags_shuffled_ones(ixi_unblinded, ixi_paired):
    assert audit_pairing(ixi_paired)["verdict"] == "aligned"
    data = ixi_unblinded.data.copy()
    defaced = data.condition == "defaced"
    data.loc[defaced, "participant"] = np.random.default_rng(1).permutation(data.loc[defaced, "participant"].to_numpy())
    audit = audit_pairing(pair_iqms(data, iqms=ixi_unblinded.iqms, conditions=["original", "defaced"]))
    assert audit["verdict"] == "misaligned" and abs(audit["observed"]) < 0.1 and audit["z"] < 3


def test_audit_flags_the_pca_table_paired_by_position():
    """S4 stacks all original rows above all defaced rows; read as interleaved pairs it is wrong."""
    pca = load_example("ixi-pca")
    components = [f"PC{i}" for i in range(1, 10)]
    pca[components] = pca[components].astype(float)
    by_label = pair_iqms(pca, iqms=components, participant="sub", condition="defaced", conditions=["0", "1"])
    assert audit_pairing(by_label)["verdict"] == "aligned"
    by_position = pca.assign(position=np.arange(len(pca)) // 2, slot=np.arange(len(pca)) % 2)
    misread = pair_iqms(by_position, iqms=components, participant="position", condition="slot", presentation=None)
    assert audit_pairing(misread)["verdict"] == "misaligned"
