"""Simulation-based power for the paired design, so a Stage-1 report can justify its n.

Each simulated study resamples ``n`` distinct participants from real reference measures (a
bootstrap, not a normal approximation), builds their second condition, applies the effect, and
runs the tests of ``compare`` on all the simulated studies at once: Hotelling's T^2 on the
differences (:func:`~iqmstats.stats.multivariate.hotelling_t2`, the core of
``paired_hotelling``), the paired t-test of each measure (as ``per_iqm_tests``), uncorrected and
Holm-corrected across measures ("any IQM"), and with a margin TOST (as ``equivalence_tests``).

The second condition: with paired pilot data, each resampled participant brings its own real
difference between conditions (centred); without, it is ``mu + rho (x_i - mu) + sqrt(1 - rho^2)
(x_j - mu)`` with x_j another resampled participant, which keeps the reference's marginal
distributions and gives a within-pair correlation rho. Either null difference gets a random
sign, so the null holds exactly (the symmetry the sign-flip permutation test assumes).
The effect is a shift of ``delta`` reference SDs of each shifted IQM (first minus second
condition), or with ``multiplicative`` a change of the second condition by a factor 1 + delta.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> reference = rng.normal(size=(200, 3))
>>> table = simulate_power(reference, n_values=[30], deltas=[0.0, 0.5], simulations=400, within_correlation=0.8)
>>> table[table.test == "hotelling"][["delta", "type_i"]].values.tolist()
[[0.0, 'calibrated'], [0.5, '']]
>>> bool(table.query("test == 'hotelling' and delta == 0.5").power.item() > 0.9)
True
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from ..errors import InsufficientDataError, Param, ParameterError, did_you_mean
from ..parallel import one_blas_thread, pool
from .distributions import t_sf, t_two_sided
from .multivariate import hotelling_f, hotelling_t2

POWER_COLUMNS = ["test", "n", "delta", "power", "ci_lower", "ci_upper", "simulations", "alpha", "type_i"]
_CHUNK_VALUES = 4_000_000  # simulations x n x p per chunk: bounds memory


def simulate_power(
    reference: np.ndarray,
    *,
    n_values,
    deltas,
    names=None,
    shifted=None,
    differences: np.ndarray | None = None,
    within_correlation: float = 0.9,
    multiplicative: bool = False,
    margin: float | None = None,
    alpha: float = 0.05,
    simulations: int = 1000,
    seed: int = 0,
    jobs: int | None = 1,
) -> pd.DataFrame:
    """Power per test, n and delta (columns :data:`POWER_COLUMNS`).

    ``reference`` is participants x measures (complete, full rank); ``differences`` (same shape
    and rows) are paired pilot differences first - second. ``shifted`` names the measures the
    effect moves (default: all). ``power`` is the share of simulated studies with p < ``alpha``,
    with a Wilson 95% Monte-Carlo interval; at delta = 0 it is the type-I error, and ``type_i``
    says whether it lies within 3 Monte-Carlo standard errors of alpha ('calibrated') or below
    ('conservative') or above ('liberal'). Family-wise procedures ("any IQM (Holm)") are expected
    to be conservative when the measures correlate. With ``n`` <= the number of measures,
    Hotelling's test is reported 'not testable' and the per-measure tests still run.

    With a ``margin`` (in reference SDs, as ``compare``'s), also the power of TOST to show each
    measure equivalent (``TOST: <measure>``) and all of them (``TOST: all (Holm)``); at a true
    shift equal to the margin that rate is TOST's type-I error, classified like the others.

    Each (n, delta) cell has its own random stream (spawned from ``seed``), so the numbers do
    not depend on ``jobs``, the worker processes the cells are spread over (default 1; None:
    every core when the work is large enough to pay for starting them).
    """
    x = np.asarray(reference, dtype=float)
    participants, p = x.shape
    names = list(names) if names is not None else [f"iqm{j}" for j in range(p)]
    if np.isnan(x).any():
        raise InsufficientDataError("the reference has missing values: prepare the measures first")
    if differences is not None and np.shape(differences) != x.shape:
        raise ParameterError("the pilot differences must have the reference's shape (same participants, same measures)")
    unknown = [name for name in (shifted or ()) if name not in names]
    if unknown:
        raise ParameterError(
            f"{{0}}: {unknown[0]!r} is not a measure of the reference. {did_you_mean(unknown[0], names)}",
            Param("shift", list(shifted)),
        )
    too_many = [n for n in n_values if n > participants]
    if too_many:
        raise InsufficientDataError(
            f"{{0}}: n = {too_many[0]} exceeds the {participants} participants of the reference. Simulated studies "
            "would then repeat participants, which inflates every test's type-I error: plan at most "
            f"{participants} pairs, or give a larger reference",
            Param("n", list(n_values)),
        )
    mask = np.ones(p, dtype=bool) if shifted is None else np.isin(names, list(shifted))
    centred = None if differences is None else np.asarray(differences, float) - np.mean(differences, axis=0)
    cells = [(n, delta) for n in n_values for delta in deltas]
    seeds = np.random.SeedSequence(seed).spawn(len(cells))
    shared = dict(
        x=x,
        centred=centred,
        mask=mask,
        names=names,
        multiplicative=multiplicative,
        rho=within_correlation,
        margin=margin,
        alpha=alpha,
        simulations=simulations,
    )
    tasks = [{**shared, "n": n, "delta": delta, "seed": cell_seed} for (n, delta), cell_seed in zip(cells, seeds)]
    workload = simulations * sum(n for n, _ in cells) * p
    workers = jobs or ((os.cpu_count() or 1) if workload > 2e7 else 1)
    with pool(min(workers, len(tasks))) as cells_pool:
        counts = list(cells_pool.map(_power_cell, tasks))
    rows = []
    for task, rejected in zip(tasks, counts):
        if "hotelling" not in rejected:  # no more pairs than measures: Hotelling's test cannot run
            reason = f"not testable: n = {task['n']} pairs for {p} measures (needs n > {p})"
            rows.append(("hotelling", task["n"], task["delta"], np.nan, np.nan, np.nan, simulations, alpha, reason))
        for test, count in rejected.items():
            low, high = proportion_confint(count, simulations, alpha=0.05, method="wilson")
            at_null = (
                task["delta"] == 0
                if not test.startswith("TOST")
                else (
                    margin is not None
                    and not multiplicative
                    and task["delta"] == margin
                    and (test == "TOST: all (Holm)" or mask[names.index(test.removeprefix("TOST: "))])
                )
            )
            verdict = _calibration(count / simulations, alpha, simulations) if at_null else ""
            rows.append((test, task["n"], task["delta"], count / simulations, low, high, simulations, alpha, verdict))
    return pd.DataFrame(rows, columns=POWER_COLUMNS)


def _power_cell(task: dict) -> dict:
    """Rejection counts of every test over the simulated studies of one (n, delta)."""
    x, names, n, alpha = task["x"], task["names"], task["n"], task["alpha"]
    participants, p = x.shape
    rng = np.random.default_rng(task["seed"])
    sd, mu = x.std(axis=0, ddof=1), x.mean(axis=0)
    rejected: dict[str, int] = {
        **({"hotelling": 0} if n > p else {}),
        "any IQM (Holm)": 0,
        **{f"t: {name}": 0 for name in names},
    }
    if task["margin"] is not None:
        rejected.update({f"TOST: {name}": 0 for name in names}, **{"TOST: all (Holm)": 0})
    chunk = max(1, _CHUNK_VALUES // (n * max(p, participants // n)))
    with one_blas_thread():
        for start in range(0, task["simulations"], chunk):
            size = min(chunk, task["simulations"] - start)
            first, d = _simulated_studies(
                x,
                task["centred"],
                mu,
                sd,
                task["mask"],
                n,
                size,
                task["delta"],
                task["multiplicative"],
                task["rho"],
                rng,
            )
            if n > p:
                _, p_hotelling = hotelling_f(hotelling_t2(d), n, p)
                rejected["hotelling"] += int(np.sum(p_hotelling < alpha))
            bias, se = d.mean(axis=1), d.std(axis=1, ddof=1) / np.sqrt(n)
            p_t = t_two_sided(bias / se, n - 1)  # size x p, as per_iqm_tests
            for j, name in enumerate(names):
                rejected[f"t: {name}"] += int(np.sum(p_t[:, j] < alpha))
            rejected["any IQM (Holm)"] += int(np.sum(_holm_any(p_t, alpha)))
            if task["margin"] is not None:
                bound = task["margin"] * first.std(axis=1, ddof=1)
                p_tost = np.maximum(t_sf((bias + bound) / se, n - 1), t_sf((bound - bias) / se, n - 1))
                for j, name in enumerate(names):
                    rejected[f"TOST: {name}"] += int(np.sum(p_tost[:, j] < alpha))
                rejected["TOST: all (Holm)"] += int(np.sum(_holm_all(p_tost, alpha)))
    return rejected


def _calibration(rate: float, alpha: float, simulations: int) -> str:
    """'calibrated' when the type-I error is within 3 Monte-Carlo SEs of alpha, else the side."""
    tolerance = 3 * np.sqrt(alpha * (1 - alpha) / simulations)
    if abs(rate - alpha) <= tolerance:
        return "calibrated"
    return "conservative" if rate < alpha else "liberal"


def _participants(population: int, n: int, size: int, rng) -> np.ndarray:
    """``size`` draws of ``n`` distinct participants (duplicated rows would shrink a sample's
    effective size and inflate every test's type-I error)."""
    if n * n > 2 * population:  # a duplicate in most draws (the birthday problem): shuffle the reference
        return np.argsort(rng.random((size, population)), axis=1)[:, :n]
    draws = rng.integers(0, population, size=(size, n))  # duplicates are rare: redraw the studies that have one
    while (repeated := (np.diff(np.sort(draws, axis=1), axis=1) == 0).any(axis=1)).any():
        draws[repeated] = rng.integers(0, population, size=(int(repeated.sum()), n))
    return draws


def _simulated_studies(x, centred, mu, sd, mask, n, size, delta, multiplicative, rho, rng):
    """The first condition and first minus second for ``size`` studies of ``n`` resampled participants.

    The null part of each participant's difference gets a random sign, so it is symmetric about
    zero, the assumption of the permutation test, whatever participants were drawn."""
    rows = _participants(len(x), n, size, rng)
    first = x[rows]
    if centred is not None:
        noise = centred[rows]
    else:
        others = x[_participants(len(x), n, size, rng)]
        noise = (1 - rho) * (first - mu) - np.sqrt(1 - rho**2) * (others - mu)
    signs = rng.choice([-1.0, 1.0], size=(size, n, 1))
    second = first - signs * noise
    if multiplicative:
        return first, first - second * np.where(mask, 1 + delta, 1.0)
    return first, first - second + np.where(mask, delta * sd, 0.0)


def _holm_any(p_values: np.ndarray, alpha: float) -> np.ndarray:
    """Whether Holm's procedure rejects at least one hypothesis, per row: min p < alpha / m."""
    return np.min(p_values, axis=1) < alpha / p_values.shape[1]


def _holm_all(p_values: np.ndarray, alpha: float) -> np.ndarray:
    """Whether Holm's procedure rejects every hypothesis, per row: the i-th smallest p (from 0)
    is below alpha / (m - i) for every i."""
    m = p_values.shape[1]
    return np.all(np.sort(p_values, axis=1) < alpha / (m - np.arange(m)), axis=1)


def power_rows(power: pd.DataFrame, margin: float | None = None) -> pd.DataFrame:
    """The rows of a power table whose rate is power (see :func:`smallest_n`), not a type-I error."""
    tost = power["test"].str.startswith("TOST")
    inside = power["delta"] == 0 if margin is None else power["delta"].abs() < margin
    return power[np.where(tost, inside, power["delta"] != 0)]


def smallest_n(power: pd.DataFrame, target: float = 0.8, margin: float | None = None) -> pd.DataFrame:
    """Per test and delta, the smallest simulated n whose power reaches ``target`` (NaN: none).

    Power means detecting a change for the difference tests (delta != 0) and showing equivalence
    for TOST: delta 0, and with a ``margin`` (in the deltas' units) every delta inside it; at or
    beyond the margin TOST's rate is an error rate, not power.

    >>> grid = pd.DataFrame({"test": ["hotelling"] * 2 + ["TOST: all (Holm)"] * 2, "n": [20, 40] * 2,
    ...                      "delta": [0.5] * 4, "power": [0.6, 0.9, 0.1, 0.2]})
    >>> smallest_n(grid, margin=0.6)[["test", "smallest_n"]].values.tolist()
    [['hotelling', 40], ['TOST: all (Holm)', <NA>]]
    """
    wanted = power_rows(power, margin)
    found = wanted[wanted["power"] >= target].groupby(["test", "delta"])["n"].min()
    grid = wanted[["test", "delta"]].drop_duplicates()
    summary = grid.merge(found.rename("smallest_n").reset_index(), how="left").assign(target=target)
    return summary.astype({"smallest_n": "Int64"})


def simulate_rating_power(
    variances: dict,
    *,
    n_values,
    biases,
    raters: int,
    mean: float = 3.0,
    alpha: float = 0.05,
    simulations: int = 200,
    seed: int = 0,
    jobs: int | None = None,
) -> pd.DataFrame:
    """Power of the ratings' mixed model to detect a rating bias, by simulation (rows of
    :data:`POWER_COLUMNS`, test ``ratings LME (LRT)``, ``delta`` = the bias in rating points).

    Each simulated study: n participants, each rated once under each of two conditions by every
    one of ``raters`` raters; rating = mean + bias x [first condition] + participant + rater +
    residual, normal with the ``variances`` (keys ``participant``, ``rater``, ``residual``:
    e.g. the pilot's fit by :func:`iqmstats.stats.ratings.rating_models`). Every study is fitted
    with the same code as ``iqmstats ratings`` (ML fits of the models with and without
    condition, likelihood-ratio test), in ``jobs`` worker processes of one BLAS thread each: about
    0.1 s per study of 60 participants x 4 raters, 0.6 s at 120, on one core.
    """
    if simulations < 10 or raters < 2:
        raise ParameterError("the ratings power needs at least 10 simulations and 2 raters")
    seeds = np.random.SeedSequence(seed).spawn(len(n_values) * len(biases))
    tasks = [
        (n, bias, raters, mean, dict(variances), simulations, seed)
        for (n, bias), seed in zip(((n, b) for n in n_values for b in biases), seeds)
    ]
    with pool(min(jobs or os.cpu_count() or 1, len(tasks))) as workers:
        p_values = list(workers.map(_rating_study_p_values, tasks))
    rows = []
    for (n, bias, *_), ps in zip(tasks, p_values):
        count = int(np.sum(np.asarray(ps) < alpha))
        low, high = proportion_confint(count, simulations, alpha=0.05, method="wilson")
        verdict = _calibration(count / simulations, alpha, simulations) if bias == 0 else ""
        rows.append(("ratings LME (LRT)", n, bias, count / simulations, low, high, simulations, alpha, verdict))
    return pd.DataFrame(rows, columns=POWER_COLUMNS)


def _rating_study_p_values(task) -> list[float]:
    from .ratings import likelihood_ratio_test

    n, bias, raters, mean, variances, simulations, seed = task
    rng = np.random.default_rng(seed)
    participant = np.repeat(np.arange(n), raters * 2)
    rater = np.tile(np.repeat(np.arange(raters), 2), n)
    effect = np.tile([1.0, 0.0], n * raters)
    frame = pd.DataFrame({"participant": participant.astype(str), "rater": rater.astype(str), "effect": effect})
    p_values = []
    for _ in range(simulations):
        rating = (
            mean
            + bias * effect
            + rng.normal(0, np.sqrt(variances["participant"]), n)[participant]
            + rng.normal(0, np.sqrt(variances["rater"]), raters)[rater]
            + rng.normal(0, np.sqrt(variances["residual"]), len(effect))
        )
        p_values.append(likelihood_ratio_test(frame.assign(rating=rating), crossed=True)[2])
    return p_values
