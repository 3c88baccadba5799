"""How fast is reading N per-image MRIQC JSONs? iqmstats against baselines, in one run.

Writes N realistic files (the real example T1w JSON with jittered IQM values) in the study's
blinded layout ``sub-<id>/ses-V1/anat/sub-<id>_ses-V1_run-1_T1w.json`` and times, on a warm
page cache:

- floor: walk the tree and read every file's bytes (no parsing);
- seed: the defacing notebook's loop: ``json.load`` per file, drop non-IQM keys, and map the
  blinded id back with its linear ``get_key`` scans of the blinding key and position dict;
- json_normalize: ``json.load`` + ``pandas.json_normalize`` per file, concatenated;
- iqmstats: ``read_iqms`` serial (``jobs=1``) and with the default worker processes.

The slow baselines get a time budget: past it they are timed on the first files only (with the
full-size key, so each lookup costs what it costs at N) and their rate is reported as measured.

Usage: python benchmarks/bench_ingest.py [--sizes 1000 10000 100000] [--budget 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import iqmstats
from iqmstats.io.derivatives import walk_files

TEMPLATE = Path(__file__).resolve().parents[1] / "tests" / "data" / "sub-0001_T1w.json"
NON_IQM = ("bids_meta", "provenance", "size_x", "size_y", "size_z", "spacing_x", "spacing_y", "spacing_z")


def write_tree(root: Path, n: int, seed: int = 0) -> tuple[dict, dict]:
    """Write n blinded JSONs; return the seed-style blinding key and position dict."""
    template = json.loads(TEMPLATE.read_text())
    rng = np.random.default_rng(seed)
    iqm_keys = [k for k in template if k not in NON_IQM]
    for i in range(n):
        record = dict(template)
        for key, factor in zip(iqm_keys, rng.uniform(0.9, 1.1, len(iqm_keys))):
            record[key] = template[key] * float(factor)
        folder = root / f"sub-{i}" / "ses-V1" / "anat"
        folder.mkdir(parents=True)
        (folder / f"sub-{i}_ses-V1_run-1_T1w.json").write_text(json.dumps(record, indent=2))
    ids = list(range(n))
    random.Random(seed).shuffle(ids)
    participants = [f"P{p:07d}" for p in range(n // 2 + 1)]
    blind = {}
    for j, blinded in enumerate(ids):
        blind[f"{participants[j // 2]}_{'non_defaced' if j % 2 == 0 else 'pydeface'}"] = blinded
    return blind, {str(pos): name for pos, name in enumerate(participants)}


def floor(root: Path, _budget) -> int:
    """The least any reader must do: find the files (the fastest walk we know) and read them."""
    count = 0
    for rel in walk_files(str(root)):
        with open(os.path.join(root, rel), "rb") as handle:
            handle.read()
        count += 1
    return count


def get_key(my_dict, val):  # verbatim logic of the seed notebook
    for key, value in my_dict.items():
        if val == value:
            return key


def seed_loop(root: Path, budget, blind, positions) -> int:
    n_sub = len(positions)
    iqms_original = np.zeros((n_sub, 62))
    iqms_defaced = np.zeros((n_sub, 62))
    start = time.perf_counter()
    for s in range(len(blind)):
        with open(root / f"sub-{s}" / "ses-V1" / "anat" / f"sub-{s}_ses-V1_run-1_T1w.json") as json_file:
            iqms = json.load(json_file)
            iqms_keys = [k for k in iqms if k not in NON_IQM]
        sub = get_key(blind, s)
        pos = int(get_key(positions, sub[0:8]))
        target = iqms_original if "non_deface" in sub else iqms_defaced
        for i, key in enumerate(iqms_keys):
            target[pos, i] = iqms[key]
        if time.perf_counter() - start > budget:
            return s + 1
    return len(blind)


def normalize_loop(root: Path, budget) -> int:
    frames, start = [], time.perf_counter()
    for folder, _, files in sorted(os.walk(root)):
        for name in files:
            with open(os.path.join(folder, name)) as handle:
                frames.append(pd.json_normalize(json.load(handle)))
            if time.perf_counter() - start > budget:
                pd.concat(frames)
                return len(frames)
    pd.concat(frames)
    return len(frames)


def count_iqmstats(root: Path, jobs) -> int:
    return len(iqmstats.read_iqms(root, jobs=jobs).data)


def timed(function, *args) -> tuple[float, int]:
    start = time.perf_counter()
    done = function(*args)
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per slow baseline before it stops")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    print(f"iqmstats {iqmstats.__version__}, {os.cpu_count()} cores; warm page cache; files/s (higher is better)\n")
    print("| N | approach | files timed | seconds | files/s | x floor time | speed-up vs seed |")
    print("|---|---|---|---|---|---|---|")
    for n in args.sizes:
        root = Path(tempfile.mkdtemp(dir=args.workdir, prefix=f"bench_ingest_{n}_"))
        try:
            blind, positions = write_tree(root, n)
            floor(root, None)  # warm the page cache once for every approach
            runs = {
                "floor (walk + read bytes)": timed(floor, root, None),
                "seed notebook loop (json.load + get_key)": timed(seed_loop, root, args.budget, blind, positions),
                "json.load + json_normalize loop": timed(normalize_loop, root, args.budget),
                "iqmstats read_iqms, jobs=1": timed(count_iqmstats, root, 1),
                "iqmstats read_iqms (default jobs)": timed(count_iqmstats, root, None),
            }
            rates = {name: done / seconds for name, (seconds, done) in runs.items()}
            floor_rate, seed_rate = (
                rates["floor (walk + read bytes)"],
                rates["seed notebook loop (json.load + get_key)"],
            )
            for name, (seconds, done) in runs.items():
                print(
                    f"| {n:,} | {name} | {done:,} | {seconds:.2f} | {rates[name]:,.0f} | "
                    f"{floor_rate / rates[name]:.1f} | {rates[name] / seed_rate:.1f} |"
                )
        finally:
            shutil.rmtree(root)


if __name__ == "__main__":
    main()
