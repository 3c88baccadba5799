"""How fast are the statistics of ``iqmstats compare``? Against the baselines, in one run.

Workload (the issue's): n = 579 pairs, 58 IQMs, correlated, with a small condition effect.
- per-IQM table with 10,000 bootstrap resamples, against ``scipy.stats.bootstrap`` called once
  per IQM (what the defacing study did), percentile method, same resample count;
- paired Hotelling T^2 with 10,000 sign-flip permutations, against a plain loop that refits
  T^2 (covariance + solve) for every permutation (timed on 1,000 and scaled by 10);
- WTS/MATS with 10,000 parametric-bootstrap draws on 9 components x 3 sites (the study's
  final design: ``multRM(PC1 + ... + PC9 ~ site * defaced)``), and on all 58 IQMs without sites.
Then n = 100,000 pairs: the same calls, their time and peak memory.

Usage: python benchmarks/bench_stats.py
"""

from __future__ import annotations

import os
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd
from scipy import stats

import iqmstats
from iqmstats.stats.multivariate import paired_hotelling
from iqmstats.stats.univariate import bootstrap_mean_interval, per_iqm_tests
from iqmstats.stats.wts_mats import wts_mats

RESAMPLES = 10_000


def workload(n: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(p, p)) / np.sqrt(p)
    original = rng.normal(size=(n, p)) @ mixing * rng.uniform(1e-3, 1e3, size=p)
    defaced = original + (rng.normal(size=(n, p)) * 0.3 + 0.05) @ mixing * rng.uniform(1e-3, 1e3, size=p)
    names = [f"iqm{j:02d}" for j in range(p)]
    return pd.DataFrame(original, columns=names), pd.DataFrame(defaced, columns=names), rng.integers(0, 3, n)


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def naive_permutation_loop(d: np.ndarray, permutations: int, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    n = len(d)

    def t2(x):
        mean = x.mean(axis=0)
        return n * mean @ np.linalg.solve(np.cov(x, rowvar=False), mean)

    observed = t2(d)
    count = sum(t2(d * rng.choice([-1.0, 1.0], size=(n, 1))) >= observed for _ in range(permutations))
    return (1 + count) / (1 + permutations)


def scipy_bootstrap_per_iqm(d: np.ndarray) -> None:
    for j in range(d.shape[1]):
        stats.bootstrap((d[:, j],), np.mean, n_resamples=RESAMPLES, method="percentile", random_state=j)


def main() -> None:
    print(f"iqmstats {iqmstats.__version__}, {os.cpu_count()} cores, {RESAMPLES:,} resamples everywhere\n")
    a, b, sites = workload(579, 58)
    d = (a - b).to_numpy()
    rows = []
    seconds, _ = timed(per_iqm_tests, a, b, bootstrap=RESAMPLES)
    rows.append(("per-IQM table (t, Wilcoxon, Bland-Altman, bootstrap CIs, dz CIs), 58 IQMs", seconds))
    baseline, _ = timed(scipy_bootstrap_per_iqm, d)
    rows.append(("  baseline: scipy.stats.bootstrap per IQM, 58 calls (bootstrap CIs only)", baseline))
    ours, _ = timed(bootstrap_mean_interval, d, RESAMPLES, 0.95, 0)
    rows.append(("  iqmstats bootstrap CIs alone, all 58 IQMs at once", ours))
    seconds, _ = timed(paired_hotelling, d, permutations=RESAMPLES)
    rows.append(("paired Hotelling T2 + 10,000 sign-flip permutations, 58 IQMs", seconds))
    loop, _ = timed(naive_permutation_loop, d, 1000)
    rows.append(("  baseline: refit T2 per permutation (1,000 timed, x10)", loop * 10))
    components = np.stack([a.to_numpy()[:, :9], b.to_numpy()[:, :9]], axis=1)
    seconds, _ = timed(wts_mats, components, sites, factor="site", resamples=RESAMPLES)
    rows.append(("WTS/MATS, 9 components x 3 sites, 10,000 parametric-bootstrap draws", seconds))
    seconds, _ = timed(wts_mats, np.stack([a.to_numpy(), b.to_numpy()], axis=1), resamples=RESAMPLES)
    rows.append(("WTS/MATS, all 58 IQMs, one group, 10,000 draws", seconds))
    print("| n = 579 pairs | seconds |\n|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} |")
    total = rows[0][1] + rows[3][1] + rows[5][1]
    print(
        f"\nper-IQM table + permutation test + WTS/MATS (study design): {total:.2f} s; "
        f"bootstrap CIs {baseline / ours:.0f}x faster than scipy per IQM; "
        f"permutations {loop * 10 / rows[3][1]:.0f}x faster than the refit loop\n"
    )

    print(
        "| n pairs | per-IQM table | Hotelling + permutations | WTS/MATS (9 x 3 sites) | peak memory (tracemalloc) | max RSS |"
    )
    print("|---|---|---|---|---|---|")
    for n in (10_000, 100_000):
        a, b, sites = workload(n, 58, seed=1)
        d = (a - b).to_numpy()
        components = np.stack([a.to_numpy()[:, :9], b.to_numpy()[:, :9]], axis=1)
        tracemalloc.start()
        t_table, _ = timed(per_iqm_tests, a, b, bootstrap=RESAMPLES)
        t_perm, _ = timed(paired_hotelling, d, permutations=RESAMPLES)
        t_wts, _ = timed(wts_mats, components, sites, factor="site", resamples=RESAMPLES)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"| {n:,} | {t_table:.1f} s | {t_perm:.1f} s | {t_wts:.1f} s | {peak / 2**20:,.0f} MiB | {rss:,.0f} MiB |"
        )


if __name__ == "__main__":
    main()
