"""``iqmstats read``: MRIQC outputs in, one tidy TSV and its JSON sidecar out."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import api_arguments, names, option, progress_wanted


def register(commands) -> None:
    read = commands.add_parser(
        "read",
        help="read MRIQC outputs into one tidy TSV (+ JSON sidecar)",
        description="Read MRIQC IQMs from a derivatives folder, a JSON record, a group TSV or a CSV/TSV "
        "table into one tidy TSV with a JSON sidecar describing what was read, skipped and set aside.",
    )
    option(read, dest="path", type=Path, metavar="INPUT", help="derivatives folder, .json record, or .tsv/.csv table")
    read.add_argument("--out", type=Path, required=True, help="TSV to write (a .json sidecar is written beside it)")
    option(read, "--modality", dest="modality", choices=["T1w", "T2w", "bold"])
    option(
        read,
        "--measures",
        dest="measures",
        type=names,
        metavar="A,B,...",
        help="read these columns of a table as measures (any numeric columns)",
    )
    option(read, "--common-iqms", dest="common_iqms", action="store_true")
    option(
        read,
        "--on-invalid",
        dest="on_invalid",
        choices=["raise", "skip"],
        help="stop at (default), or leave out and list, invalid files and rows",
    )
    option(read, "--jobs", dest="jobs", type=int, help="worker processes (default: all cores for large folders)")
    read.add_argument("--force", action="store_true", help="replace the output files if they exist")
    read.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    read.set_defaults(run=_run_read)


def _run_read(args) -> int:
    from ..api import read

    given = api_arguments(args)
    table = read(given.pop("path"), progress=progress_wanted(args), **given)
    paths = table.write(args.out, overwrite=args.force)
    if not args.quiet:
        print(table.describe(), file=sys.stderr)
        print(f"wrote {paths[0]} and {paths[1]}", file=sys.stderr)
    return 0
