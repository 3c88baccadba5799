"""WTS and MATS: the published formulas by hand, the bootstrap against a plain simulation."""

import numpy as np
import pytest
from scipy import stats

from iqmstats.stats.wts_mats import hypothesis_matrices, wts_mats


def _published(values, groups, effect):
    """WTS and MATS exactly as written in Friedrich & Pauly (2018): pseudo-inverses of the full H."""
    n, t, p = values.shape
    members = [values[groups == g].reshape(-1, t * p) for g in np.unique(groups)]
    mu = np.concatenate([m.mean(axis=0) for m in members])
    s = np.zeros((len(mu), len(mu)))
    for i, m in enumerate(members):
        s[i * t * p : (i + 1) * t * p, i * t * p : (i + 1) * t * p] = n * np.cov(m, rowvar=False) / len(m)
    h = hypothesis_matrices(len(members), t, p, factor="site")[effect]
    wts = n * mu @ h.T @ np.linalg.pinv(h @ s @ h.T) @ h @ mu
    mats = n * mu @ h.T @ np.linalg.pinv(h @ np.diag(np.diag(s)) @ h.T) @ h @ mu
    return wts, mats, np.linalg.matrix_rank(h)


def test_statistics_equal_the_published_formulas():
    rng = np.random.default_rng(11)
    groups = np.repeat(["a", "b", "c"], [9, 12, 10])
    values = rng.normal(size=(31, 2, 3)) * np.array([1.0, 50.0, 0.01]) + (groups == "b")[:, None, None] * 0.3
    ours = wts_mats(values, groups, factor="site", resamples=0).set_index(["effect", "statistic"])
    for effect in ("condition", "site", "site:condition"):
        wts, mats, rank = _published(values, groups, effect)
        assert ours.loc[(effect, "wts"), "value"] == pytest.approx(wts, rel=1e-8)  # pinv on scales 1e4 apart
        assert ours.loc[(effect, "mats"), "value"] == pytest.approx(mats, rel=1e-8)
        assert ours.loc[(effect, "wts"), "df1"] == rank
        assert ours.loc[(effect, "wts"), "p_value"] == pytest.approx(stats.chi2.sf(wts, rank), rel=1e-7)


def test_bootstrap_matches_simulating_the_data():
    """Drawing means and Wishart factors, and assembling each effect from the groups' projected
    covariances, equals MANOVA.RM's drawing of whole samples, for every effect."""
    rng = np.random.default_rng(12)
    groups = np.repeat([0, 1], [8, 10])
    values = rng.normal(size=(18, 2, 2)) + np.array([0.0, 0.45])[None, :, None] + (groups == 1)[:, None, None] * 0.4
    ours = wts_mats(values, groups, factor="site", resamples=4000, seed=3).set_index(["effect", "statistic"])
    members = [values[groups == g].reshape(-1, 4) for g in (0, 1)]
    covariances = [np.cov(m, rowvar=False) for m in members]
    effects = ("condition", "site", "site:condition")
    observed = {effect: _published(values, groups, effect) for effect in effects}
    simulate = np.random.default_rng(4)
    boot = {effect: [] for effect in effects}
    for _ in range(4000):
        fake = np.empty_like(values)
        for g, cov in enumerate(covariances):
            fake[groups == g] = simulate.multivariate_normal(np.zeros(4), cov, size=(groups == g).sum()).reshape(
                -1, 2, 2
            )
        for effect in effects:
            boot[effect].append(_published(fake, groups, effect)[:2])
    for effect in effects:
        draws = np.array(boot[effect])
        for k, statistic in enumerate(("wts", "mats")):
            plain = (1 + np.sum(draws[:, k] > observed[effect][k])) / (1 + len(draws))
            assert (
                abs(ours.loc[(effect, statistic), "p_resampled"] - plain)
                < 4 * np.sqrt(plain * (1 - plain) / 4000) + 0.005
            ), (effect, statistic)


def test_bootstrap_p_is_calibrated_under_the_null():
    p_values = []
    for seed in range(150):
        rng = np.random.default_rng(seed)
        values = rng.normal(size=(24, 2, 2)) + rng.normal(size=(24, 1, 2))  # no condition effect
        p_values.append(wts_mats(values, resamples=199, seed=seed).set_index("statistic").loc["mats", "p_resampled"])
    assert 0.01 < np.mean(np.array(p_values) <= 0.05) < 0.11


def test_wts_is_omitted_when_a_group_is_too_small_for_its_covariance():
    rng = np.random.default_rng(13)
    values = rng.normal(size=(14, 2, 3))
    groups = np.repeat([0, 1], [5, 9])  # 5 participants, 6 dimensions
    table = wts_mats(values, groups, resamples=50)
    assert set(table["statistic"]) == {"mats"}
    assert (table["note"] == "WTS omitted: a group has 5 participants for 6 dimensions (singular covariance)").all()
    assert table["p_resampled"].notna().all()
