"""QC decision flips of ``compare`` (``result.decisions``, ``result.decision_flips``), recomputed here
from S2_Data.csv itself with plain pandas/numpy/scipy: images paired by S2's ``sub`` column, the
IQR thresholds fitted once on the original images and applied to both conditions."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import iqmstats

K = 1.5
CONDITIONS = ("original", "defaced")  # S2's defaced == 0, defaced == 1


def run_compare(data, **options):
    return iqmstats.compare(
        data,
        key=iqmstats.example_path("ixi-key"),
        key_map={"non_defaced": "original"},
        conditions=list(CONDITIONS),
        permutations=0,
        bootstrap=0,
        **{"margin": 0.2, **options},
    )


@pytest.fixture(scope="module")
def s2():
    return pd.read_csv(iqmstats.example_path("ixi-iqms"))


@pytest.fixture(scope="module")
def result(s2):
    return run_compare(iqmstats.example_path("ixi-iqms"))


def recompute(s2: pd.DataFrame, iqms: list[str]):
    """(decisions rows keyed by rule, set of (rule, participant, excluded_under)), participants as S2's ``sub``."""
    original = s2[s2["defaced"] == 0].set_index("sub")
    defaced = s2[s2["defaced"] == 1].set_index("sub")
    assert original.index.is_unique and defaced.index.is_unique
    subs = sorted(set(original.index) & set(defaced.index))
    original, defaced = original.loc[subs], defaced.loc[subs]

    rows, flips = {}, set()
    any_a = pd.Series(False, index=subs)
    any_b = pd.Series(False, index=subs)

    def record(rule, out_a, out_b, both):
        a_only = out_a & ~out_b & both
        b_only = out_b & ~out_a & both
        x, m = int(a_only.sum()), int(a_only.sum() + b_only.sum())
        rows[rule] = {
            "n": int(both.sum()),
            "excluded_a": int((out_a & both).sum()),
            "excluded_b": int((out_b & both).sum()),
            "flips_a_only": x,
            "flips_b_only": m - x,
            "p_mcnemar_exact": stats.binomtest(x, m, 0.5).pvalue if m else 1.0,
        }
        flips.update((rule, int(s), CONDITIONS[0]) for s in a_only.index[a_only])
        flips.update((rule, int(s), CONDITIONS[1]) for s in b_only.index[b_only])

    for iqm in iqms:
        a, b = original[iqm].astype(float), defaced[iqm].astype(float)
        q1, q3 = np.quantile(a.dropna().to_numpy(), [0.25, 0.75])
        low, high = q1 - K * (q3 - q1), q3 + K * (q3 - q1)
        # comparisons with NaN are False: a missing value is never an outlier
        out_a, out_b = (a < low) | (a > high), (b < low) | (b > high)
        record(f"iqr:{iqm}", out_a, out_b, a.notna() & b.notna())
        any_a |= out_a
        any_b |= out_b
    record("iqr:any", any_a, any_b, pd.Series(True, index=subs))
    return rows, flips


def check(result, s2):
    iqms = result.equivalence["iqm"].tolist()
    decisions = result.decisions
    assert decisions["rule"].tolist() == [f"iqr:{m}" for m in iqms] + ["iqr:any"]
    expected_rows, expected_flips = recompute(s2, iqms)
    for row in decisions.to_dict("records"):
        expected = expected_rows[row["rule"]]
        for column in ("n", "excluded_a", "excluded_b", "flips_a_only", "flips_b_only"):
            assert row[column] == expected[column], (row["rule"], column, row[column], expected[column])
        assert row["p_mcnemar_exact"] == pytest.approx(expected["p_mcnemar_exact"], rel=1e-12, abs=0), row["rule"]
        assert row["comparison"] == "original - defaced"
    flips = result.decision_flips
    observed = {(r, int(p), u) for r, p, u in zip(flips["rule"], flips["participant"], flips["excluded_under"])}
    assert len(observed) == len(flips)  # no duplicated flips
    assert observed == expected_flips
    return expected_rows, expected_flips


def test_paired_values_are_s2_paired_by_sub(result, s2):
    """The values iqmstats tests are S2's, pairing by ``sub`` (the key's NNN is S2's sub)."""
    iqms = result.equivalence["iqm"].tolist()
    paired = result.paired.assign(sub=result.paired["participant"].astype(int))
    for value, condition in enumerate(CONDITIONS):
        ours = paired[paired["condition"] == condition].set_index("sub").sort_index()[iqms]
        theirs = s2[s2["defaced"] == value].set_index("sub").sort_index()[iqms]
        assert len(ours) == 579
        pd.testing.assert_frame_equal(ours, theirs, check_exact=True, check_names=False)


