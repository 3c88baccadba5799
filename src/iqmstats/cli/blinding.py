"""``iqmstats blind``, ``audit`` and ``unblind``: blinded datasets, their leaks, their keys."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import add_key_options, api_arguments, names, option


def register(commands) -> None:
    blind = commands.add_parser(
        "blind",
        help="make a blinded BIDS dataset and its key",
        description="Give every image a random id so raters cannot match one person's images across "
        "conditions. One SOURCE dataset per condition (in --conditions order), or one SOURCE whose "
        "condition is the acq- or rec- entity (--condition-entity). Every input is checked before anything is "
        "written; the key is written first, with permissions 0600, outside the blinded dataset, and never over "
        "an existing file.",
    )
    option(blind, dest="sources", type=Path, nargs="+", metavar="SOURCE", help="BIDS dataset(s)")
    option(
        blind,
        "--conditions",
        dest="conditions",
        type=names,
        required=True,
        help="condition names, comma-separated (e.g. original,defaced)",
    )
    option(
        blind, "--out", dest="out", type=Path, required=True, help="the blinded dataset to create (new or empty folder)"
    )
    option(blind, "--key", dest="key", type=Path, required=True, help="the key file to create (outside --out)")
    option(
        blind,
        "--condition-entity",
        dest="condition_entity",
        choices=["acq", "rec"],
        help="the entity naming the condition",
    )
    option(blind, "--repeat", dest="repeat", type=int, help="present N random participants twice (rater consistency)")
    option(
        blind,
        "--seed",
        dest="seed",
        type=int,
        help="make the draw reproducible (default: cryptographic, not reproducible)",
    )
    option(
        blind,
        "--link",
        dest="link",
        choices=["copy", "hardlink", "symlink"],
        help="copy (default; scrubs headers and sidecars); hardlink/symlink leak the originals",
    )
    option(
        blind,
        "--allow-leaky-links",
        dest="allow_leaky_links",
        action="store_true",
        help="required with --link hardlink|symlink",
    )
    option(blind, "--scrub", dest="scrub", type=names, help="more sidecar fields to remove, comma-separated")
    option(
        blind,
        "--keep",
        dest="keep",
        type=names,
        help="sidecar fields to keep although removed by default, comma-separated",
    )
    blind.set_defaults(run=_run_blind)

    check = commands.add_parser(
        "audit",
        help="find ways a rater could break the blinding of a dataset",
        description="Report symlinks, hard links, header text, and (with --key) original ids in names, "
        "contents and headers, identifying sidecar fields, and images of one participant with the same "
        "size or content under two conditions. Exit 1 when anything is found. A folder without images, or a key "
        "that is not this dataset's, is refused: nothing would have been checked.",
    )
    option(check, dest="dataset", type=Path, metavar="DATASET", help="the blinded dataset")
    add_key_options(check, "the dataset's key (any format iqmstats reads)")
    check.set_defaults(run=_run_audit)

    back = commands.add_parser(
        "unblind",
        help="map records made on blinded data back to participant and condition",
        description="Add participant, condition and presentation to MRIQC outputs (a folder of JSONs, a "
        "group TSV) or any table with a column of blinded ids. Key formats: iqmstats' own, the pilot's "
        "(name -> id, with --positions), the IXI study's (id -> name), detected automatically.",
    )
    option(back, dest="data", type=Path, metavar="INPUT", help="MRIQC outputs or a table made on the blinded dataset")
    add_key_options(back, "the key of the blinded dataset", required=True)
    back.add_argument(
        "--out", type=Path, required=True, help="TSV to write (MRIQC outputs get a .json sidecar beside it)"
    )
    option(back, "--positions", dest="positions", type=Path, help="the pilot's position file, checked against the key")
    option(
        back,
        "--id-column",
        dest="id_column",
        help="column holding blinded ids or BIDS names (default: subject of MRIQC outputs)",
    )
    back.add_argument("--force", action="store_true", help="replace the output if it exists")
    back.set_defaults(run=_run_unblind)


def _run_blind(args) -> int:
    from ..api import blind

    given = api_arguments(args)
    key = blind(given.pop("sources"), **given)
    if key.metadata["link"] != "copy":
        print(
            f"iqmstats: warning: --link {key.metadata['link']}: the blinded dataset leaks the originals",
            file=sys.stderr,
        )
    entries = key.entries
    shown_twice = entries.loc[entries["presentation"] > 1, "participant"].nunique()
    print(
        f"blinded {len(entries)} images of {entries['participant'].nunique()} participants under "
        f"{', '.join(key.metadata['conditions'])} ({shown_twice} shown twice) into {args.out}"
    )
    print(f"key: {args.key} (permissions 0600; keep it away from the raters)")
    unpaired = key.metadata["unpaired_participants"]
    if unpaired:
        shown = ", ".join(f"{p} ({' and '.join(c)} only)" for p, c in list(unpaired.items())[:5])
        print(
            f"iqmstats: warning: {len(unpaired)} participant(s) have images under some conditions only (often a "
            f"step that failed upstream, e.g. defacing): {shown}{', ...' if len(unpaired) > 5 else ''}",
            file=sys.stderr,
        )
    if key.metadata["sidecar_fields_found_identifying"]:
        print(
            f"also removed, found identifying in these data: {', '.join(key.metadata['sidecar_fields_found_identifying'])}"
        )
    return 0


def _run_audit(args) -> int:
    from ..api import audit

    given = api_arguments(args)
    findings = audit(given.pop("dataset"), **given)
    checked = findings.attrs.get("checked", "")
    if findings.empty:
        print(
            f"{args.dataset}: no leak found in {checked}{'' if args.key else ' (pass --key for the checks that need it)'}"
        )
        return 0
    for row in findings.itertuples():
        print(f"{row.check}: {row.file}: {row.detail}")
    print(f"{len(findings)} leak(s) found in {checked}", file=sys.stderr)
    return 1


def _run_unblind(args) -> int:
    from ..api import unblind
    from ..io import IQMTable
    from ..io.write import write_tsv

    given = api_arguments(args)
    records = unblind(given.pop("data"), given.pop("key"), **given)
    if isinstance(records, IQMTable):
        records.write(args.out, overwrite=args.force)
        skipped = records.skipped
        passed = (
            ""
            if skipped.empty
            else "; passed over " + "; ".join(f"{n} {reason}" for reason, n in skipped["reason"].value_counts().items())
        )
        print(
            f"unblinded {len(records.data)} records with {args.key} into {args.out} (sidecar "
            f"{args.out.with_suffix('.json')}){passed}",
            file=sys.stderr,
        )
    else:
        write_tsv(records, args.out, overwrite=args.force)
        print(f"unblinded {len(records)} rows with {args.key} into {args.out}", file=sys.stderr)
    return 0
