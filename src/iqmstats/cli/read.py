"""``iqmstats read``: MRIQC outputs in, one tidy TSV and its JSON sidecar out."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__
from ..io import PROVENANCE_COLUMNS, read_iqms
from ..io.derivatives import PARALLEL_MIN_FILES
from ..io.write import check_writable, write_json, write_tsv


def register(commands) -> None:
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
