"""The catalogue's claims, checked against real MRIQC files and the study's table."""

import json

import numpy as np
import pandas as pd
import pytest

from iqmstats import catalogue
from iqmstats.errors import ParameterError
from iqmstats.examples import example_path

from .conftest import BOLD_JSON, DATA, T1W_JSON


def _iqm_keys(path):
    keys = json.loads(path.read_text())
    return {k for k in keys if k not in ("bids_meta", "provenance") and not k.startswith(("size_", "spacing_"))}


def test_t1w_names_are_what_mriqc_writes():
    assert set(catalogue.iqm_names("T1w")) == _iqm_keys(T1W_JSON)
    group = pd.read_csv(DATA / "group_T1w.tsv", sep="\t", nrows=0).columns
    assert set(catalogue.iqm_names("T1w")) == {c for c in group if catalogue.is_iqm_key(c)} - {"bids_name"}
    assert len(catalogue.iqm_names("T1w")) == 62
    assert catalogue.iqm_names("T2w") == catalogue.iqm_names("T1w")


def test_bold_names_are_what_mriqc_writes():
    assert set(catalogue.iqm_names("bold")) == _iqm_keys(BOLD_JSON)
    group = pd.read_csv(DATA / "group_bold.tsv", sep="\t", nrows=0).columns
    assert set(catalogue.iqm_names("bold")) == {c for c in group if catalogue.is_iqm_key(c)} - {"bids_name"}


def test_canonical_order_is_mriqcs_alphabetical_order():
    assert list(catalogue.iqm_names("T1w")) == sorted(catalogue.iqm_names("T1w"))
    assert list(catalogue.iqm_names("bold")) == sorted(catalogue.iqm_names("bold"))


def test_counts_are_marked_as_counts():
    counts = {iqm.name for iqm in catalogue.IQMS.values() if iqm.kind == "count"}
    summary_n = {f"summary_{r}_n" for r in ("bg", "csf", "gm", "wm", "fg")}
    assert counts == summary_n | {"fd_num", "dummy_trs"}


@pytest.fixture(scope="module")
def s2():
    return pd.read_csv(example_path("ixi-iqms"))


def test_icvs_sum_to_one_in_the_study_data(s2):
    total = s2[["icvs_csf", "icvs_gm", "icvs_wm"]].sum(axis=1)
    assert np.max(np.abs(total - 1)) < 1e-12
    (icvs,) = [d for d in catalogue.dependencies("T1w") if d.kind == "sum"]
    assert icvs.max_residual(s2) < 1e-12


@pytest.mark.parametrize(
    "target, parts",
    [
        ("snr_total", ["snr_csf", "snr_gm", "snr_wm"]),
        ("snrd_total", ["snrd_csf", "snrd_gm", "snrd_wm"]),
        ("fwhm_avg", ["fwhm_x", "fwhm_y", "fwhm_z"]),
    ],
)
def test_totals_are_means_of_parts_in_the_study_data(s2, target, parts):
    mean = (s2[parts[0]] + s2[parts[1]] + s2[parts[2]]) / 3
    assert np.max(np.abs(mean - s2[target]) / s2[target]) < 1e-12
    (dependency,) = [d for d in catalogue.dependencies("T1w") if d.target == target]
    assert dependency.parts == tuple(parts)
    assert dependency.max_residual(s2) < 1e-12


def test_a_dependency_that_does_not_hold_is_measured_as_such(s2):
    broken = s2.assign(fwhm_avg=s2.fwhm_avg * 1.01)
    (fwhm,) = [d for d in catalogue.dependencies("T1w") if d.target == "fwhm_avg"]
    assert fwhm.max_residual(broken) == pytest.approx(0.01, rel=1e-9)  # (1.01 m - m) / m


def test_fber_sentinel_is_the_studys_minus_one(s2):
    assert catalogue.SENTINELS["fber"].value == -1.0
    assert (s2.fber == -1).sum() == 863  # ~75% of 1158, as the data README says


def test_unknown_modality_gets_a_hint():
    with pytest.raises(ParameterError, match="Did you mean 'T1w'"):
        catalogue.iqm_names("T1")
