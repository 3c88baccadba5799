"""``iqmstats blind``, ``audit`` and ``unblind``: blinded datasets, their leaks, their keys."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import __version__
from ..blinding import audit, blind_datasets, read_key, unblind
from ..blinding.blind import CONDITION_ENTITIES, LINK_MODES
from ..blinding.scrub import DEFAULT_SCRUB_FIELDS
from ..errors import ParameterError
from ..io import read_iqms
from ..io.tables import is_iqm_table, read_plain_table
from ..io.write import check_writable, write_tsv
from .common import names, token_map


def register(commands) -> None:
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


def _run_blind(args) -> int:
    if args.link != "copy" and not args.allow_leaky_links:
        raise ParameterError(
            f"--link {args.link} leaks the originals ({'ls -l shows their paths' if args.link == 'symlink' else 'ls -i shows their inodes'}) "
            "and cannot scrub headers; add --allow-leaky-links if raters never see the files"
        )
    scrub = (DEFAULT_SCRUB_FIELDS | set(names(args.scrub))) - set(names(args.keep))
    key = blind_datasets(
        args.sources, names(args.conditions), out=args.out, key_path=args.key,
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
    key = read_key(args.key, positions=args.positions, conditions=token_map(args.map))
    check_writable(args.out, overwrite=args.force)
    if args.input.is_file() and args.input.suffix.lower() in (".tsv", ".csv") and not is_iqm_table(args.input):
        records, unique = read_plain_table(args.input), False  # e.g. ratings: several rows per image
    else:
        records, unique = read_iqms(args.input).data, True
    write_tsv(unblind(records, key, id_column=args.id_column, unique=unique), args.out, overwrite=args.force)
    print(f"unblinded {len(records)} records with {args.key} ({key.format} key) into {args.out}", file=sys.stderr)
    return 0
