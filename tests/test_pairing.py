"""Selecting images, pairing by key (never by row order), and the pairing audit on real designs."""

import numpy as np
import pandas as pd
import pytest

from iqmstats import load_example, read
from iqmstats.errors import PairingError, ParameterError
from iqmstats.examples import example_path
from iqmstats.pairing import audit_pairing, pair_iqms
from iqmstats.selection import select_images


@pytest.fixture(scope="module")
def rescans_t1w():
    return read(example_path("rescans"), modality="T1w")


def _session_pairs(table, participants=None):
    data = table.data if participants is None else table.data[table.data.subject.isin(participants)]
    chosen = select_images(data, measures=table.iqms, participant="subject", condition="session")
    paired = pair_iqms(
        chosen.rows, measures=table.iqms, participant="subject", condition="session", conditions=chosen.conditions
    )
    whole = [m for j, m in enumerate(paired.iqms) if not np.isnan(paired.values[:, :, j]).any()]
    return paired.complete(whole)


def test_pairs_follow_ids_not_row_order(ixi_unblinded):
    data = ixi_unblinded.data
    shuffled = data.sample(frac=1.0, random_state=3)
    a = pair_iqms(data, measures=["cjv", "efc"], conditions=["original", "defaced"])
    b = pair_iqms(shuffled, measures=["cjv", "efc"], conditions=["original", "defaced"])
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
    toy = _toy(
        [("p1", "a", 1, 1.0), ("p1", "b", 1, 2.0), ("p1", "b", 2, 4.0), ("p2", "a", 1, 5.0), ("p2", "b", 1, 6.0)]
    )

    def chosen(**options):
        selection = select_images(toy, measures=["cjv"], participant="participant", condition="condition", **options)
        return pair_iqms(selection.rows, measures=["cjv"], conditions=selection.conditions, dropped=selection.dropped)

    first = chosen()
    assert first.condition("b")["cjv"].tolist() == [2.0, 6.0]
    assert first.dropped.values.tolist() == [["p1", "repeated presentations resolved by 'first'"]]
    assert chosen(repeats="mean").condition("b")["cjv"].tolist() == [3.0, 6.0]
    picks = {chosen(repeats="random", seed=s).condition("b").loc["p1", "cjv"] for s in range(20)}
    assert picks == {2.0, 4.0}


def test_duplicates_and_unpaired_are_refused_or_dropped():
    duplicate = _toy([("p1", "a", 1, 1.0), ("p1", "a", 1, 1.5), ("p1", "b", 1, 2.0)])
    with pytest.raises(PairingError, match="participant p1, condition a"):
        select_images(duplicate, measures=["cjv"], participant="participant", condition="condition")
    unpaired = _toy([("p1", "a", 1, 1.0), ("p1", "b", 1, 2.0), ("p2", "a", 1, 3.0)])
    with pytest.raises(
        PairingError, match=r"1 participant\(s\) lack an image under some condition \(p2\).*drop_unpaired=True"
    ):
        pair_iqms(unpaired, measures=["cjv"], conditions=["a", "b"])
    kept = pair_iqms(unpaired, measures=["cjv"], conditions=["a", "b"], drop_unpaired=True)
    assert kept.participants == ("p1",) and kept.dropped["participant"].tolist() == ["p2"]


def test_bad_parameters_name_what_is_valid(ixi_unblinded):
    with pytest.raises(ParameterError, match="Did you mean 'defaced'") as raised:
        select_images(
            ixi_unblinded.data,
            measures=["cjv"],
            participant="participant",
            condition="condition",
            conditions=["original", "defacd"],
        )
    assert raised.value.parameter == "conditions"
    with pytest.raises(ParameterError, match="no column 'condtion'") as raised:
        select_images(ixi_unblinded.data, measures=["cjv"], participant="participant", condition="condtion")
    assert raised.value.parameter == "condition"
    with pytest.raises(PairingError, match="changes within participant"):
        pair_iqms(
            _toy([("p1", "a", 1, 1.0), ("p1", "b", 1, 2.0)]).assign(site=["x", "y"]),
            measures=["cjv"],
            conditions=["a", "b"],
            between="site",
        )


