"""Preparation: what is dropped and why, fitted-once standardisation and PCA, rank from the data."""

import numpy as np
import pytest

from iqmstats.errors import ParameterError
from iqmstats.pairing import PairedIQMs
from iqmstats.stats.preprocess import independent_columns, prepare_iqms


def test_study_iqms_are_full_rank_after_preparation(ixi_paired):
    prepared = prepare_iqms(ixi_paired, modality="T1w")
    assert len(prepared.paired.iqms) == 53 and prepared.paired.n == 579
    kept = prepared.paired.values
    for matrix in (kept.reshape(-1, 53), kept[:, 0] - kept[:, 1]):
        z = (matrix - matrix.mean(0)) / matrix.std(0)
        assert np.linalg.matrix_rank(z) == 53  # numpy's SVD rank, an independent check
    assert sorted(prepared.excluded["reason"].value_counts().items()) == [
        ("constant", 2),
        ("missing", 1),
        ("near_constant", 2),
        ("redundant", 4),
    ]


def test_named_measures_drop_only_exact_degeneracies(ixi_paired):
    named = ["summary_bg_mad", "qi_1", "icvs_csf", "icvs_gm", "icvs_wm", "cjv"]
    subset = ixi_paired.with_values(ixi_paired.values[:, :, [ixi_paired.iqms.index(n) for n in named]], named)
    prepared = prepare_iqms(subset, modality="T1w", named=True)
    assert prepared.paired.iqms == ("summary_bg_mad", "icvs_csf", "icvs_gm", "cjv")
    assert dict(zip(prepared.excluded.iqm, prepared.excluded.reason)) == {"qi_1": "constant", "icvs_wm": "redundant"}
    with pytest.raises(ParameterError, match="standardise_within=True needs a PCA"):
        prepare_iqms(subset, standardise_within=True)


def test_linear_dependence_beyond_the_catalogue(ixi_paired):
    values = ixi_paired.values[:, :, :3].copy()
    combo = 2 * values[:, :, :1] - 0.5 * values[:, :, 2:3]
    paired = PairedIQMs(
        ixi_paired.participants,
        ixi_paired.conditions,
        ("cjv", "cnr", "efc", "combo"),
        np.concatenate([values, combo], axis=2),
    )
    prepared = prepare_iqms(paired)
    (row,) = prepared.excluded.itertuples()
    assert (row.iqm, row.reason) == ("combo", "linear_dependence")
    assert row.detail.startswith("a linear combination of cjv, efc (relative residual")
    assert row.detail.endswith("in the pooled values")


def test_dependence_only_in_the_differences():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(30, 2))
    shift = rng.normal(size=(30, 1))
    third_a, third_b = rng.normal(size=(30, 1)), None
    third_b = third_a - (shift * 2)  # difference of the third IQM = 2 x difference of the first
    values = np.stack(
        [np.hstack([a, third_a]), np.hstack([a - np.hstack([shift, rng.normal(size=(30, 1))]), third_b])], axis=1
    )
    prepared = prepare_iqms(PairedIQMs(tuple(map(str, range(30))), ("a", "b"), ("x", "y", "z"), values))
    assert prepared.excluded.values.tolist()[0][:2] == ["z", "linear_dependence"]
    assert "differences a - b" in prepared.excluded.detail.item()


def test_no_difference_and_constant_difference_are_named(ixi_paired):
    values = ixi_paired.values[:, :, :3].copy()
    values[:, 1, 1] = values[:, 0, 1]
    values[:, 1, 2] = values[:, 0, 2] + 0.25
    prepared = prepare_iqms(
        PairedIQMs(ixi_paired.participants, ixi_paired.conditions, ("cjv", "same", "shifted"), values)
    )
    assert prepared.excluded[["iqm", "reason"]].values.tolist() == [
        ["same", "no_difference"],
        ["shifted", "constant_difference"],
    ]


def test_pca_is_fitted_once_and_keeps_the_shift():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(200, 4)) @ rng.normal(size=(4, 4))
    values = np.stack([a, a + np.array([1.0, 0.0, 0.0, 0.0]) + rng.normal(scale=0.1, size=a.shape)], axis=1)
    paired = PairedIQMs(tuple(map(str, range(200))), ("a", "b"), ("w", "x", "y", "z"), values)
    prepared = prepare_iqms(paired, reduce="pca", pca_rule=1.0)
    scores = prepared.paired.values
    shift = (scores[:, 1] - scores[:, 0]).mean(axis=0)
    pooled = values.reshape(-1, 4)
    z_shift = (values[:, 1] - values[:, 0]).mean(axis=0) / pooled.std(axis=0, ddof=1)
    np.testing.assert_allclose(shift, z_shift @ prepared.reduction["loadings"].to_numpy(), atol=1e-12)
    assert np.linalg.norm(shift) > 0.3  # separate standardisation would have made it 0


def test_pca_rules(ixi_paired):
    kaiser = prepare_iqms(ixi_paired, modality="T1w", reduce="pca")
    assert kaiser.paired.iqms == tuple(f"PC{i}" for i in range(1, 10))  # as the study found
    explained = kaiser.reduction["explained"]
    assert (explained.loc[explained.kept, "eigenvalue"] > 1).all() and (
        explained.loc[~explained.kept, "eigenvalue"] <= 1
    ).all()
    share = prepare_iqms(ixi_paired, modality="T1w", reduce="pca", pca_rule=0.8)
    assert share.reduction["explained"].query("kept")["cumulative"].iloc[-1] >= 0.8
    assert share.reduction["explained"].query("kept")["cumulative"].iloc[-2] < 0.8
    within = prepare_iqms(ixi_paired, modality="T1w", reduce="pca", standardise_within=True, fit_on="original")
    assert within.reduction["standardised_within"] == "site" and within.reduction["fit_on"] == "original"
    with pytest.raises(ParameterError):
        prepare_iqms(ixi_paired, reduce="pca", pca_rule=1.5)


def test_independent_columns_ignores_scale():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(100, 2)) * np.array([7e-4, 4e5])  # qi_2-like and summary_bg_n-like scales
    kept, dropped = independent_columns(np.column_stack([x, x[:, 0] * 3e8 + x[:, 1]]), ["small", "big", "mix"])
    assert kept == ["small", "big"] and list(dropped) == ["mix"]
