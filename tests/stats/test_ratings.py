"""Ratings analysis against lme4 and car (tests/stats/reference/ratings.R) and textbook values."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.contingency_tables import mcnemar

from iqmstats.stats.ratings import agreement, artifact_tests, icc, rating_models, rm_anova, threshold_decisions

REFERENCE = Path(__file__).parent / "reference"
CONDITIONS = ["original", "defaced"]


@pytest.fixture(scope="module")
def models(ixi_ratings):
    return rating_models(ixi_ratings, CONDITIONS)


def test_mixed_models_match_lme4(models):
    r = pd.read_csv(REFERENCE / "ratings_lme.csv").set_index("model")
    ours = models.set_index("model")
    assert list(ours.index) == list(r.index)
    for column, rel in (
        ("estimate", 1e-5),
        ("se", 1e-5),
        ("chi2", 1e-5),
        ("p_value", 1e-5),
        ("loglik", 1e-8),
        ("var_participant", 1e-3),
        ("var_residual", 1e-3),
    ):
        np.testing.assert_allclose(ours[column], r[column], rtol=rel, err_msg=column)
    np.testing.assert_allclose(ours["var_rater"].dropna(), r["var_rater"].dropna(), rtol=1e-3)
    assert (ours["df"] == 1).all()


def test_per_rater_fdr_and_wald_interval(models):
    per_rater = models[models.model.str.startswith("rater_")]
    from statsmodels.stats.multitest import multipletests

    np.testing.assert_allclose(per_rater["p_fdr"], multipletests(per_rater["p_value"], method="fdr_bh")[1])
    row = models.iloc[0]
    assert row.ci_upper - row.ci_lower == pytest.approx(2 * 1.959963985 * row.se)


def test_rm_anova_matches_car_with_sphericity(ixi_ratings):
    r = pd.read_csv(REFERENCE / "ratings_rm_anova.csv").set_index("effect")
    ours = rm_anova(ixi_ratings, CONDITIONS).set_index("effect")
    for effect in r.index:
        for column in ("f", "df1", "df2", "p_value"):
            assert ours.loc[effect, column] == pytest.approx(r.loc[effect, column], rel=1e-6), (effect, column)
        if not np.isnan(r.loc[effect, "gg_epsilon"]):
            for column in ("gg_epsilon", "p_gg", "mauchly_w"):
                assert ours.loc[effect, column] == pytest.approx(r.loc[effect, column], rel=1e-8), (effect, column)
            # Box's second-order term is implemented as published; R's comes out slightly larger,
            # leaving a relative difference of 4e-6 to 2e-5 in this p-value (5 significant digits).
            assert ours.loc[effect, "p_mauchly"] == pytest.approx(r.loc[effect, "p_mauchly"], rel=1e-4), effect


def test_icc_matches_shrout_and_fleiss_1979():
    """Their Table 2: 6 targets x 4 judges; ICC(2,1) = 0.29 and ICC(3,1) = 0.71."""
    table = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    result = icc(table)
    assert round(result["icc_a1"], 2) == 0.29 and round(result["icc_c1"], 2) == 0.71
    assert icc(np.column_stack([np.arange(5.0), np.arange(5.0)]))["icc_a1"] == pytest.approx(1.0)


def test_agreement_table(ixi_ratings):
    table = agreement(ixi_ratings, CONDITIONS)
    assert set(table["analysis"]) == {"bland_altman", "icc_conditions", "test_retest", "inter_rater"}
    bias = table[(table.analysis == "bland_altman") & (table.statistic == "bias")].set_index("rater")["value"]
    means = ixi_ratings.groupby(["rater", "participant", "condition"])["rating"].mean().unstack("condition")
    expected = (means["original"] - means["defaced"]).groupby("rater").mean()
    np.testing.assert_allclose(bias.loc[expected.index], expected, rtol=1e-12)
    retest = table[table.analysis == "test_retest"]
    assert len(retest) == 4 and (retest["n"] == 80).all()  # 40 participants x 2 conditions shown twice


def test_artifacts_with_mcnemar(ixi_ratings):
    table = artifact_tests(ixi_ratings, CONDITIONS).set_index("artifact")
    eye = table.loc["eye-spillover"]
    first = ixi_ratings[ixi_ratings.presentation == 1]
    ticks = first.assign(
        eye=first.artifacts.str.contains("eye-spillover") & ~first.artifacts.str.contains("noneye-spillover")
        | first.artifacts.str.split(";").map(lambda labels: "eye-spillover" in labels)
    )
    pairs = ticks.pivot_table(index=["rater", "participant"], columns="condition", values="eye", aggfunc="max")
    only_a = int((pairs["original"] & ~pairs["defaced"]).sum())
    only_b = int((~pairs["original"] & pairs["defaced"]).sum())
    assert (eye.only_a, eye.only_b, eye.n_pairs) == (only_a, only_b, 740)
    assert eye.p_value == pytest.approx(mcnemar([[0, only_a], [only_b, 0]], exact=True).pvalue)
    assert (table["p_fdr"] >= table["p_value"]).all()


def test_ratings_of_other_conditions_do_not_leak_into_agreement(ixi_ratings):
    extra = ixi_ratings.assign(
        condition="blurred", rating=ixi_ratings["rating"].sample(frac=1, random_state=0).to_numpy()
    )
    with_extra = agreement(pd.concat([ixi_ratings, extra], ignore_index=True), CONDITIONS)
    pd.testing.assert_frame_equal(with_extra, agreement(ixi_ratings, CONDITIONS))


def test_threshold_decisions_count_what_a_plain_loop_counts(ixi_ratings):
    """The manual QC decision in compare's schema, against a computation written separately."""
    first = ixi_ratings[ixi_ratings.presentation == 1]
    table, flips = threshold_decisions(first, CONDITIONS, threshold=2.45)
    rows = table.set_index("rule")
    for rater, ratings in first.groupby("rater"):
        excluded = {(r.participant, r.condition): r.rating <= 2.45 for r in ratings.itertuples()}
        people = {p for p, _ in excluded}
        a_only = sum(excluded[(p, "original")] and not excluded[(p, "defaced")] for p in people)
        b_only = sum(excluded[(p, "defaced")] and not excluded[(p, "original")] for p in people)
        row = rows.loc[f"ratings:2.45:{rater}"]
        assert (row.n, row.flips_a_only, row.flips_b_only) == (len(people), a_only, b_only)
        assert row.p_mcnemar_exact == pytest.approx(
            mcnemar([[0, a_only], [b_only, 0]], exact=True).pvalue if a_only + b_only else 1.0
        )
    assert len(flips) == (rows.flips_a_only + rows.flips_b_only).sum()
