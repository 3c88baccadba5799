"""The ``iqmstats`` command line: one sub-command per job.

Exit codes: 0 done, 1 input or analysis refused, 2 the command was used wrongly. A user error
prints one line (``iqmstats: error: ...``); ``--debug`` shows the traceback instead.

Examples
--------
>>> main(["read", "no/such/folder", "--out", "t.tsv"])
1
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .errors import IqmstatsError
from .examples import EXAMPLES, IXI_LABELS, load_example
from .io import PROVENANCE_COLUMNS, read_iqms
from .io.derivatives import PARALLEL_MIN_FILES
from .io.write import check_writable, write_json, write_tsv
from .pipeline import summarise_study


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error
        return int(exc.code or 0)
    try:
        return args.run(args)
    except IqmstatsError as exc:
        if args.debug:
            raise
        print(f"iqmstats: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("iqmstats: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iqmstats",
        description="Did an intervention change MRIQC's image quality metrics? Paired statistics, hard to misuse.",
    )
    parser.add_argument("--version", action="version", version=f"iqmstats {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    read = commands.add_parser(
        "read",
        help="read MRIQC outputs into one tidy TSV (+ JSON sidecar)",
        description="Read MRIQC IQMs from a derivatives folder, a JSON record, a group TSV or a CSV/TSV "
        "table into one tidy TSV with a JSON sidecar describing what was read, skipped and set aside.",
    )
    read.add_argument("input", type=Path, help="derivatives folder, .json record, or .tsv/.csv table")
    read.add_argument("--out", type=Path, required=True, help="TSV to write (a .json sidecar is written beside it)")
    read.add_argument("--modality", choices=["T1w", "T2w", "bold"], help="keep only images of this suffix")
    read.add_argument("--common-iqms", action="store_true", help="keep the IQMs all records share when MRIQC versions differ")
    read.add_argument("--on-invalid", choices=["raise", "skip"], default="raise", help="stop at, or leave out, invalid files/rows")
    read.add_argument("--jobs", type=int, help=f"worker processes (default: all cores from {PARALLEL_MIN_FILES} files)")
    read.add_argument("--force", action="store_true", help="replace the output files if they exist")
    read.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    read.set_defaults(run=_run_read)

    demo = commands.add_parser(
        "demo",
        help="summarise the bundled defacing study (IXI, 579 participants x original/defaced)",
        description="Load the defacing study's real IQMs bundled with iqmstats and print who is in it "
        "and which IQMs can be analysed, with the reason for each one dropped.",
    )
    demo.set_defaults(run=_run_demo)
    return parser


def _run_read(args) -> int:
    table = read_iqms(
        args.input,
        modality=args.modality,
        iqm_sets="common" if args.common_iqms else "strict",
        on_invalid=args.on_invalid,
        jobs=args.jobs,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    sidecar = args.out.with_suffix(".json")
    for path in (args.out, sidecar):  # refuse before writing anything
        check_writable(path, overwrite=args.force)
    write_tsv(table.data, args.out, overwrite=args.force)
    write_json(_read_provenance(table, args), sidecar, overwrite=args.force)
    if not args.quiet:
        print(table.describe(), file=sys.stderr)
        print(f"wrote {args.out} and {sidecar}", file=sys.stderr)
    return 0


def _read_provenance(table, args) -> dict:
    return {
        "iqmstats_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": ["iqmstats", *sys.argv[1:]],
        "source": table.source,
        "modality": table.modality,
        "n_images": len(table.data),
        "columns": {"identifiers": table.id_columns, "iqms": list(table.iqms), "provenance": list(PROVENANCE_COLUMNS)},
        "set_aside": list(table.set_aside),
        "sentinels": table.sentinels,
        "missing": table.missing,
        "skipped": table.skipped.to_dict("records"),
        "options": {"modality": args.modality, "common_iqms": args.common_iqms, "on_invalid": args.on_invalid},
    }


def _run_demo(args) -> int:
    table = load_example("ixi-iqms")
    summary = summarise_study(table, participant="sub", condition="defaced")
    screen = summary["screen"]
    conditions = ", ".join(f"{IXI_LABELS['defaced'][c]} {n}" for c, n in summary["conditions"].items())
    site_names = IXI_LABELS["site"]
    sites = ", ".join(f"{site_names[s]} {n}" for s, n in table.data["site"].value_counts().sort_index().items())
    print(f"iqmstats {__version__} demo: {EXAMPLES['ixi-iqms'].description}")
    print(table.describe())
    print(f"participants: {summary['n_participants']}; images per condition: {conditions}")
    print(f"images per site: {sites}")
    print(f"participants with an image under every condition: {summary['complete_participants']}")
    print(f"IQMs kept: {int(screen.kept.sum())} of {len(screen)}")
    dropped = screen[~screen.kept]
    print(f"IQMs dropped ({len(dropped)}):")
    for row in dropped.itertuples():
        print(f"  {row.iqm:<18} {row.reason:<14} {row.detail}")
    return 0
