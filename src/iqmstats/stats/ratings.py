"""Did blinded raters judge one condition differently? Mixed models, rm-ANOVA, agreement, artifacts.

Input: one row per rating with ``rater``, ``participant``, ``condition``, ``presentation``,
``rating`` (and ``artifacts``, ';'-joined labels). Effects are first minus second condition.
Repeated presentations of an image are chosen first (:func:`choose_presentations`); rating
differences are rounded to :data:`RATING_DECIMALS` decimals before they are ranked.
Checked against R 4.2 (``lme4::lmer(REML = FALSE)``, ``car::Anova`` with sphericity
corrections): ``tests/stats/reference/ratings.R``.

Examples
--------
>>> icc(np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]))
{'icc_a1': 0.2897..., 'icc_c1': 0.7148..., 'n': 6, 'k': 4}
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from statsmodels.stats.anova import AnovaRM

from ..errors import InsufficientDataError, ParameterError
from .decisions import decision_table, tables
from .distributions import binomial_two_sided, chi2_sf, f_sf, norm_quantile
from .univariate import adjust, per_iqm_tests

#: Rating differences are rounded to this many decimals before ranking: ratings such as 2.55 and
#: their means then give the zeros and ties of exact arithmetic, not of floating-point noise.
RATING_DECIMALS = 9
PRESENTATION_POLICIES = ("first", "random", "mean", "all")

MODEL_COLUMNS = [
    "model",
    "effect",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "chi2",
    "df",
    "p_value",
    "p_fdr",
    "var_participant",
    "var_rater",
    "var_residual",
    "loglik",
    "n",
]
AGREEMENT_COLUMNS = ["analysis", "rater", "statistic", "value", "n", "detail"]
ARTIFACT_COLUMNS = ["artifact", "n_pairs", "ticked_a", "ticked_b", "only_a", "only_b", "p_value", "p_fdr"]


def _check(ratings: pd.DataFrame, conditions) -> tuple[str, str, pd.DataFrame]:
    """The two condition names and the ratings of those two conditions (refusing what is missing)."""
    needed = ["rater", "participant", "condition", "rating"]
    missing = [c for c in needed if c not in ratings]
    if missing:
        raise ParameterError(f"the ratings lack column(s) {', '.join(missing)}; unblind them first")
    first, second = (str(c) for c in conditions)
    present = set(ratings["condition"].astype(str))
    for name in (first, second):
        if name not in present:
            raise ParameterError(
                f"condition {name!r} is not among the ratings' conditions ({', '.join(sorted(present))})"
            )
    chosen = ratings[ratings["condition"].astype(str).isin([first, second])]
    conditions_rated = chosen.groupby("rater")["condition"].nunique()
    partial = conditions_rated.index[conditions_rated < 2].tolist()
    if partial:
        raise InsufficientDataError(
            f"rater(s) {', '.join(map(repr, partial[:5]))} rated images of one condition only; every rater must rate both "
            "(a misspelt rater name starts a new rater: check the rater column)"
        )
    return first, second, chosen


def _first_presentations(ratings: pd.DataFrame) -> pd.DataFrame:
    """Each image's first presentation only (all rows when presentations are not numbered)."""
    return ratings[ratings["presentation"].astype(int) == 1] if "presentation" in ratings else ratings


def choose_presentations(ratings: pd.DataFrame, policy: str = "first", *, seed: int = 0) -> pd.DataFrame:
    """One rating per rater, participant and condition from repeated presentations of an image:
    'first' keeps presentation 1, 'random' a seeded random one, 'mean' the mean rating (the
    first presentation's artifacts); 'all' keeps every rating as its own observation.
    Presentations are numbered in the order the ratings appear in the input (``analyse_ratings``)."""
    if policy == "all" or "presentation" not in ratings:
        return ratings
    keys = ["rater", "participant", "condition"]
    if policy == "first":
        return ratings[ratings["presentation"].astype(int) == 1]
    if policy == "random":
        order = pd.Series(np.random.default_rng(seed).permutation(len(ratings)), index=ratings.index)
        return (
            ratings.assign(_order=order).sort_values("_order").drop_duplicates(keys).drop(columns="_order").sort_index()
        )
    if policy == "mean":
        means = ratings.groupby(keys, sort=False)["rating"].transform("mean")
        return _first_presentations(ratings.assign(rating=means))
    raise ParameterError(f"repeats={policy!r}: choose one of {', '.join(PRESENTATION_POLICIES)}")


