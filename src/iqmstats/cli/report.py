"""``iqmstats report OUTDIR``: (re-)render the HTML report from an output folder."""

from __future__ import annotations

import sys
from pathlib import Path


def register(commands) -> None:
    report = commands.add_parser(
        "report",
        help="render report.html from the outputs of compare, ratings and/or power",
        description="Render OUTDIR/report.html and OUTDIR/figures/ from the tables compare (and ratings, power, in "
        "OUTDIR or OUTDIR/ratings, OUTDIR/power) wrote, read back with the types they were written with.",
    )
    report.add_argument("outdir", type=Path, help="a folder written by iqmstats compare, ratings or power")
    report.add_argument("--force", action="store_true", help="replace an existing report")
    report.set_defaults(run=_run_report)


def _run_report(args) -> int:
    from ..report import write_report
    from ..results import read_results
    from . import build_parser
    from .common import flag_form

    results = read_results(args.outdir)
    form = flag_form(*build_parser().commands.values())  # the summary advises the flags of the commands that wrote it
    print(
        f"report: {write_report(args.outdir / 'report.html', *results, overwrite=args.force, form=form)}",
        file=sys.stderr,
    )
    return 0
