"""Simulation-based power for the paired design, so a Stage-1 report can justify its n.

Each simulated study resamples ``n`` participants from real reference IQMs (a bootstrap, not a
normal approximation; distinct participants whenever the reference has n of them), builds their second condition, applies the effect, and runs the tests of
``compare`` on all the simulated studies at once: Hotelling's T^2 on the differences
(:func:`~iqmstats.stats.multivariate.hotelling_t2`, the core of ``paired_hotelling``) and the
paired t-test of each IQM (``scipy.stats.ttest_rel``, as ``per_iqm_tests``), uncorrected and
Holm-corrected across IQMs ("any IQM").

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
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from ..errors import InsufficientDataError, ParameterError, did_you_mean
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
    alpha: float = 0.05,
    simulations: int = 1000,
    random_state: int = 0,
) -> pd.DataFrame:
    """Power per test, n and delta (columns :data:`POWER_COLUMNS`).

    ``reference`` is participants x IQMs (complete, full rank); ``differences`` (same shape and
    rows) are paired pilot differences first - second. ``shifted`` names the IQMs the effect
    moves (default: all). ``power`` is the share of simulated studies with p < ``alpha``, with a
    Wilson 95% Monte-Carlo interval; at delta = 0 it is the type-I error, and ``type_i`` says
    whether it lies within 3 Monte-Carlo standard errors of alpha ('calibrated') or below
    ('conservative') or above ('liberal'). Family-wise procedures ("any IQM (Holm)") are expected
    to be conservative when the IQMs correlate.
    """
    x = np.asarray(reference, dtype=float)
    participants, p = x.shape
    names = list(names) if names is not None else [f"iqm{j}" for j in range(p)]
    if np.isnan(x).any():
        raise InsufficientDataError("the reference has missing values: prepare the IQMs first")
    if not 0 < alpha < 1 or simulations < 10 or not -1 < within_correlation < 1:
        raise ParameterError("alpha must be in (0, 1), simulations >= 10, within_correlation in (-1, 1)")
    if differences is not None and np.shape(differences) != x.shape:
        raise ParameterError("the pilot differences must have the reference's shape (same participants, same IQMs)")
    mask = np.ones(p, dtype=bool) if shifted is None else np.isin(names, list(shifted))
    if not mask.any():
        first = list(shifted)[0]
        raise ParameterError(f"none of the IQMs to shift ({', '.join(shifted)}) is in the reference. {did_you_mean(first, names)}")
    centred = None if differences is None else np.asarray(differences, float) - np.mean(differences, axis=0)
    rng = np.random.default_rng(random_state)
    sd, mu = x.std(axis=0, ddof=1), x.mean(axis=0)
    rows = []
    for n in n_values:
        if n <= p:
            raise InsufficientDataError(f"n = {n} pairs for {p} IQMs: Hotelling's test needs n > p; plan more participants")
        for delta in deltas:
            rejected = {"hotelling": 0, "any IQM (Holm)": 0, **{f"t: {name}": 0 for name in names}}
            chunk = max(1, _CHUNK_VALUES // (n * max(p, participants // n)))
            for start in range(0, simulations, chunk):
                size = min(chunk, simulations - start)
                d = _simulated_differences(x, centred, mu, sd, mask, n, size, delta, multiplicative, within_correlation, rng)
                _, p_hotelling = hotelling_f(hotelling_t2(d), n, p)
                rejected["hotelling"] += int(np.sum(p_hotelling < alpha))
                p_t = stats.ttest_rel(d, np.zeros_like(d), axis=1).pvalue  # size x p, as per_iqm_tests
                for j, name in enumerate(names):
                    rejected[f"t: {name}"] += int(np.sum(p_t[:, j] < alpha))
                rejected["any IQM (Holm)"] += int(np.sum(_holm_any(p_t, alpha)))
            for test, count in rejected.items():
                low, high = proportion_confint(count, simulations, alpha=0.05, method="wilson")
                verdict = _calibration(count / simulations, alpha, simulations) if delta == 0 else ""
                rows.append((test, n, delta, count / simulations, low, high, simulations, alpha, verdict))
    return pd.DataFrame(rows, columns=POWER_COLUMNS)


def _calibration(rate: float, alpha: float, simulations: int) -> str:
    """'calibrated' when the type-I error is within 3 Monte-Carlo SEs of alpha, else the side."""
    tolerance = 3 * np.sqrt(alpha * (1 - alpha) / simulations)
    if abs(rate - alpha) <= tolerance:
        return "calibrated"
    return "conservative" if rate < alpha else "liberal"


def _participants(population: int, n: int, size: int, rng) -> np.ndarray:
    """``size`` draws of ``n`` participants: distinct ones whenever the reference has enough
    (duplicated rows shrink a sample's effective size and inflate every test's type-I error)."""
    if n > population:
        return rng.integers(0, population, size=(size, n))
    if 10 * n > population:  # a large share of the reference: shuffle it
        return np.argsort(rng.random((size, population)), axis=1)[:, :n]
    draws = rng.integers(0, population, size=(size, n))  # a small share: redraw the rare studies with a duplicate
    while (repeated := (np.diff(np.sort(draws, axis=1), axis=1) == 0).any(axis=1)).any():
        draws[repeated] = rng.integers(0, population, size=(int(repeated.sum()), n))
    return draws


def _simulated_differences(x, centred, mu, sd, mask, n, size, delta, multiplicative, rho, rng) -> np.ndarray:
    """First minus second condition for ``size`` studies of ``n`` resampled participants.

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
        return first - second * np.where(mask, 1 + delta, 1.0)
    return first - second + np.where(mask, delta * sd, 0.0)