def rating_models(
    ratings: pd.DataFrame, conditions, *, threshold: float = 2.45, confidence: float = 0.95
) -> pd.DataFrame:
    """Linear mixed models of the condition effect, fitted by maximum likelihood.

    - ``all raters``: rating ~ condition + (1 | participant) + (1 | rater), crossed random
      intercepts (statsmodels MixedLM: variance components within one all-ones group);
    - one model per rater: rating ~ condition + (1 | participant), with Benjamini-Hochberg FDR
      across raters in ``p_fdr``;
    - ``poor/exclude ratings``: the crossed model on ratings <= ``threshold``.

    ``chi2``/``df``/``p_value``: likelihood-ratio test against the model without condition;
    ``estimate`` (first minus second condition) with its Wald SE and CI.
    """
    first, _second, data = _check(ratings, conditions)
    data = data.copy()
    data["effect"] = (data["condition"].astype(str) == first).astype(float)
    rows = [_fit("all raters", data, crossed=True, confidence=confidence)]
    per_rater = [_fit(str(rater), part, crossed=False, confidence=confidence) for rater, part in data.groupby("rater")]
    fdr = adjust(np.array([row["p_value"] for row in per_rater]), "fdr_bh")
    for row, p in zip(per_rater, fdr):
        row["p_fdr"] = p
    rows += per_rater
    poor = data[data["rating"] <= threshold]
    if poor["participant"].nunique() > 2 and poor["effect"].nunique() == 2:
        rows.append(_fit("poor/exclude ratings", poor, crossed=True, confidence=confidence))
    return pd.DataFrame(rows, columns=MODEL_COLUMNS)


def likelihood_ratio_test(data: pd.DataFrame, *, crossed: bool, name: str = "the ratings"):
    """ML fits of rating ~ effect and rating ~ 1 with random participant (and, ``crossed``, rater)
    intercepts; returns (full fit, likelihood-ratio chi-square, p on 1 df)."""
    if crossed:
        components = {"participant": "0 + C(participant)", "rater": "0 + C(rater)"}
        data = data.assign(everyone=1)
        options = dict(groups="everyone", vc_formula=components, re_formula="0")
    else:
        options = dict(groups="participant")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; the likelihoods are checked below
        try:
            full = smf.mixedlm("rating ~ effect", data, **options).fit(reml=False)
            null = smf.mixedlm("rating ~ 1", data, **options).fit(reml=False)
        except (np.linalg.LinAlgError, ValueError) as exc:  # too few ratings per participant or condition
            raise InsufficientDataError(f"the mixed model for {name} cannot be fitted: {exc}") from None
    if not (np.isfinite(full.llf) and np.isfinite(null.llf)):
        raise InsufficientDataError(f"the mixed model for {name} did not converge")
    chi2 = max(0.0, 2 * (full.llf - null.llf))
    return full, chi2, float(chi2_sf(chi2, 1))


