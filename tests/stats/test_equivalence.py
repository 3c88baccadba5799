"""Equivalence (TOST) of ``compare(..., margin=0.2)`` against base R (tests/stats/reference/equivalence.R),
which reads S2_Data.csv itself and pairs the images by its ``sub`` column."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import iqmstats
from iqmstats.stats.equivalence import equivalence_tests

REFERENCE = Path(__file__).parent / "reference"
VALUE_COLUMNS = ["bias", "sd_reference", "margin_lower", "margin_upper", "ci90_lower", "ci90_upper"]
P_COLUMNS = ["p_lower", "p_upper", "p_tost", "p_tost_holm"]
#: The smallest normal double. Below it R's pt() still returns subnormal numbers (down to 5e-324)
#: while scipy.special.stdtr, which iqmstats uses, returns 0: both are "0 to double precision",
#: and a subnormal carries too few significant digits for a relative comparison.
TINY = np.finfo(float).tiny


@pytest.fixture(scope="module")
def result():
    return iqmstats.compare(
        iqmstats.example_path("ixi-iqms"),
        key=iqmstats.example_path("ixi-key"),
        key_map={"non_defaced": "original"},
        conditions=["original", "defaced"],
        permutations=0,
        bootstrap=0,
        margin=0.2,
    )


@pytest.fixture(scope="module")
def reference():
    return pd.read_csv(REFERENCE / "equivalence.csv", keep_default_na=False)


def test_same_measures_as_r(result, reference):
    assert result.equivalence["iqm"].tolist() == reference["iqm"].tolist()
    assert len(reference) == 53


def test_every_number_agrees_with_r(result, reference):
    ours = result.equivalence.set_index("iqm").loc[reference["iqm"]]
    r = reference.set_index("iqm")
    np.testing.assert_array_equal(ours["n"].to_numpy(), r["n"].to_numpy())
    assert (r["n"] == 579).all()
    for column in VALUE_COLUMNS:
        np.testing.assert_allclose(ours[column], r[column], rtol=1e-8, atol=0, err_msg=column)
    for column in P_COLUMNS:
        mine, theirs = ours[column].to_numpy(dtype=float), r[column].to_numpy(dtype=float)
        normal = theirs >= TINY
        # p values R can represent as normal doubles: relative agreement
        np.testing.assert_allclose(mine[normal], theirs[normal], rtol=1e-8, atol=0, err_msg=column)
        # R gives exactly 0 or a subnormal (|t| of 40 to 130 on 578 df): iqmstats must underflow too
        assert (mine[~normal] >= 0).all() and (mine[~normal] < TINY).all(), column
        assert normal.sum() >= 20, column  # the relative comparison is not vacuous
    assert (ours["verdict"] == r["verdict"]).all()
    assert (ours["margin"] == 0.2).all() and (ours["margin_units"] == "reference SD").all()
    assert (result.equivalence["comparison"] == "original - defaced").all()


def test_reference_verdicts(reference):
    # 52 measures equivalent within 0.2 SD; efc (the face-dependent measure) lies beyond the margin
    assert reference.set_index("iqm")["verdict"].to_dict() == {
        **{m: "equivalent" for m in reference["iqm"] if m != "efc"},
        "efc": "beyond_margin",
    }


def test_hand_sized_example_against_r():
    a = pd.DataFrame(
        {
            "cjv": [0.52, 0.63, 0.47, 0.58, 0.55, 0.49, 0.61, 0.44],
            "snr": [10.1, 11.4, 9.8, 12.0, 10.7, 11.1, 9.5, 10.9],
            "efc": [0.60, 0.55, 0.62, np.nan, 0.58, 0.57, 0.61, 0.59],
        }
    )
    b = pd.DataFrame(
        {
            "cjv": a.cjv - [0.004, -0.006, 0.010, 0.002, -0.003, 0.007, 0.001, -0.002],
            "snr": [9.2, 10.1, 9.1, 10.8, 9.4, 10.3, 8.9, 9.6],
            "efc": [0.59, 0.57, 0.60, 0.58, 0.55, 0.58, 0.63, 0.56],
        }
    )
    table = equivalence_tests(a, b, margin=0.5).set_index("iqm")
    # R 4.2.2, per measure over the complete pairs (x, y):
    #   L <- -0.5 * sd(x); U <- 0.5 * sd(x)
    #   pl <- t.test(x, y, paired = TRUE, mu = L, alternative = "greater")$p.value
    #   pu <- t.test(x, y, paired = TRUE, mu = U, alternative = "less")$p.value
    #   ci <- t.test(x, y, paired = TRUE, conf.level = 0.90)$conf.int
    #   p.adjust(pmax(pl, pu), "holm")            (values printed with sprintf("%.17g"))
    r = pd.DataFrame(
        {
            "n": [8, 8, 7],
            "bias": [0.0016250000000000014, 1.0125, 0.0057142857142857039],
            "margin_upper": [0.034010240054598684, 0.42210146038262275, 0.01205147689032739],
            "ci90_lower": [-0.0019363452601707356, 0.81496770832188947, -0.010630193864452377],
            "ci90_upper": [0.0051863452601707393, 1.2100322916781103, 0.022058765293023787],
            "p_lower": [1.4132798510911577e-07, 1.2630836293104042e-06, 0.039568355778597623],
            "p_upper": [2.7259855891236751e-07, 0.99961781764487811, 0.23985286011888934],
            "p_tost": [2.7259855891236751e-07, 0.99961781764487811, 0.23985286011888934],
            "p_tost_holm": [8.1779567673710249e-07, 0.99961781764487811, 0.47970572023777869],
            "verdict": ["equivalent", "beyond_margin", "inconclusive"],
        },
        index=["cjv", "snr", "efc"],
    )
    assert table.index.tolist() == ["cjv", "snr", "efc"]
    np.testing.assert_array_equal(table["n"], r["n"])
    for column in r.columns.drop(["n", "verdict"]):
        np.testing.assert_allclose(table[column], r[column], rtol=1e-8, atol=0, err_msg=column)
    np.testing.assert_allclose(table["margin_lower"], -r["margin_upper"], rtol=1e-12)
    assert table["verdict"].tolist() == r["verdict"].tolist()
    # closed forms: the efc row drops the participant missing under the first condition
    d = (a.efc - b.efc).dropna().to_numpy()
    assert table.loc["efc", "bias"] == pytest.approx(d.mean(), rel=1e-12)
    assert table.loc["efc", "sd_reference"] == pytest.approx(a.efc.dropna().std(ddof=1), rel=1e-12)
    assert table.loc["snr", "bias"] == pytest.approx(1.0125, rel=1e-12)  # 8.1 / 8 by hand


def test_margins_in_raw_units_give_r_numbers_for_the_same_bounds(reference):
    """Per-measure margins in each measure's units (R's 0.2 SD bounds, given as numbers) test the same
    hypotheses, so every p value is R's; a margins table lacking measures names them and the fix."""
    r = reference.set_index("iqm")
    margins = r["margin_upper"].to_dict()
    options = dict(
        key=iqmstats.example_path("ixi-key"), key_map={"non_defaced": "original"}, permutations=0, bootstrap=0
    )
    conditions = ["original", "defaced"]
    ours = iqmstats.compare(iqmstats.example_path("ixi-iqms"), conditions=conditions, margins=margins, **options)
    table = ours.equivalence.set_index("iqm").loc[r.index]
    assert (table["margin_units"] == "raw").all()
    np.testing.assert_allclose(table["margin_upper"], r["margin_upper"], rtol=1e-15)
    normal = r["p_tost"].to_numpy(dtype=float) >= TINY
    np.testing.assert_allclose(table["p_tost"][normal], r["p_tost"][normal], rtol=1e-8)
    assert (table["verdict"] == r["verdict"]).all()

    two = {"cjv": margins["cjv"], "efc": margins["efc"]}
    with pytest.raises(
        iqmstats.errors.ParameterError,
        match=r"no margin for 51 of the 53 measures analysed \(cnr, fwhm_x, .*or analyse only those with one: "
        r"measures=\['cjv', 'efc'\]",
    ):
        iqmstats.compare(iqmstats.example_path("ixi-iqms"), conditions=conditions, margins=two, **options)
