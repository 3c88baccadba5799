"""Multivariate tests against R (tests/stats/reference/reference.R), closed forms and invariants."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from iqmstats.errors import InsufficientDataError
from iqmstats.stats.multivariate import (
    MULTIVARIATE_COLUMNS,
    between_manova,
    paired_hotelling,
    preregistered_manova,
    repeated_measures,
)
from iqmstats.stats.preprocess import prepare_iqms

REFERENCE = Path(__file__).parent / "reference"
FOUR = ["pillai", "wilks", "hotelling_lawley", "roy"]


@pytest.fixture(scope="module")
def prepared(ixi_paired):
    return prepare_iqms(ixi_paired, modality="T1w").paired


@pytest.fixture(scope="module")
def r_reference():
    return pd.read_csv(REFERENCE / "multivariate.csv")


def _mckeon_f(trace: float, p: int, q: int, error_df: float) -> tuple[float, float, float]:
    """Hotelling-Lawley F approximation of McKeon (1974), the one statsmodels uses; R and car use
    Pillai-Samson's, which differs when the hypothesis has more than one degree of freedom."""
    n = (error_df - p - 1) / 2
    b = (p + 2 * n) * (q + 2 * n) / 2 / (2 * n + 1) / (n - 1)
    df1, df2 = p * q, 4 + (p * q + 2) / (b - 1)
    return df2 / df1 * trace / ((df2 - 2) / 2 / n), df1, df2


def _compare(ours: pd.DataFrame, reference: pd.DataFrame) -> None:
    ours = ours.set_index(["effect", "statistic"])
    for row in reference.itertuples():
        mine = ours.loc[(row.effect, row.statistic)]
        assert mine.value == pytest.approx(row.value, rel=1e-8), (row.effect, row.statistic)
        if row.statistic == "hotelling_lawley" and row.df1 > mine.n_iqms:  # s > 1: the approximations differ
            f, df1, df2 = _mckeon_f(mine.value, mine.n_iqms, row.df1 / mine.n_iqms, mine.n - row.df1 / mine.n_iqms - 1)
            assert (mine.f, mine.df1, mine.df2) == pytest.approx((f, df1, df2), rel=1e-10)
            continue
        assert mine.f == pytest.approx(row.f, rel=1e-8), (row.effect, row.statistic)
        assert (mine.df1, mine.df2) == pytest.approx((row.df1, row.df2)), (row.effect, row.statistic)
        assert mine.p_value == pytest.approx(row.p_value, rel=1e-5, abs=1e-300), (row.effect, row.statistic)


def test_paired_hotelling_agrees_with_r(prepared, r_reference):
    ours = paired_hotelling(prepared.differences(), permutations=0)
    _compare(ours, r_reference[r_reference.test == "hotelling_paired"])
    t2 = ours.set_index("statistic").loc["hotelling_t2"]
    assert (t2.df1, t2.df2, t2.n, t2.n_iqms) == (53, 526, 579, 53)  # df from the rank, not 62 columns


def test_preregistered_manova_agrees_with_r(prepared, r_reference):
    stacked = np.vstack([prepared.values[:, 0], prepared.values[:, 1]])
    labels = ["original"] * prepared.n + ["defaced"] * prepared.n
    ours = preregistered_manova(stacked, labels)
    assert set(ours["design"]) == {"independent groups (ignores the pairing)"}
    _compare(ours, r_reference[r_reference.test == "manova_preregistered"])


def test_between_factor_agrees_with_r(prepared, r_reference):
    ours = between_manova(prepared.values, prepared.between.to_numpy(), factor="site")
    _compare(ours, r_reference[r_reference.test == "manova_between"])


def test_hotelling_closed_form_and_invariance():
    rng = np.random.default_rng(4)
    d = rng.normal(loc=0.2, size=(25, 4)) * np.array([7e-4, 1.0, 4e5, 30.0])
    n, _p = d.shape
    mean, cov = d.mean(axis=0), np.cov(d, rowvar=False)
    t2 = n * mean @ np.linalg.solve(cov, mean)
    ours = paired_hotelling(d, permutations=0).set_index("statistic")
    assert ours.loc["hotelling_t2", "value"] == pytest.approx(t2, rel=1e-10)
    assert ours.loc["wilks", "value"] == pytest.approx(1 / (1 + t2 / (n - 1)), rel=1e-10)
    affine = paired_hotelling(d * np.array([3.0, -0.5, 1e-6, 2e3]), permutations=0).set_index("statistic")
    assert affine.loc["hotelling_t2", "value"] == pytest.approx(t2, rel=1e-10)
    permuted = paired_hotelling(d[rng.permutation(n)], permutations=0).set_index("statistic")
    assert permuted.loc["hotelling_t2", "value"] == pytest.approx(t2, rel=1e-10)
    swapped = paired_hotelling(-d, permutations=0).set_index("statistic")
    assert swapped.loc["hotelling_t2", "p_value"] == pytest.approx(ours.loc["hotelling_t2", "p_value"], rel=1e-12)