def _fit(name: str, data: pd.DataFrame, *, crossed: bool, confidence: float) -> dict:
    full, chi2, p_value = likelihood_ratio_test(data, crossed=crossed, name=name)
    if crossed:
        variances = dict(zip(full.model.exog_vc.names, full.vcomp))
    else:
        variances = {"participant": float(full.cov_re.iloc[0, 0])}
    estimate = float(full.fe_params["effect"])
    se = _gls_standard_error(data, variances, float(full.scale))
    half = norm_quantile(0.5 + confidence / 2) * se
    return {
        "model": name,
        "effect": "condition",
        "estimate": estimate,
        "se": se,
        "ci_lower": estimate - half,
        "ci_upper": estimate + half,
        "chi2": chi2,
        "df": 1,
        "p_value": p_value,
        "p_fdr": np.nan,
        "var_participant": variances["participant"],
        "var_rater": variances.get("rater", np.nan),
        "var_residual": float(full.scale),
        "loglik": float(full.llf),
        "n": len(data),
    }


def _gls_standard_error(data: pd.DataFrame, variances: dict, residual: float) -> float:
    """SE of the condition effect as lme4 reports it: sqrt of (X' V^-1 X)^-1 at the ML variance
    estimates, V = sum of variance component x Z Z' + residual x I (statsmodels' ``bse_fe`` comes
    from the joint information of fixed effects and variances, which differs on unbalanced data)."""
    x = np.column_stack([np.ones(len(data)), data["effect"].to_numpy()])
    v = residual * np.eye(len(data))
    for component, variance in variances.items():
        z = pd.get_dummies(data[component].astype(str)).to_numpy(dtype=float)
        v += variance * z @ z.T
    information = x.T @ np.linalg.solve(v, x)
    return float(np.sqrt(np.linalg.inv(information)[1, 1]))


def participant_means(ratings: pd.DataFrame, conditions) -> pd.DataFrame:
    """Each participant's mean rating per condition and rater (over presentations), complete
    cases only: participants x (condition, rater)."""
    _, _, data = _check(ratings, conditions)
    wide = data.pivot_table(index="participant", columns=["condition", "rater"], values="rating", aggfunc="mean")
    return wide.dropna()


def rm_anova(ratings: pd.DataFrame, conditions) -> pd.DataFrame:
    """Repeated-measures ANOVA condition x rater on participants' mean ratings (statsmodels
    AnovaRM), with Mauchly's test and the Greenhouse-Geisser correction for effects with more
    than one degree of freedom (computed from orthonormal contrasts)."""
    first, second, _ = _check(ratings, conditions)
    wide = participant_means(ratings, conditions)
    if len(wide) < 3:
        raise InsufficientDataError("fewer than three participants were rated under both conditions by every rater")
    long = wide.stack(["condition", "rater"], future_stack=True).rename("rating").reset_index()
    try:
        table = AnovaRM(long, depvar="rating", subject="participant", within=["condition", "rater"]).fit().anova_table
    except ValueError as exc:
        raise InsufficientDataError(f"the repeated-measures ANOVA cannot be fitted: {exc}") from None
    raters = sorted(wide.columns.get_level_values("rater").unique())
    cube = np.stack([wide[condition][raters].to_numpy() for condition in (first, second)], axis=1)  # n x 2 x r
    contrasts = {
        "condition": None,
        "rater": cube.mean(axis=1) @ _helmert(len(raters)),
        "condition:rater": (cube[:, 0] - cube[:, 1]) / np.sqrt(2) @ _helmert(len(raters)),
    }
    rows = []
    for effect, row in table.iterrows():
        record = {
            "effect": effect,
            "f": row["F Value"],
            "df1": row["Num DF"],
            "df2": row["Den DF"],
            "p_value": row["Pr > F"],
            "gg_epsilon": np.nan,
            "p_gg": np.nan,
            "mauchly_w": np.nan,
            "p_mauchly": np.nan,
        }
        scores = contrasts.get(effect)
        if scores is not None and scores.shape[1] > 1:
            record.update(_sphericity(scores, row["F Value"], row["Num DF"], row["Den DF"]))
        rows.append(record)
    return pd.DataFrame(rows)


def _helmert(k: int) -> np.ndarray:
    """k x (k - 1) orthonormal contrasts."""
    basis = np.linalg.qr(np.column_stack([np.ones(k), np.eye(k)[:, : k - 1]]))[0]
    return basis[:, 1:]


