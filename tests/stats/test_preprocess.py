"""The IQM screen: which IQMs are dropped and why, on hand-made cases and the real study table."""

import numpy as np
import pandas as pd
import pytest

from iqmstats import ParameterError, load_example
from iqmstats.stats import screen_iqms


def test_study_table_drops_exactly_the_known_degenerate_iqms():
    table = load_example("ixi-iqms")
    screen = screen_iqms(table.values, modality="T1w").set_index("iqm")
    dropped = screen[~screen.kept]["reason"].to_dict()
    assert dropped == {
        "fber": "missing",  # -1 in 863 of 1158 images
        "qi_1": "constant",
        "summary_bg_p05": "constant",
        "summary_bg_mad": "near_constant",  # 0 in all but two images
        "summary_bg_median": "near_constant",
        "icvs_wm": "redundant",
        "snr_total": "redundant",
        "snrd_total": "redundant",
        "fwhm_avg": "redundant",
    }
    assert (
        screen.loc["fber", "detail"]
        == "missing in 863 of 1158 images (75%); fber = -1 means no signal outside the head"
    )
    assert screen.loc["summary_bg_mad", "detail"] == "0 in 99.8% of images"  # 1156 / 1158
    assert screen.kept.sum() == 53
    assert list(screen.columns) == ["kept", "reason", "detail"]


def test_thresholds_are_shares_of_images():
    values = pd.DataFrame({"cjv": [1.0] * 9 + [2.0], "efc": [np.nan] * 2 + list(np.arange(8.0))})
    assert screen_iqms(values).kept.tolist() == [True, False]  # 20% missing > 10%
    assert screen_iqms(values, max_identical_share=0.9, max_missing_share=0.2).kept.tolist() == [False, True]
    assert screen_iqms(values, max_identical_share=0.91).kept.tolist() == [True, False]


def test_an_identity_that_does_not_hold_keeps_all_columns():
    values = pd.DataFrame({"icvs_csf": [0.2, 0.3, 0.25], "icvs_gm": [0.4, 0.4, 0.45], "icvs_wm": [0.4, 0.2, 0.3]})
    screen = screen_iqms(values, modality="T1w")
    assert screen.kept.tolist() == [True, True, True]  # 0.2 + 0.4 + 0.4 = 1 but 0.3 + 0.4 + 0.2 != 1


def test_no_identity_without_a_modality():
    values = pd.DataFrame({"fwhm_x": [1.0, 2.0], "fwhm_y": [1.0, 2.0], "fwhm_z": [1.0, 2.0], "fwhm_avg": [1.0, 2.0]})
    assert screen_iqms(values).kept.all()
    assert not screen_iqms(values, modality="bold").set_index("iqm").loc["fwhm_avg", "kept"]


@pytest.mark.parametrize("share", [0, -0.1, 1.5])
def test_shares_are_validated(share):
    with pytest.raises(ParameterError, match="must be a share"):
        screen_iqms(pd.DataFrame({"cjv": [1.0]}), max_missing_share=share)
