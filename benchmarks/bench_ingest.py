"""How fast is reading and unblinding N per-image MRIQC JSONs, as a user runs it? In one run:

Writes N realistic files (the real example T1w JSON with jittered IQM values) in the study's
blinded layout ``sub-<id>/ses-V1/anat/sub-<id>_ses-V1_run-1_T1w.json`` with a pilot-format key
(``{"P0000001_non_defaced": <blinded id>, ...}``), then times whole processes, launch to exit,
on a warm page cache, with their peak memory (``/usr/bin/time``):

- floor: a plain Python process that walks the tree (``os.scandir``) and reads every file's
  bytes (no parsing, no imports);
- seed: the defacing notebook's loop in its own process: ``json.load`` per file, drop non-IQM
  keys, map the blinded id back with its linear ``get_key`` scans of the key;
- ``iqmstats read TREE --out t.tsv`` and ``iqmstats unblind TREE --key key.json --out t.tsv``.

The seed loop is quadratic; past ``--budget`` seconds it stops and its time for all N files is
extrapolated from the files it did (each lookup scans the full-size key, so a file costs what it
costs at N). Then the phases of ``unblind`` in-process: walk, walk + parse + table (``read``),
unblind join, TSV writing.

Usage: python benchmarks/bench_ingest.py [--sizes 50000 200000] [--budget 60]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

import iqmstats
from iqmstats.io.derivatives import walk_files

TEMPLATE = Path(__file__).resolve().parents[1] / "tests" / "data" / "sub-0001_T1w.json"
NON_IQM = ("bids_meta", "provenance", "size_x", "size_y", "size_z", "spacing_x", "spacing_y", "spacing_z")
IQMSTATS = str(Path(sys.executable).parent / "iqmstats")

FLOOR = """
import os, sys
folders = [sys.argv[1]]
while folders:
    with os.scandir(folders.pop()) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry.path)
            else:
                with open(entry.path, "rb") as handle:
                    handle.read()
"""

SEED = f"""
import json, sys, time
import numpy as np
root, key_file, budget = sys.argv[1], sys.argv[2], float(sys.argv[3])
NON_IQM = {NON_IQM!r}
blind = json.load(open(key_file))
def get_key(my_dict, val):  # verbatim logic of the seed notebook
    for key, value in my_dict.items():
        if val == value:
            return key
n_sub = len(blind) // 2
iqms_original, iqms_defaced = np.zeros((n_sub, 62)), np.zeros((n_sub, 62))
start = time.perf_counter()
for s in range(len(blind)):
    with open(f"{{root}}/sub-{{s}}/ses-V1/anat/sub-{{s}}_ses-V1_run-1_T1w.json") as json_file:
        iqms = json.load(json_file)
        iqms_keys = [k for k in iqms if k not in NON_IQM]
    sub = get_key(blind, s)
    pos = int(sub[1:8])
    target = iqms_original if "non_deface" in sub else iqms_defaced
    for i, key in enumerate(iqms_keys):
        target[pos, i] = iqms[key]
    if time.perf_counter() - start > budget:
        break
print(s + 1, time.perf_counter() - start)
"""


def write_tree(root: Path, n: int, seed: int = 0) -> Path:
    """Write n blinded JSONs under ``root/tree`` and the pilot-format key; return the key's path."""
    template = json.loads(TEMPLATE.read_text())
    rng = np.random.default_rng(seed)
    iqm_keys = [k for k in template if k not in NON_IQM]
    for i in range(n):
        record = dict(template)
        for key, factor in zip(iqm_keys, rng.uniform(0.9, 1.1, len(iqm_keys))):
            record[key] = template[key] * float(factor)
        folder = root / "tree" / f"sub-{i}" / "ses-V1" / "anat"
        folder.mkdir(parents=True)
        (folder / f"sub-{i}_ses-V1_run-1_T1w.json").write_text(json.dumps(record, indent=2))
    ids = list(range(n))
    random.Random(seed).shuffle(ids)
    key = {f"P{j // 2:07d}_{'non_defaced' if j % 2 == 0 else 'pydeface'}": blinded for j, blinded in enumerate(ids)}
    (root / "key.json").write_text(json.dumps(key))
    return root / "key.json"