def test_sign_flip_p_matches_a_plain_loop_and_is_calibrated():
    rng = np.random.default_rng(5)
    d = rng.normal(size=(30, 3)) + 0.35
    fast = paired_hotelling(d, permutations=2000, seed=9).p_resampled.iloc[0]
    n = len(d)

    def t2(x):
        m = x.mean(axis=0)
        return n * m @ np.linalg.solve(np.cov(x, rowvar=False), m)

    observed, loop_rng = t2(d), np.random.default_rng(10)
    count = sum(t2(d * loop_rng.choice([-1.0, 1.0], size=(n, 1))) >= observed for _ in range(2000))
    slow = (1 + count) / 2001
    assert abs(fast - slow) < 3 * np.sqrt(slow * (1 - slow) / 2000) + 1e-3
    null_p = [
        paired_hotelling(rng.normal(size=(20, 2)), permutations=199, seed=s).p_resampled.iloc[0] for s in range(200)
    ]
    assert 0.02 < np.mean(np.array(null_p) <= 0.05) < 0.09  # about 5% at alpha = 0.05


def test_refusals_name_the_problem():
    rng = np.random.default_rng(6)
    with pytest.raises(InsufficientDataError, match="10 pairs for 12 measures; this test needs at least 13 pairs"):
        paired_hotelling(rng.normal(size=(10, 12)))
    d = pd.DataFrame(rng.normal(size=(30, 3)), columns=["cjv", "efc", "snr_gm"])
    d["double_cjv"] = 2 * d["cjv"]
    with pytest.raises(InsufficientDataError, match=r"singular \(double_cjv add nothing"):
        paired_hotelling(d)


def test_repeated_measures_with_three_conditions():
    rng = np.random.default_rng(8)
    base = rng.normal(size=(40, 1, 3))
    values = base + rng.normal(scale=0.5, size=(40, 3, 3)) + np.array([0.0, 0.0, 0.6])[None, :, None]
    result = repeated_measures(values, ["a", "b", "c"], permutations=0)
    omnibus = result[result.test == "hotelling_omnibus"].set_index("statistic").loc["hotelling_t2"]
    assert (omnibus.df1, omnibus.df2, omnibus.n_iqms) == (6, 34, 3)
    contrasts = np.concatenate([values[:, 0] - values[:, 1], values[:, 0] - values[:, 2]], axis=1)
    m = contrasts.mean(axis=0)
    assert omnibus.value == pytest.approx(40 * m @ np.linalg.solve(np.cov(contrasts, rowvar=False), m), rel=1e-10)
    pairwise = result[(result.test == "hotelling_pairwise") & (result.statistic == "hotelling_t2")]
    assert pairwise["effect"].tolist() == ["a - b", "a - c", "b - c"]
    raw = [
        paired_hotelling(values[:, i] - values[:, j], permutations=0).p_value.iloc[0]
        for i, j in ((0, 1), (0, 2), (1, 2))
    ]
    from statsmodels.stats.multitest import multipletests

    np.testing.assert_allclose(pairwise["p_value"], multipletests(raw, method="holm")[1], rtol=1e-12)
    assert list(result.columns) == MULTIVARIATE_COLUMNS


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    scales=arrays(np.float64, 3, elements=st.floats(1e-6, 1e6)),
    signs=arrays(np.float64, 3, elements=st.sampled_from([-1.0, 1.0])),
    shift=arrays(np.float64, 3, elements=st.floats(-5, 5)),
)
def test_t2_invariances(seed, scales, signs, shift):
    """T^2 is unchanged by rescaling or flipping any IQM, by reordering participants, and by
    swapping the conditions; adding a constant to both conditions changes no difference."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(20, 3))
    b = a + rng.normal(loc=0.2, size=(20, 3))
    reference = paired_hotelling(a - b, permutations=0).value.iloc[0]
    transform = scales * signs
    moved = paired_hotelling((a * transform + shift) - (b * transform + shift), permutations=0).value.iloc[0]
    order = rng.permutation(20)
    shuffled = paired_hotelling((a - b)[order], permutations=0).value.iloc[0]
    swapped = paired_hotelling(b - a, permutations=0).value.iloc[0]
    for value in (moved, shuffled, swapped):
        assert value == pytest.approx(reference, rel=1e-7)
