"""Speed as a user feels it: whole ``iqmstats`` processes against their baselines, idle and busy.

One run measures, each as a separate process timed from launch to exit (start-up included):

- start-up: ``iqmstats --version`` and ``iqmstats --help`` against ``python -c "import numpy"``;
- compare: ``iqmstats compare S2_Data.csv ... --bootstrap 10000 --permutations 10000 --no-report``
  against the study's per-IQM ``scipy.stats.bootstrap`` loop alone (a script doing only that);
- power: ``iqmstats power`` with 1,000 simulated studies of n = 579 pairs (the 53 IQMs compare analyses);
- demo: ``iqmstats demo`` (the whole study, report included).

Then the same commands again beside one busy-loop process that this script starts and stops
(another user's job on a 2-core machine): each may slow by at most 2x. Also the in-process
figure of each job, and ``python -X importtime`` of ``import iqmstats``.

Usage: python benchmarks/bench_cli.py [--repeat 3] [--skip-demo]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import iqmstats

BIN = Path(sys.executable).parent
IQMSTATS = str(BIN / "iqmstats")
STUDY = str(iqmstats.example_path("ixi-iqms"))
KEY = str(iqmstats.example_path("ixi-key"))
PAIRED = [STUDY, "--key", KEY, "--map", "non_defaced=original", "--conditions", "original,defaced"]

BOOTSTRAP_LOOP = f"""
import numpy as np, pandas as pd
from scipy import stats
study = pd.read_csv({STUDY!r})
study = study.replace(-1.0, np.nan)  # fber's sentinel
iqms = [c for c in study.columns if c not in ("bids_name", "sub", "defaced", "site")]
a = study[study.defaced == 0].set_index("sub").sort_index()[iqms]
b = study[study.defaced == 1].set_index("sub").sort_index()[iqms]
for iqm in iqms:
    d = (a[iqm] - b[iqm]).dropna().to_numpy()
    if np.ptp(d) > 0:
        stats.bootstrap((d,), np.mean, n_resamples=10_000, method="percentile", rng=np.random.default_rng(0))
"""


def busy_loop() -> None:  # another user's job: one core kept busy
    while True:
        pass


def run(command: list[str], folder: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr}")
    return elapsed


def best(command_of, repeat: int) -> float:
    """The fastest of ``repeat`` runs (each in a fresh folder)."""
    times = []
    for _ in range(repeat):
        folder = Path(tempfile.mkdtemp(prefix="bench_cli_"))
        try:
            times.append(run(command_of(folder), folder))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return min(times)


def jobs(skip_demo: bool) -> dict:
    python = sys.executable
    table = {
        "python -c 'import numpy' (start-up floor)": lambda f: [python, "-c", "import numpy"],
        "iqmstats --version": lambda f: [IQMSTATS, "--version"],
        "iqmstats --help": lambda f: [IQMSTATS, "--help"],
        "baseline: scipy.stats.bootstrap per IQM (the study's loop alone)": lambda f: [python, "-c", BOOTSTRAP_LOOP],
        "iqmstats compare S2 (10,000 bootstraps and permutations, no report)": lambda f: [
            IQMSTATS,
            "compare",
            *PAIRED,
            "--out",
            str(f / "out"),
            "--no-report",
            "--quiet",
        ],
        "iqmstats power (1,000 studies of n = 579, 53 IQMs)": lambda f: [
            IQMSTATS,
            "power",
            *PAIRED,
            "--n",
            "579",
            "--delta",
            "0,0.002",
            "--simulations",
            "1000",
            "--out",
            str(f / "power"),
            "--no-report",
            "--quiet",
        ],
    }
    if not skip_demo:
        table["iqmstats demo (whole study, report included)"] = lambda f: [
            IQMSTATS,
            "demo",
            "--out",
            str(f / "demo"),
            "--quiet",
        ]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per command; the fastest counts")
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    table = jobs(args.skip_demo)
    idle = {name: best(command, args.repeat if "demo" not in name else 1) for name, command in table.items()}
    noise = multiprocessing.Process(target=busy_loop, daemon=True)
    noise.start()
    try:
        busy = {name: best(command, args.repeat if "demo" not in name else 1) for name, command in table.items()}
    finally:
        noise.terminate()
        noise.join()
    print(
        f"iqmstats {iqmstats.__version__}, Python {platform.python_version()}, {os.cpu_count()} cores, {date.today()}"
    )
    print("whole processes, launch to exit, fastest of the runs; 'busy': beside one busy-loop process\n")
    print("| command | idle (s) | busy (s) | busy / idle |")
    print("|---|---|---|---|")
    for name in table:
        print(f"| {name} | {idle[name]:.2f} | {busy[name]:.2f} | {busy[name] / idle[name]:.2f} |")
    floor = idle["python -c 'import numpy' (start-up floor)"]
    version = idle["iqmstats --version"]
    loop = idle["baseline: scipy.stats.bootstrap per IQM (the study's loop alone)"]
    compare = idle["iqmstats compare S2 (10,000 bootstraps and permutations, no report)"]
    print(f"\n--version takes {version / floor:.2f}x the start-up floor (target: within 2x);")
    print(
        f"compare, whole process, is {loop / compare:.1f}x faster than the bootstrap loop alone (target: at least 5x)."
    )


if __name__ == "__main__":
    main()