def process(command: list[str]) -> tuple[float, float, str]:
    """(seconds, peak resident MB, stdout) of one process, launch to exit."""
    report = tempfile.NamedTemporaryFile(suffix=".time", delete=False).name
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report, *command], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr}")
    peak = int(Path(report).read_text().split()[-1]) / 1024
    os.unlink(report)
    return seconds, peak, done.stdout


def phases(tree: Path, key: Path, out: Path) -> dict[str, float]:
    """In-process seconds of each phase of ``iqmstats unblind`` (start-up excluded)."""
    found = {}
    start = time.perf_counter()
    files = sum(1 for _ in walk_files(str(tree)))
    found["walk the tree"] = time.perf_counter() - start
    start = time.perf_counter()
    table = iqmstats.read(tree)
    found["walk + parse + build the table (read)"] = time.perf_counter() - start
    start = time.perf_counter()
    unblinded = iqmstats.unblind(table, key)
    found["load the key, unblind, join"] = time.perf_counter() - start
    start = time.perf_counter()
    unblinded.write(out)
    found["write the TSV and its sidecar"] = time.perf_counter() - start
    assert files == len(table.data) == len(unblinded.data)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 200_000])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds before the seed loop stops")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    print(f"iqmstats {iqmstats.__version__}, {os.cpu_count()} cores, {date.today()}; warm page cache")
    print("whole processes, launch to exit; peak resident memory from /usr/bin/time\n")
    print("| N | process | seconds | x floor | speed-up vs seed | peak MB |")
    print("|---|---|---|---|---|---|")
    profiles = {}
    for n in args.sizes:
        root = Path(tempfile.mkdtemp(dir=args.workdir, prefix=f"bench_ingest_{n}_"))
        try:
            key = write_tree(root, n)
            tree = root / "tree"
            process([sys.executable, "-c", FLOOR, str(tree)])  # warm the page cache for every process
            floor = process([sys.executable, "-c", FLOOR, str(tree)])
            seed_seconds, seed_peak, printed = process(
                [sys.executable, "-c", SEED, str(tree), str(key), str(args.budget)]
            )
            done, looped = printed.split()
            seed_total = seed_seconds - float(looped) + float(looped) * n / int(done)
            runs = {
                "floor: walk + read bytes (python)": floor[:2],
                "seed notebook loop" + ("" if int(done) == n else f" (extrapolated from {int(done):,} files)"): (
                    seed_total,
                    seed_peak,
                ),
                "iqmstats read": process([IQMSTATS, "read", str(tree), "--out", str(root / "read.tsv")])[:2],
                "iqmstats unblind": process(
                    [IQMSTATS, "unblind", str(tree), "--key", str(key), "--out", str(root / "unblinded.tsv")]
                )[:2],
            }
            for name, (seconds, peak) in runs.items():
                print(
                    f"| {n:,} | {name} | {seconds:.1f} | {seconds / floor[0]:.1f} | {seed_total / seconds:.1f} | "
                    f"{peak:,.0f} |"
                )
            profiles[n] = phases(tree, key, root / "profile.tsv")
        finally:
            shutil.rmtree(root)
    start = process([IQMSTATS, "--version"])[0]
    print("\nphases of unblind, in-process (seconds)\n")
    print("| phase | " + " | ".join(f"N = {n:,}" for n in profiles) + " |")
    print("|---|" + "---|" * len(profiles))
    print("| start-up (iqmstats --version, a process) | " + " | ".join(f"{start:.2f}" for _ in profiles) + " |")
    for phase in next(iter(profiles.values())):
        print(f"| {phase} | " + " | ".join(f"{profile[phase]:.2f}" for profile in profiles.values()) + " |")


if __name__ == "__main__":
    main()
