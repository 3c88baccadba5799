"""Multivariate tests of a condition effect on IQMs, paired and (for the record) unpaired.

Every function returns rows of one schema, :data:`MULTIVARIATE_COLUMNS`. Inputs are first
checked to be full rank (prepare them with :func:`iqmstats.stats.prepare_iqms`); columns are
scaled before any inversion and every test is invariant to rescaling an IQM, so raw scales
10 orders of magnitude apart do not matter. A test the data cannot support (too few
participants for the measures) raises :class:`InsufficientDataError`; :func:`not_testable`
turns the reason into the rows the test would have written. Checked against R 4.2
(``anova.mlm``, ``summary.manova``, ``car::Anova``): ``tests/stats/reference/reference.R``; the
general linear hypothesis statistics also against statsmodels' ``MANOVA``.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> d = rng.normal(loc=[0.3, 0.0, 0.1], size=(40, 3))
>>> result = paired_hotelling(d, permutations=999)
>>> row = result.set_index("statistic").loc["hotelling_t2"]
>>> round(float(row.value), 3), int(row.df1), int(row.df2), round(float(row.p_value), 4)
(12.995, 3, 37, 0.013)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InsufficientDataError, ParameterError
from .distributions import f_sf
from .univariate import adjust

#: Column contract of ``multivariate.tsv`` (README); columns may be added, never renamed.
#: ``note`` says why a test could not run ('not testable: ...'), empty otherwise.
MULTIVARIATE_COLUMNS = [
    "test",
    "design",
    "effect",
    "statistic",
    "value",
    "f",
    "df1",
    "df2",
    "p_value",
    "p_resampled",
    "n_resamples",
    "n",
    "n_iqms",
    "note",
]
#: |R_ii| below this share of the largest means the covariance is numerically singular.
SINGULAR_TOLERANCE = 1e-10
#: Eigenvalues of (E + H)^-1 H below this are zero (as statsmodels).
EIGENVALUE_TOLERANCE = 1e-8


def not_testable(test: str, design: str, effect: str, statistic: str, *, n: int, p: int, reason: str) -> pd.DataFrame:
    """The row of a test that could not run: its identity, n, the number of measures and why."""
    return pd.DataFrame(
        [
            (
                test,
                design,
                effect,
                statistic,
                np.nan,
                np.nan,
                np.nan,
                np.nan,
                np.nan,
                np.nan,
                0,
                n,
                p,
                f"not testable: {reason}",
            )
        ],
        columns=MULTIVARIATE_COLUMNS,
    )


def paired_hotelling(differences, *, permutations: int = 10_000, seed: int = 0, effect: str = "A - B") -> pd.DataFrame:
    """Hotelling's T^2 test that the mean of the paired differences (n x p) is zero.

    T^2 = n dbar' S^-1 dbar; F = (n - p) / (p (n - 1)) T^2 ~ F(p, n - p) exactly under
    multivariate normality. With two conditions the repeated-measures MANOVA has one hypothesis
    degree of freedom and its four statistics are functions of T^2: Wilks = 1 / (1 + T^2/(n-1)),
    Pillai = 1 - Wilks, Hotelling-Lawley = Roy = T^2 / (n - 1), all with the same F and p. The
    effect size is the Mahalanobis distance D = sqrt(dbar' S^-1 dbar). ``p_resampled`` is a
    sign-flip permutation p-value (each participant's difference vector flipped at random,
    ``permutations`` times; (1 + count) / (1 + permutations)), valid without normality when
    the differences are symmetric about zero under the null.
    """
    d = np.asarray(differences, dtype=float)
    n, p = d.shape
    _check_shape(n, p, needed=p + 1, what="pairs")
    scaled = d / _column_scale(d)
    _triangular_factor(scaled - scaled.mean(axis=0), names=_names(differences))  # refuses a singular covariance
    t2 = float(hotelling_t2(d))
    mahalanobis2 = t2 / n
    f, p_value = (float(x) for x in hotelling_f(t2, n, p))
    p_resampled = _sign_flip_p(scaled, permutations, seed) if permutations else np.nan
    lam = 1 / (1 + t2 / (n - 1))
    values = {
        "hotelling_t2": t2,
        "wilks": lam,
        "pillai": 1 - lam,
        "hotelling_lawley": t2 / (n - 1),
        "roy": t2 / (n - 1),
        "mahalanobis_d": np.sqrt(mahalanobis2),
    }
    rows = [
        (
            "hotelling_paired",
            "paired (repeated measures)",
            effect,
            name,
            value,
            f,
            p,
            n - p,
            p_value,
            p_resampled,
            permutations,
            n,
            p,
            "",
        )
        for name, value in values.items()
    ]
    return pd.DataFrame(rows, columns=MULTIVARIATE_COLUMNS)


def headline(multivariate: pd.DataFrame) -> pd.Series:
    """The row a summary reports: Hotelling's T^2 of the paired test (of the omnibus test with
    three or more conditions); None when there is none. A 'not testable' row has a ``note``."""
    rows = multivariate[
        multivariate["test"].isin(["hotelling_paired", "hotelling_omnibus"])
        & (multivariate["statistic"] == "hotelling_t2")
    ]
    return rows.iloc[0] if len(rows) else None


def hotelling_t2(differences: np.ndarray) -> np.ndarray:
    """T^2 = n dbar' S^-1 dbar of differences shaped (..., n, p): one study, or a stack of
    simulated studies at once. Columns are scaled and S is inverted through a QR factor, so raw
    IQM scales do not matter. No rank check: :func:`paired_hotelling` makes it."""
    d = np.asarray(differences, dtype=float)
    n = d.shape[-2]
    scale = d.std(axis=-2, ddof=1, keepdims=True)
    scaled = d / np.where(scale > 0, scale, 1.0)
    mean = scaled.mean(axis=-2)
    r = np.linalg.qr(scaled - mean[..., None, :], mode="r")
    whitened = np.linalg.solve(np.swapaxes(r, -1, -2), mean[..., None])[..., 0] * np.sqrt(n - 1)
    return n * np.sum(whitened**2, axis=-1)


def hotelling_f(t2, n: int, p: int):
    """The exact F(p, n - p) of T^2 and its p-value."""
    f = (n - p) / (p * (n - 1)) * np.asarray(t2)
    return f, f_sf(f, p, n - p)


def preregistered_manova(values, conditions) -> pd.DataFrame:
    """The seed's pre-registered MANOVA, made runnable: IQMs ~ condition on stacked rows.

    statsmodels' MANOVA on one row per image, condition as a between-subject factor. It ignores
    that the rows come in pairs of one participant, so it is labelled as such in every output;
    use :func:`paired_hotelling` for the test that respects the design.
    """
    y = np.asarray(values, dtype=float)
    labels = pd.Series(np.asarray(conditions)).astype(str)
    levels = sorted(labels.unique())
    n, p = y.shape
    _check_shape(n, p, needed=p + len(levels), what="images")
    _triangular_factor(y - y.mean(axis=0), names=_names(values))
    exog = np.column_stack([np.ones(n)] + [(labels == level).to_numpy(float) for level in levels[1:]])
    table = _mv_test(y, exog, {"condition": np.eye(exog.shape[1])[1:]})
    return _rows(table, test="manova_preregistered", design="independent groups (ignores the pairing)", n=n, p=p)


def between_manova(values: np.ndarray, groups, *, factor: str = "between") -> pd.DataFrame:
    """Two conditions x a between-participant factor (e.g. site), doubly multivariate.

    With D = A - B and M = (A + B) / 2 per participant (n x p each) and the factor effect-coded
    (sum to zero): the condition effect is the intercept of D, the interaction the factor's
    coefficients on D, and the factor's main effect its coefficients on M. Wilks, Pillai,
    Hotelling-Lawley and Roy with their F approximations (statsmodels). The condition effect
    averages the levels unweighted (type III), as car's type III and MANOVA.RM do. Values and F
    agree with R's ``car::Anova(type = 3)`` and ``summary.manova``, except the F of
    Hotelling-Lawley's trace for effects with several degrees of freedom: statsmodels uses
    McKeon's (1974) approximation, R the Pillai-Samson one. Effects are named ``condition``, ``<factor>`` and ``<factor>:condition``.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 3 or values.shape[1] != 2:
        raise ParameterError("between_manova needs values of shape (participants, 2 conditions, IQMs)")
    labels = pd.Series(np.asarray(groups)).astype(str)
    levels = sorted(labels.unique())
    if len(levels) < 2:
        raise InsufficientDataError(f"the between factor has {len(levels)} level; it needs two or more")
    n, _, p = values.shape
    _check_shape(n, p, needed=p + len(levels), what="participants")
    coding = np.column_stack(
        [(labels == level).to_numpy(float) - (labels == levels[-1]).to_numpy(float) for level in levels[:-1]]
    )
    exog = np.column_stack([np.ones(n), coding])
    contrasts = np.eye(exog.shape[1])
    condition, between, interaction = "condition", factor, f"{factor}:condition"
    d, m = values[:, 0] - values[:, 1], values.mean(axis=1)
    rows = [
        _rows(
            _mv_test(d, exog, {condition: contrasts[:1], interaction: contrasts[1:]}),
            test="manova_between",
            design=f"repeated measures x between factor ({len(levels)} levels)",
            n=n,
            p=p,
        ),
        _rows(
            _mv_test(m, exog, {between: contrasts[1:]}),
            test="manova_between",
            design=f"repeated measures x between factor ({len(levels)} levels)",
            n=n,
            p=p,
        ),
    ]
    return pd.concat(rows, ignore_index=True)


