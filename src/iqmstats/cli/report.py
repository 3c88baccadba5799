"""``iqmstats report OUTDIR``: (re-)render the HTML report from an output folder's tables."""

from __future__ import annotations

import sys
from pathlib import Path

from ..report import write_report


def register(commands) -> None:
    report = commands.add_parser(
        "report",
        help="render report.html from the outputs of compare and/or ratings",
        description="Render OUTDIR/report.html and OUTDIR/figures/ from the TSVs that compare (and ratings, in "
        "OUTDIR or OUTDIR/ratings) wrote. Only the folder is read, so the report shows the files' numbers.",
    )
    report.add_argument("outdir", type=Path, help="a folder written by iqmstats compare or ratings")
    report.add_argument("--force", action="store_true", help="replace an existing report")
    report.set_defaults(run=_run_report)


def _run_report(args) -> int:
    print(f"report: {write_report(args.outdir, overwrite=args.force)}", file=sys.stderr)
    return 0