def test_bold_with_tasks_and_runs_names_the_entities_that_vary():
    bold = read(example_path("rescans"), modality="bold")
    options = dict(measures=bold.iqms, participant="subject", condition="session")
    with pytest.raises(PairingError) as raised:
        select_images(bold.data, **options)
    message = str(raised.value)
    assert "task takes 2 values and run takes 8 values within participant 01, session 1" in message
    assert "where={'task': 'rest'}" in message and "average_over=['run']" in message
    rest = select_images(bold.data, where={"task": ("rest",)}, **options)
    assert len(rest.rows) == 48 and rest.notes[0] == "kept the images whose task is rest"
    runs = select_images(bold.data, where={"task": ("satellite",)}, average_over=("run",), **options)
    assert len(runs.rows) == 48 and set(runs.rows.n_images) == {8}
    one = bold.data[(bold.data.subject == "01") & (bold.data.session == "1") & (bold.data.task == "satellite")]
    mean = runs.rows[(runs.rows.subject == "01") & (runs.rows.session == "1")]["tsnr"].item()
    assert mean == pytest.approx(one["tsnr"].mean(), rel=1e-15)


def test_audit_passes_real_pairs_and_flags_shuffled_ones(ixi_unblinded, ixi_paired):
    measures = ["cjv", "cnr", "efc", "snr_gm", "snr_wm", "wm2max", "inu_med", "summary_wm_mean"]
    assert audit_pairing(ixi_paired.complete(measures))["verdict"] == "aligned"
    data = ixi_unblinded.data.copy()
    defaced = data.condition == "defaced"
    data.loc[defaced, "participant"] = np.random.default_rng(1).permutation(data.loc[defaced, "participant"].to_numpy())
    audit = audit_pairing(pair_iqms(data, measures=measures, conditions=["original", "defaced"]))
    assert audit["verdict"] == "misaligned" and audit["identified"] < 0.01 and audit["p_value"] > 0.05


def test_audit_on_the_pca_table_by_label_and_read_as_interleaved():
    """S4 stacks all original rows above all defaced rows; read as interleaved pairs it is wrong."""
    pca = load_example("ixi-pca")
    components = [f"PC{i}" for i in range(1, 10)]
    pca[components] = pca[components].astype(float)
    by_label = pair_iqms(pca, measures=components, participant="sub", condition="defaced", conditions=["0", "1"])
    assert audit_pairing(by_label)["verdict"] == "aligned"
    by_position = pca.assign(
        position=(np.arange(len(pca)) // 2).astype(str), slot=(np.arange(len(pca)) % 2).astype(str)
    )
    misread = pair_iqms(
        by_position, measures=components, participant="position", condition="slot", conditions=["0", "1"]
    )
    audit = audit_pairing(misread)
    assert audit["verdict"] == "misaligned" and audit["identified"] == 0.0


def test_audit_on_rescans_is_aligned_also_with_few_participants(rescans_t1w):
    full = audit_pairing(_session_pairs(rescans_t1w))
    assert full["verdict"] == "aligned" and full["n"] == 24 and full["identified"] == 1.0
    ten = audit_pairing(_session_pairs(rescans_t1w, [f"{i:02d}" for i in range(1, 11)]))
    assert ten["verdict"] == "aligned" and ten["n"] == 10
    four = audit_pairing(_session_pairs(rescans_t1w, ["01", "02", "03", "04"]))
    assert four["verdict"] == "not testable" and "p = 0.0417 > 0.01" in four["reason"]


def test_audit_false_alarms_on_correct_rescan_pairs_and_misses_on_shuffled_ones(rescans_t1w):
    """Random subsets of 6 to 24 correctly paired rescans are never flagged; the same subsets with
    their second sessions shuffled are (a shuffle that keeps some pairs by chance may pass)."""
    rng = np.random.default_rng(0)
    everyone = _session_pairs(rescans_t1w)
    false_alarms, flagged = 0, 0
    for trial in range(40):
        size = int(rng.integers(6, 25))
        keep = np.zeros(everyone.n, dtype=bool)
        keep[rng.choice(everyone.n, size, replace=False)] = True
        subset = everyone.subset(keep)
        false_alarms += audit_pairing(subset, seed=trial)["verdict"] != "aligned"
        values = subset.values.copy()
        values[:, 1] = values[rng.permutation(size), 1]
        flagged += audit_pairing(subset.with_values(values, subset.iqms), seed=trial)["verdict"] == "misaligned"
    assert false_alarms == 0 and flagged >= 36