def repeated_measures(values: np.ndarray, conditions, *, permutations: int = 10_000, seed: int = 0) -> pd.DataFrame:
    """Two or more conditions: the omnibus within-participant test and every pairwise paired test.

    With two conditions this is :func:`paired_hotelling` of first minus second.
    The omnibus test is Hotelling's T^2 on the k - 1 contrasts (first condition minus each other)
    of all IQMs stacked (doubly multivariate repeated-measures MANOVA; df p (k - 1)). Pairwise
    tests are :func:`paired_hotelling` for every pair, with Holm's correction across pairs in
    ``p_value`` of rows whose ``test`` is ``hotelling_pairwise``.
    """
    values = np.asarray(values, dtype=float)
    conditions = list(conditions)
    n, k, p = values.shape
    if k != len(conditions) or k < 2:
        raise ParameterError("values must be (participants, conditions, IQMs) with two or more conditions")
    if k == 2:
        return paired_hotelling(
            values[:, 0] - values[:, 1],
            permutations=permutations,
            seed=seed,
            effect=f"{conditions[0]} - {conditions[1]}",
        )
    contrasts = (values[:, :1] - values[:, 1:]).reshape(n, -1)
    omnibus = paired_hotelling(contrasts, permutations=permutations, seed=seed, effect="condition")
    omnibus["test"], omnibus["design"], omnibus["n_iqms"] = (
        "hotelling_omnibus",
        f"repeated measures ({k} conditions)",
        p,
    )
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    pairwise = [
        paired_hotelling(
            values[:, i] - values[:, j],
            permutations=permutations,
            seed=seed,
            effect=f"{conditions[i]} - {conditions[j]}",
        )
        for i, j in pairs
    ]
    holm = adjust(np.array([table["p_value"].iloc[0] for table in pairwise]), "holm")
    for table, p_holm in zip(pairwise, holm):
        table["test"], table["p_value"] = "hotelling_pairwise", p_holm
        table["design"] = "paired, Holm-corrected across pairs"
    return pd.concat([omnibus, *pairwise], ignore_index=True)