def test_decisions_match_an_independent_computation(result, s2):
    rows, flips = check(result, s2)
    # the numbers themselves, so a shared misreading of the data would still show
    assert rows["iqr:efc"] == pytest.approx(
        {"n": 579, "excluded_a": 4, "excluded_b": 1, "flips_a_only": 3, "flips_b_only": 0, "p_mcnemar_exact": 0.25}
    )
    assert rows["iqr:summary_csf_p05"]["flips_b_only"] == 7
    assert rows["iqr:summary_csf_p05"]["p_mcnemar_exact"] == pytest.approx(2 / 2**7)
    assert rows["iqr:any"] == pytest.approx(
        {
            "n": 579,
            "excluded_a": 242,
            "excluded_b": 239,
            "flips_a_only": 10,
            "flips_b_only": 7,
            "p_mcnemar_exact": stats.binomtest(10, 17).pvalue,
        }
    )
    assert {(s, u) for r, s, u in flips if r == "iqr:efc"} == {(544, "original"), (559, "original"), (572, "original")}
    assert len(flips) == len(result.decision_flips) == 119


def test_missing_values_never_flag(result, s2):
    """Blank a few outlying values: a missing value leaves n and never flags, not even for iqr:any."""
    holed = s2.copy()
    # 544 and 559 flip on efc (outliers under the original only): blank their original efc
    holed.loc[holed["sub"].isin([544, 559]) & (holed["defaced"] == 0), "efc"] = np.nan
    # the first participant whose defaced snrd_csf is an outlier (all 4 are defaced-only flips): blank it
    original = s2[s2["defaced"] == 0].set_index("sub")["snrd_csf"]
    defaced = s2[s2["defaced"] == 1].set_index("sub")["snrd_csf"]
    q1, q3 = np.quantile(original, [0.25, 0.75])
    outlying = defaced[(defaced < q1 - K * (q3 - q1)) | (defaced > q3 + K * (q3 - q1))].index
    assert len(outlying) == 4
    holed.loc[(holed["sub"] == min(outlying)) & (holed["defaced"] == 1), "snrd_csf"] = np.nan

    holed_result = run_compare(holed)
    assert holed_result.equivalence["iqm"].tolist() == result.equivalence["iqm"].tolist()
    rows, flips = check(holed_result, holed)
    assert rows["iqr:efc"]["n"] == 577 and rows["iqr:snrd_csf"]["n"] == 578
    assert rows["iqr:snrd_csf"]["flips_b_only"] == 3
    # 559 was an outlier under the original on efc alone: with it blank, iqr:any keeps the image
    assert (rows["iqr:any"]["excluded_a"], rows["iqr:any"]["flips_a_only"]) == (241, 9)
    assert not {(r, s) for r, s, _ in flips} & {("iqr:efc", 544), ("iqr:efc", 559), ("iqr:snrd_csf", min(outlying))}


def test_user_decision_columns_match_a_direct_count(s2):
    """A rater's per-image verdicts: -1/0/1 numbers where -1 means excluded (given as -1.0, while
    the table reads as -1), and words (pass/fail) whose meaning is known; blanks never flag."""
    rng = np.random.default_rng(3)
    data = s2.assign(
        rating=rng.choice([-1.0, 0.0, 1.0], size=len(s2), p=[0.2, 0.3, 0.5]),
        verdict=rng.choice(["pass", "fail", ""], size=len(s2), p=[0.8, 0.15, 0.05]),
    )
    result = run_compare(data, decision_columns={"rating": [-1.0], "verdict": ["fail"]}, measures=["cjv", "efc"])
    rows = result.decisions.set_index("rule")
    for rule, column, excluded in (("column:rating", "rating", [-1.0]), ("column:verdict", "verdict", ["fail"])):
        a = data[data["defaced"] == 0].set_index("sub")[column]
        b = data[data["defaced"] == 1].set_index("sub")[column]
        both = (a != "") & (b != "")
        out_a, out_b = a.isin(excluded) & both, b.isin(excluded) & both
        x, y = int((out_a & ~out_b).sum()), int((out_b & ~out_a).sum())
        assert rows.loc[rule, ["n", "excluded_a", "excluded_b", "flips_a_only", "flips_b_only"]].tolist() == [
            int(both.sum()),
            int(out_a.sum()),
            int(out_b.sum()),
            x,
            y,
        ], rule
        assert rows.loc[rule, "p_mcnemar_exact"] == pytest.approx(stats.binomtest(x, x + y).pvalue, rel=1e-12)
    assert rows.loc["column:rating", "n"] == 579 and rows.loc["column:verdict", "n"] < 579


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"rating": [-2]}, r"column 'rating' never holds '-2'; it holds -1, 0, 1. Name the values that mean excluded"),
        (
            ["rating"],
            r"column 'rating' holds -1, 0, 1; say which values mean excluded, e.g. decision_columns=\{'rating': \['-1'\]\}",
        ),
        (["ratings"], r"no column 'ratings'. Did you mean 'rating'\?"),
    ],
)
def test_decision_columns_that_cannot_be_read_are_refused(s2, columns, message):
    data = s2.assign(rating=np.resize([-1.0, 0.0, 1.0], len(s2)))
    with pytest.raises(iqmstats.errors.ParameterError, match=message):
        run_compare(data, decision_columns=columns)
