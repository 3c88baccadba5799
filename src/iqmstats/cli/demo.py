"""``iqmstats demo``: the defacing study end to end on the bundled real data.

It runs the public path a user runs: read a blinded MRIQC tree -> unblind with the study's key
-> join the sites -> pair and compare (site as between factor) -> rate (S1) -> report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tqdm import tqdm

from .. import __version__
from ..blinding import read_key, unblind
from ..errors import OutputError
from ..examples import build_ixi_derivatives, example_path
from ..io import read_iqms
from ..io.ratings import read_ratings
from ..io.tables import read_participants
from ..pipeline import (
    analyse_ratings,
    compare_conditions,
    file_checksum,
    join_participants,
    write_comparison,
    write_ratings_analysis,
)
from ..report import write_report
from ..stats.multivariate import headline
from .common import unblind_ratings

CONDITIONS = ["original", "defaced"]
TOKENS = {"non_defaced": "original"}


def register(commands) -> None:
    demo = commands.add_parser(
        "demo",
        help="the defacing study end to end on the bundled real data (IXI, 579 participants)",
        description="Rebuild the study's blinded MRIQC outputs from the bundled data, then read, unblind, "
        "compare original vs defaced with site as between factor, analyse the raters' ratings and write "
        "one HTML report: the same path a user runs on their own data.",
    )
    demo.add_argument("--out", type=Path, default=Path("iqmstats-demo"), help="new folder for everything (default: iqmstats-demo)")
    demo.add_argument("--resamples", type=int, default=10_000, help="permutations and bootstrap resamples (default 10000)")
    demo.add_argument("--quiet", action="store_true", help="no progress display")
    demo.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")
    demo.set_defaults(run=_run_demo)


def _run_demo(args) -> int:
    out = args.out
    if out.exists() and any(out.iterdir()):
        raise OutputError(f"{out} exists and is not empty; choose a new folder with --out")
    key_path = example_path("ixi-key")
    steps = tqdm(total=6, unit="step", disable=True if args.quiet else None, file=sys.stderr,  # None: only on a terminal
                 bar_format="{desc:<42}{bar:20}{n}/{total}")
    steps.set_description("rebuilding the blinded MRIQC outputs")
    tree = build_ixi_derivatives(out / "mriqc")
    steps.update()
    steps.set_description("reading and unblinding 1158 images")
    key = read_key(key_path, conditions=TOKENS)
    table = join_participants(unblind(read_iqms(tree), key), read_participants(tree / "participants.tsv"))
    steps.update()
    steps.set_description("pairing and testing the IQMs")
    comparison = compare_conditions(table, conditions=CONDITIONS, between="site", permutations=args.resamples,
                                    bootstrap=args.resamples)
    inputs = {"input": str(tree), "sha256": file_checksum(tree), "key": str(key_path), "key_sha256": file_checksum(key_path)}
    write_comparison(comparison, out, inputs=inputs)
    steps.update()
    steps.set_description("analysing the ratings")
    ratings_path = example_path("ixi-ratings")
    ratings = read_ratings(ratings_path).data.drop(columns=["subject", "defaced"])  # the released answers: unblind instead
    analysis = analyse_ratings(unblind_ratings(ratings, key), conditions=CONDITIONS)
    write_ratings_analysis(analysis, out / "ratings", inputs={"input": str(ratings_path), "sha256": file_checksum(ratings_path),
                                                              "key": str(key_path), "key_sha256": file_checksum(key_path)})
    steps.update()
    steps.set_description("drawing the figures and the report")
    report = write_report(out)
    steps.update(2)
    steps.close()
    summary = _summary(comparison, analysis, report)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        _print(summary, comparison)
    return 0


def _summary(comparison, analysis, report: Path) -> dict:
    main = headline(comparison.multivariate)
    model = analysis.models.iloc[0]
    return {
        "iqmstats_version": __version__,
        "report": str(report),
        "participants": comparison.prepared.paired.n,
        "iqms_analysed": len(comparison.prepared.paired.iqms),
        "iqms_excluded": comparison.prepared.excluded[["iqm", "reason"]].to_dict("records"),
        "hotelling_t2": float(main["value"]), "f": float(main["f"]), "df1": float(main["df1"]), "df2": float(main["df2"]),
        "p_value": float(main["p_value"]), "p_permutation": float(main["p_resampled"]),
        "pairing_audit": comparison.audit["verdict"],
        "ratings_effect": float(model["estimate"]), "ratings_se": float(model["se"]), "ratings_p": float(model["p_value"]),
    }


def _print(summary: dict, comparison) -> None:
    excluded = comparison.prepared.excluded
    print(f"iqmstats {__version__}: the IXI defacing study (Provins et al. 2025), bundled real data")
    print(f"{summary['participants']} participants, original vs defaced, {summary['iqms_analysed']} IQMs analysed; "
          f"{len(excluded)} excluded:")
    for row in excluded.itertuples():
        print(f"  {row.iqm:<18} {row.reason:<14} {row.detail}")
    print(f"paired Hotelling T2 = {summary['hotelling_t2']:.4g}, F({summary['df1']:g}, {summary['df2']:g}) = "
          f"{summary['f']:.4g}, p = {summary['p_value']:.3g} (permutation p = {summary['p_permutation']:.3g}); "
          f"pairing audit: {summary['pairing_audit']}")
    print(f"ratings, original - defaced = {summary['ratings_effect']:.3f} (SE {summary['ratings_se']:.3f}), "
          f"p = {summary['ratings_p']:.3g}")
    print(f"report: {summary['report']}")