def _holm_any(p_values: np.ndarray, alpha: float) -> np.ndarray:
    """Whether Holm's procedure rejects at least one hypothesis, per row: min p < alpha / m."""
    return np.min(p_values, axis=1) < alpha / p_values.shape[1]


def smallest_n(power: pd.DataFrame, target: float = 0.8) -> pd.DataFrame:
    """Per test and delta > 0, the smallest simulated n whose power reaches ``target`` (NaN: none)."""
    reached = power[(power["delta"] != 0) & (power["power"] >= target)]
    found = reached.groupby(["test", "delta"])["n"].min()
    grid = power[power["delta"] != 0][["test", "delta"]].drop_duplicates()
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
    random_state: int = 0,
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
    seeds = np.random.SeedSequence(random_state).spawn(len(n_values) * len(biases))
    tasks = [(n, bias, raters, mean, dict(variances), simulations, seed)
             for (n, bias), seed in zip(((n, b) for n in n_values for b in biases), seeds)]
    workers = jobs or os.cpu_count() or 1
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_one_blas_thread) if workers > 1 else _Serial()
    with pool:
        p_values = list(pool.map(_rating_study_p_values, tasks))
    rows = []
    for (n, bias, *_), ps in zip(tasks, p_values):
        count = int(np.sum(np.asarray(ps) < alpha))
        low, high = proportion_confint(count, simulations, alpha=0.05, method="wilson")
        verdict = _calibration(count / simulations, alpha, simulations) if bias == 0 else ""
        rows.append(("ratings LME (LRT)", n, bias, count / simulations, low, high, simulations, alpha, verdict))
    return pd.DataFrame(rows, columns=POWER_COLUMNS)


def _one_blas_thread() -> None:
    """Workers share the cores: several BLAS threads each would fight (a 5x slowdown measured)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


class _Serial:
    """The map of a process pool, in this process (one worker)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, function, items):
        return map(function, items)


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
        rating = (mean + bias * effect
                  + rng.normal(0, np.sqrt(variances["participant"]), n)[participant]
                  + rng.normal(0, np.sqrt(variances["rater"]), raters)[rater]
                  + rng.normal(0, np.sqrt(variances["residual"]), len(effect)))
        p_values.append(likelihood_ratio_test(frame.assign(rating=rating), crossed=True)[2])
    return p_values