def _names(values) -> list[str] | None:
    return list(values.columns) if isinstance(values, pd.DataFrame) else None


class TooFewForMeasures(InsufficientDataError):
    """Too few participants for the number of measures: fewer measures (or components) would do."""


def _check_shape(n: int, p: int, *, needed: int, what: str) -> None:
    if n < needed:
        raise TooFewForMeasures(f"{n} {what} for {p} measures; this test needs at least {needed} {what}")


def _column_scale(x: np.ndarray) -> np.ndarray:
    scale = x.std(axis=0, ddof=1)
    return np.where(scale > 0, scale, 1.0)


def _triangular_factor(centred: np.ndarray, *, names=None) -> np.ndarray:
    """R of the QR of centred, scaled columns (S = R'R / (n - 1)); refuse a singular S."""
    scaled = centred / _column_scale(centred)
    r = np.linalg.qr(scaled, mode="r")
    diagonal = np.abs(np.diag(r))
    weak = np.flatnonzero(diagonal <= SINGULAR_TOLERANCE * diagonal.max())
    if weak.size:
        which = ", ".join(names[j] for j in weak[:5]) if names else f"column(s) {', '.join(map(str, weak[:5]))}"
        raise InsufficientDataError(
            f"the covariance of the measures is singular ({which} add nothing to the others); prepare the measures "
            "(iqmstats.stats.prepare_iqms drops dependent ones), reduce them to principal components, or analyse fewer"
        )
    return np.asarray(r * _column_scale(centred))  # undo the scaling: R of the centred input