def _sphericity(scores: np.ndarray, f: float, df1: float, df2: float) -> dict:
    """Mauchly's W with Box's second-order chi-square approximation (as R's ``mauchly.test``) and
    the Greenhouse-Geisser epsilon, from n x k orthonormal contrast scores."""
    n, k = scores.shape
    s = np.cov(scores, rowvar=False)
    epsilon = np.trace(s) ** 2 / (k * np.trace(s @ s))
    w = np.linalg.det(s) / (np.trace(s) / k) ** k
    df = n - 1
    rho = 1 - (2 * k**2 + k + 2) / (6 * k * df)
    omega = (k + 2) * (k - 1) * (k - 2) * (2 * k**3 + 6 * k**2 + 3 * k + 2) / (288 * (df * k * rho) ** 2)
    z, freedom = -df * rho * np.log(w), k * (k + 1) / 2 - 1
    first, second = chi2_sf(z, freedom), chi2_sf(z, freedom + 4)
    return {
        "gg_epsilon": epsilon,
        "p_gg": float(f_sf(f, df1 * epsilon, df2 * epsilon)),
        "mauchly_w": w,
        "p_mauchly": float(first + omega * (second - first)),
    }


def icc(matrix: np.ndarray) -> dict:
    """Two-way intraclass correlations of an n targets x k measurements matrix (McGraw & Wong 1996):
    ICC(A,1), absolute agreement of single measurements (Shrout & Fleiss' ICC(2,1)), and
    ICC(C,1), consistency (ICC(3,1)), from the two-way ANOVA mean squares."""
    x = np.asarray(matrix, dtype=float)
    n, k = x.shape
    if n < 2 or k < 2:
        raise InsufficientDataError(f"an ICC needs at least 2 targets and 2 measurements, got {n} x {k}")
    grand = x.mean()
    ms_rows = k * np.sum((x.mean(axis=1) - grand) ** 2) / (n - 1)
    ms_cols = n * np.sum((x.mean(axis=0) - grand) ** 2) / (k - 1)
    residual = x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + grand
    ms_error = np.sum(residual**2) / ((n - 1) * (k - 1))
    return {
        "icc_a1": float((ms_rows - ms_error) / (ms_rows + (k - 1) * ms_error + k * (ms_cols - ms_error) / n)),
        "icc_c1": float((ms_rows - ms_error) / (ms_rows + (k - 1) * ms_error)),
        "n": n,
        "k": k,
    }


def agreement(ratings: pd.DataFrame, conditions, *, retest: pd.DataFrame | None = None) -> pd.DataFrame:
    """Agreement of ratings, long format (columns :data:`AGREEMENT_COLUMNS`).

    - ``bland_altman`` per rater and for the raters' mean: bias, SD and limits of agreement of the
      participants' mean ratings, first minus second condition, with the paired t and Wilcoxon p;
    - ``icc_conditions``: ICC(A,1) and ICC(C,1) between a participant's two conditions, per rater;
    - ``test_retest``: ICC(A,1) between first and second presentations of the same image, per
      rater, from ``retest`` (every presentation; default ``ratings``);
    - ``inter_rater``: ICC(A,1) across raters, per condition.
    """
    first, second, data = _check(ratings, conditions)
    wide = participant_means(ratings, conditions)
    raters = sorted(wide.columns.get_level_values("rater").unique())
    a = wide[first][raters].assign(**{"all raters": wide[first][raters].mean(axis=1)})
    b = wide[second][raters].assign(**{"all raters": wide[second][raters].mean(axis=1)})
    rows = []
    tests = per_iqm_tests(a, b, bootstrap=0, decimals=RATING_DECIMALS)
    for row in tests.itertuples():
        for statistic in ("bias", "sd_diff", "loa_lower", "loa_upper", "p_t", "w", "p_w"):
            rows.append(
                (
                    "bland_altman",
                    row.iqm,
                    statistic,
                    getattr(row, statistic),
                    row.n,
                    f"{first} - {second}, participants' means",
                )
            )
    for rater in raters:
        result = icc(np.column_stack([a[rater], b[rater]]))
        rows += [
            ("icc_conditions", rater, name, result[name], result["n"], f"{first} vs {second}")
            for name in ("icc_a1", "icc_c1")
        ]
    retest = _check(retest, conditions)[2] if retest is not None else data
    if "presentation" in retest and (retest["presentation"].astype(int) > 1).any():
        repeated = retest.pivot_table(
            index=["rater", "participant", "condition"], columns="presentation", values="rating"
        ).dropna()
        for rater, part in repeated.groupby(level="rater"):
            result = icc(part[[1, 2]].to_numpy())
            rows.append(("test_retest", rater, "icc_a1", result["icc_a1"], result["n"], "presentation 1 vs 2"))
    for condition in (first, second):
        result = icc(wide[condition][raters].to_numpy())
        rows.append(
            ("inter_rater", "all raters", f"icc_a1_{condition}", result["icc_a1"], result["n"], f"{len(raters)} raters")
        )
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


