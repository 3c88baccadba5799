"""How fast is the power simulation? Vectorised across studies against a plain loop, in one run.

Workload: 1,000 simulated studies of n = 579 pairs (the issue's 580 exceeds the reference, which
simulate_power refuses), 58 IQMs, paired Hotelling plus a paired t-test per IQM, resampling a
579-participant reference. The baseline loop builds each
study the same way and calls the public functions ``paired_hotelling`` (no permutations) and
``per_iqm_tests`` (no bootstrap) on it; it is timed on 50 studies and scaled to 1,000 (it also
computes the Wilcoxon tests and effect-size CIs the simulation does not need).

Usage: python benchmarks/bench_power.py
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

import iqmstats
from iqmstats.stats.multivariate import paired_hotelling
from iqmstats.stats.power import simulate_power
from iqmstats.stats.univariate import per_iqm_tests

SIMULATIONS, N, P = 1000, 579, 58


def reference(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(P, P)) / np.sqrt(P)
    return (rng.normal(size=(579, P)) @ mixing) * rng.uniform(1e-3, 1e3, size=P)


def plain_loop(x: np.ndarray, studies: int, rho: float = 0.9, seed: int = 1) -> int:
    rng = np.random.default_rng(seed)
    mu = x.mean(axis=0)
    rejected = 0
    for _ in range(studies):
        first = x[rng.integers(0, len(x), N)]
        second = mu + rho * (first - mu) + np.sqrt(1 - rho**2) * (x[rng.integers(0, len(x), N)] - mu)
        a, b = pd.DataFrame(first), pd.DataFrame(second)
        rejected += paired_hotelling(a - b, permutations=0).p_value.iloc[0] < 0.05
        per_iqm_tests(a, b, bootstrap=0)
    return rejected


def main() -> None:
    x = reference()
    print(f"iqmstats {iqmstats.__version__}, {os.cpu_count()} cores; {SIMULATIONS:,} studies of n = {N}, {P} IQMs\n")
    start = time.perf_counter()
    simulate_power(x, n_values=[N], deltas=[0.0], simulations=SIMULATIONS)
    vectorised = time.perf_counter() - start
    start = time.perf_counter()
    plain_loop(x, 50)
    loop = (time.perf_counter() - start) * SIMULATIONS / 50
    print("| approach | seconds for 1,000 studies |\n|---|---|")
    print(f"| iqmstats simulate_power (vectorised across studies) | {vectorised:.1f} |")
    print(f"| plain loop over paired_hotelling + per_iqm_tests (50 timed, x20) | {loop:.0f} |")
    print(f"\n{loop / vectorised:.0f}x faster (target: 1,000 studies in under 30 s)")


if __name__ == "__main__":
    main()