def _sign_flip_p(d: np.ndarray, permutations: int, seed: int) -> float:
    """Sign-flip permutation p of T^2, vectorised over permutations.

    Flipping signs leaves M = D'D / n unchanged, and T^2 is increasing in q = dbar' M^-1 dbar
    (T^2 = (n - 1) q / (1 - q), Sherman-Morrison), so each permutation costs one product of
    its sign vector with the whitened differences.
    """
    n = len(d)
    r = np.linalg.qr(d, mode="r") / np.sqrt(n)  # M = R'R
    whitened = np.linalg.solve(r.T, d.T).T  # rows w_i with dbar' M^-1 dbar = |mean(w_i)|^2
    observed = np.sum(whitened.mean(axis=0) ** 2)
    rng = np.random.default_rng(seed)
    chunk = max(1, min(permutations, 2_000_000 // n))
    exceed = 0
    for start in range(0, permutations, chunk):
        size = min(chunk, permutations - start)
        signs = rng.integers(0, 2, size=(size, n), dtype=np.int8) * 2 - 1
        q = np.sum((signs @ whitened / n) ** 2, axis=1)
        exceed += int(np.sum(q >= observed * (1 - 1e-12)))
    return (1 + exceed) / (1 + permutations)


def _mv_test(y: np.ndarray, exog: np.ndarray, hypotheses: dict) -> dict:
    """The multivariate general linear hypothesis L B = 0 of Y = X B + E, for each named L:
    Wilks, Pillai, Hotelling-Lawley and Roy from the eigenvalues of (E + H)^-1 H, with the F
    approximations statsmodels' ``MANOVA.mv_test`` uses (Rao for Wilks; McKeon for
    Hotelling-Lawley when (v - p - 1) / 2 > 0, else Pillai-Samson). Columns are scaled first."""
    y = y / _column_scale(y)
    n, k = exog.shape
    df_resid = n - k
    coefficients = np.linalg.lstsq(exog, y, rcond=None)[0]
    residuals = y - exog @ coefficients
    error = residuals.T @ residuals
    inverse = np.linalg.pinv(exog.T @ exog)
    tables = {}
    for name, contrast in hypotheses.items():
        estimate = contrast @ coefficients
        middle = contrast @ inverse @ contrast.T
        hypothesis = estimate.T @ np.linalg.solve(middle, estimate)
        total = error + hypothesis
        theta = np.sort(np.real(np.linalg.eigvals(np.linalg.solve(total, hypothesis))))
        tables[name] = _statistics(
            theta[theta > EIGENVALUE_TOLERANCE], np.linalg.matrix_rank(total), np.linalg.matrix_rank(middle), df_resid
        )
    return tables


def _statistics(theta: np.ndarray, p: int, q: int, v: int) -> list[tuple]:
    """(statistic, value, F, df1, df2, p) of the four tests from the eigenvalues theta of
    (E + H)^-1 H (lambda = theta / (1 - theta) are those of E^-1 H)."""
    lam = theta / (1 - theta)
    s, m, half = min(p, q), (abs(p - q) - 1) / 2, (v - p - 1) / 2
    rows = []
    wilks = float(np.prod(1 - theta))
    t = np.sqrt((p * p * q * q - 4) / (p * p + q * q - 5)) if p * p + q * q - 5 > 0 else 1.0
    df1: float = p * q
    df2: float = (v - (p - q + 1) / 2) * t - 2 * (p * q - 2) / 4
    root = wilks ** (1 / t)
    rows.append(("wilks", wilks, (1 - root) / root * df2 / df1, df1, df2))
    pillai = float(theta.sum())
    df1, df2 = s * (2 * m + s + 1), s * (2 * half + s + 1)
    rows.append(("pillai", pillai, df2 / df1 * pillai / (s - pillai), df1, df2))
    lawley = float(lam.sum())
    if half > 0:
        b = (p + 2 * half) * (q + 2 * half) / 2 / (2 * half + 1) / (half - 1)
        df1, df2 = p * q, 4 + (p * q + 2) / (b - 1)
        rows.append(("hotelling_lawley", lawley, df2 / df1 * lawley / ((df2 - 2) / 2 / half), df1, df2))
    else:
        df1, df2 = s * (2 * m + s + 1), s * (s * half + 1)
        rows.append(("hotelling_lawley", lawley, df2 / df1 / s * lawley, df1, df2))
    roy = float(lam.max()) if len(lam) else 0.0
    r = max(p, q)
    rows.append(("roy", roy, (v - r + q) / r * roy, r, v - r + q))
    return [(name, value, f, df1, df2, float(f_sf(f, df1, df2))) for name, value, f, df1, df2 in rows]


def _rows(tables: dict, *, test: str, design: str, n: int, p: int) -> pd.DataFrame:
    rows = []
    for effect, table in tables.items():
        for statistic, value, f, df1, df2, p_value in table:
            rows.append(
                (
                    test,
                    design,
                    effect,
                    statistic,
                    float(value),
                    float(f),
                    float(df1),
                    float(df2),
                    p_value,
                    np.nan,
                    0,
                    n,
                    p,
                    "",
                )
            )
    return pd.DataFrame(rows, columns=MULTIVARIATE_COLUMNS)
