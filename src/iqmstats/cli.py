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
from .blinding import audit, blind_datasets, read_key, unblind
from .blinding.blind import CONDITION_ENTITIES, LINK_MODES
from .blinding.scrub import DEFAULT_SCRUB_FIELDS
from .errors import IqmstatsError, ParameterError
from .examples import EXAMPLES, IXI_LABELS, load_example
from .io import PROVENANCE_COLUMNS, read_iqms
from .io.derivatives import PARALLEL_MIN_FILES
from .io.tables import is_iqm_table, read_plain_table
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

    _add_blinding_commands(commands)

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


def _add_blinding_commands(commands) -> None:
    blind = commands.add_parser(
        "blind",
        help="make a blinded BIDS dataset and its key",
        description="Give every image a random id so raters cannot match one person's images across "
        "conditions. One SOURCE dataset per condition (in --conditions order), or one SOURCE whose "
        "condition is the acq- or rec- entity (--condition-entity). The key is written first, with "
        "permissions 0600, outside the blinded dataset, and never over an existing file.",
    )
    blind.add_argument("sources", type=Path, nargs="+", metavar="SOURCE", help="BIDS dataset(s)")
    blind.add_argument("--conditions", required=True, help="condition names, comma-separated (e.g. original,defaced)")
    blind.add_argument("--out", type=Path, required=True, help="the blinded dataset to create (new or empty folder)")
    blind.add_argument("--key", type=Path, required=True, help="the key file to create (outside --out)")
    blind.add_argument("--condition-entity", choices=CONDITION_ENTITIES, help="the entity naming the condition")
    blind.add_argument("--repeat", type=int, default=0, help="present N random participants twice (rater consistency)")
    blind.add_argument("--seed", type=int, help="make the draw reproducible (default: cryptographic, not reproducible)")
    blind.add_argument("--link", choices=LINK_MODES, default="copy",
                       help="copy (default; scrubs headers and sidecars); hardlink/symlink leak the originals")
    blind.add_argument("--allow-leaky-links", action="store_true", help="required with --link hardlink|symlink")
    blind.add_argument("--scrub", default="", help="more sidecar fields to remove, comma-separated")
    blind.add_argument("--keep", default="", help="sidecar fields to keep although removed by default, comma-separated")
    blind.set_defaults(run=_run_blind)

    check = commands.add_parser(
        "audit",
        help="find ways a rater could break the blinding of a dataset",
        description="Report symlinks, hard links, header text, and (with --key) original ids in names, "
        "contents and headers, identifying sidecar fields, and images of one participant with the same "
        "size or content under two conditions. Exit 1 when anything is found.",
    )
    check.add_argument("dataset", type=Path, help="the blinded dataset")
    check.add_argument("--key", type=Path, help="its key (any format iqmstats reads)")
    check.set_defaults(run=_run_audit)

    back = commands.add_parser(
        "unblind",
        help="map records made on blinded data back to participant and condition",
        description="Add participant, condition and presentation to MRIQC outputs (a folder of JSONs, a "
        "group TSV) or any table with a column of blinded ids. Key formats: iqmstats' own, the pilot's "
        "(name -> id, with --positions), the IXI study's (id -> name), detected automatically.",
    )
    back.add_argument("input", type=Path, help="MRIQC outputs or a table made on the blinded dataset")
    back.add_argument("--key", type=Path, required=True, help="the blinding key")
    back.add_argument("--out", type=Path, required=True, help="TSV to write")
    back.add_argument("--positions", type=Path, help="the pilot's position file, checked against the key")
    back.add_argument("--map", default="", help="rename condition tokens: non_defaced=original,pydeface=defaced")
    back.add_argument("--id-column", default="subject",
                      help="column holding blinded ids or BIDS names (default: subject of MRIQC outputs)")
    back.add_argument("--force", action="store_true", help="replace the output if it exists")
    back.set_defaults(run=_run_unblind)


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _run_blind(args) -> int:
    if args.link != "copy" and not args.allow_leaky_links:
        raise ParameterError(
            f"--link {args.link} leaks the originals ({'ls -l shows their paths' if args.link == 'symlink' else 'ls -i shows their inodes'}) "
            "and cannot scrub headers; add --allow-leaky-links if raters never see the files"
        )
    scrub = (DEFAULT_SCRUB_FIELDS | set(_names(args.scrub))) - set(_names(args.keep))
    key = blind_datasets(
        args.sources, _names(args.conditions), out=args.out, key_path=args.key,
        condition_entity=args.condition_entity, repeat=args.repeat, seed=args.seed, link=args.link,
        scrub_fields=scrub, version=__version__,
    )
    if args.link != "copy":
        print(f"iqmstats: warning: --link {args.link}: the blinded dataset leaks the originals", file=sys.stderr)
    entries = key.entries
    print(f"blinded {len(entries)} images of {entries['participant'].nunique()} participants "
          f"({args.repeat} shown twice) into {args.out}")
    print(f"key: {args.key} (permissions 0600; keep it away from the raters)")
    if key.metadata["sidecar_fields_found_identifying"]:
        print(f"also removed, found identifying in these data: {', '.join(key.metadata['sidecar_fields_found_identifying'])}")
    return 0


def _run_audit(args) -> int:
    findings = audit(args.dataset, read_key(args.key) if args.key else None)
    if findings.empty:
        print(f"{args.dataset}: no leak found{'' if args.key else ' (pass --key for the checks that need it)'}")
        return 0
    for row in findings.itertuples():
        print(f"{row.check}: {row.file}: {row.detail}")
    print(f"{len(findings)} leak(s) found", file=sys.stderr)
    return 1


def _run_unblind(args) -> int:
    mapping = {}
    for pair in _names(args.map):
        token, _, name = pair.partition("=")
        if not token or not name:
            raise ParameterError(f"--map {pair!r}: expected TOKEN=NAME, e.g. non_defaced=original")
        mapping[token] = name
    key = read_key(args.key, positions=args.positions, conditions=mapping)
    check_writable(args.out, overwrite=args.force)
    if args.input.is_file() and args.input.suffix.lower() in (".tsv", ".csv") and not is_iqm_table(args.input):
        records, unique = read_plain_table(args.input), False  # e.g. ratings: several rows per image
    else:
        records, unique = read_iqms(args.input).data, True
    write_tsv(unblind(records, key, id_column=args.id_column, unique=unique), args.out, overwrite=args.force)
    print(f"unblinded {len(records)} records with {args.key} ({key.format} key) into {args.out}", file=sys.stderr)
    return 0