def threshold_decisions(ratings: pd.DataFrame, conditions, *, threshold: float = 2.45):
    """The manual QC decision in the schema of ``compare``'s decisions: a participant's image is
    excluded by a rater when rated at or below ``threshold`` (rule ``ratings:<threshold>:<rater>``),
    and by the raters together when their mean rating is (``ratings:<threshold>``). Returns
    (decisions, flips) (:mod:`iqmstats.stats.decisions`)."""
    first, second, data = _check(ratings, conditions)
    means = data.pivot_table(index=["rater", "participant"], columns="condition", values="rating", aggfunc="mean")
    results = []
    for rater, part in means.groupby(level="rater"):
        part = part.droplevel("rater")
        results.append(
            decision_table(
                f"ratings:{threshold:g}:{rater}",
                part[first].le(threshold).where(part[first].notna()),
                part[second].le(threshold).where(part[second].notna()),
                (first, second),
            )
        )
    overall = means.groupby(level="participant").mean()
    results.append(
        decision_table(
            f"ratings:{threshold:g}",
            overall[first].le(threshold).where(overall[first].notna()),
            overall[second].le(threshold).where(overall[second].notna()),
            (first, second),
        )
    )
    return tables(results)


def artifact_tests(ratings: pd.DataFrame, conditions) -> pd.DataFrame:
    """Per artifact label: how often it was ticked under each condition (pairs = rater x participant,
    first presentation) and McNemar's exact test of the discordant pairs, with FDR across labels."""
    first, second, data = _check(ratings, conditions)
    if data.duplicated(["rater", "participant", "condition"]).any():  # every presentation kept: pair the first ones
        data = _first_presentations(data)
    labels = sorted({label for text in data["artifacts"].fillna("") for label in str(text).split(";") if label})
    ticked = pd.DataFrame(
        {label: data["artifacts"].fillna("").str.split(";").map(lambda ls, lab=label: lab in ls) for label in labels}
    )
    ticked[["rater", "participant", "condition"]] = data[["rater", "participant", "condition"]].astype(str).to_numpy()
    rows = []
    for label in labels:
        pairs = ticked.pivot_table(
            index=["rater", "participant"], columns="condition", values=label, aggfunc="max"
        ).dropna()
        in_a, in_b = pairs[first].astype(bool), pairs[second].astype(bool)
        only_a, only_b = int((in_a & ~in_b).sum()), int((~in_a & in_b).sum())
        p = binomial_two_sided(only_a, only_a + only_b)
        rows.append((label, len(pairs), int(in_a.sum()), int(in_b.sum()), only_a, only_b, p))
    result = pd.DataFrame(rows, columns=ARTIFACT_COLUMNS[:-1])
    result["p_fdr"] = adjust(result["p_value"].to_numpy(), "fdr_bh")
    return result
