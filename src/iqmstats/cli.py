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
from .pipeline import compare_conditions, file_checksum, summarise_study, write_comparison


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
    _add_compare_command(commands)

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
    key = read_key(args.key, positions=args.positions, conditions=_token_map(args.map))
    check_writable(args.out, overwrite=args.force)
    if args.input.is_file() and args.input.suffix.lower() in (".tsv", ".csv") and not is_iqm_table(args.input):
        records, unique = read_plain_table(args.input), False  # e.g. ratings: several rows per image
    else:
        records, unique = read_iqms(args.input).data, True
    write_tsv(unblind(records, key, id_column=args.id_column, unique=unique), args.out, overwrite=args.force)
    print(f"unblinded {len(records)} records with {args.key} ({key.format} key) into {args.out}", file=sys.stderr)
    return 0



def _add_compare_command(commands) -> None:
    compare = commands.add_parser(
        "compare",
        help="test whether a condition changed the IQMs (paired, multivariate and per IQM)",
        description="Pair each participant's images by key, audit the pairing, drop IQMs no valid test can "
        "use (with reasons), and test the condition effect: the pre-registered MANOVA (ignores the pairing, "
        "for the record), paired Hotelling's T^2 with a permutation p-value, a between factor if given, and "
        "per-IQM paired t, Wilcoxon and Bland-Altman with effect sizes. Differences are first minus second "
        "of --conditions.",
    )
    compare.add_argument("input", type=Path, help="MRIQC outputs (folder, group TSV) or a table such as S2_Data.csv")
    compare.add_argument("--out", type=Path, required=True, help="folder for the outputs (created if needed)")
    compare.add_argument("--key", type=Path, help="blinding key: unblind the input first")
    compare.add_argument("--map", default="", help="with --key: rename condition tokens, e.g. non_defaced=original")
    compare.add_argument("--subject-col", default="participant", help="participant column (default: participant)")
    compare.add_argument("--condition-col", default="condition", help="condition column (default: condition)")
    compare.add_argument("--conditions", help="conditions in order, comma-separated; differences are first - second")
    compare.add_argument("--iqms", help="analyse only these IQMs, comma-separated (then only exact degeneracies are dropped)")
    compare.add_argument("--between", help="a between-participant factor column, e.g. site")
    compare.add_argument("--reduce", choices=["none", "pca"], default="none", help="reduce the IQMs to principal components")
    compare.add_argument("--pca-rule", default="kaiser", help="'kaiser' (eigenvalue > 1) or a share of variance, e.g. 0.8")
    compare.add_argument("--fit-on", help="fit standardisation and PCA on this condition (default: all pooled)")
    compare.add_argument("--standardise-within", action="store_true", help="z-score within each level of --between")
    compare.add_argument("--max-missing-share", type=float, default=0.1,
                         help="drop IQMs missing (e.g. fber == -1) in more than this share of images (default 0.1)")
    compare.add_argument("--max-identical-share", type=float, default=0.95,
                         help="drop IQMs with one value in at least this share of images (default 0.95)")
    compare.add_argument("--repeats", choices=["first", "random", "mean"], default="first",
                         help="repeated presentations: keep the first, a random one, or their mean")
    compare.add_argument("--drop-unpaired", action="store_true", help="leave out participants lacking a condition")
    compare.add_argument("--permutations", type=int, default=10_000, help="sign-flip permutations (default 10000)")
    compare.add_argument("--bootstrap", type=int, default=10_000, help="bootstrap resamples for CIs (default 10000)")
    compare.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    compare.add_argument("--modality", choices=["T1w", "T2w", "bold"], help="keep only images of this suffix")
    compare.add_argument("--common-iqms", action="store_true", help="keep the IQMs all records share")
    compare.add_argument("--force", action="store_true", help="replace existing outputs")
    compare.add_argument("--quiet", action="store_true", help="no summary on stderr")
    compare.set_defaults(run=_run_compare)


def _run_compare(args) -> int:
    table = read_iqms(args.input, modality=args.modality, iqm_sets="common" if args.common_iqms else "strict",
                      progress=not args.quiet and sys.stderr.isatty())
    inputs = {"input": str(args.input), "sha256": file_checksum(args.input)}
    if args.key:
        key = read_key(args.key, conditions=_token_map(args.map))
        table = unblind(table, key)
        inputs.update(key=str(args.key), key_sha256=file_checksum(args.key), key_format=key.format)
    rule = args.pca_rule if args.pca_rule == "kaiser" else _share(args.pca_rule)
    result = compare_conditions(
        table, participant=args.subject_col, condition=args.condition_col,
        conditions=_names(args.conditions) if args.conditions else None,
        iqms=_names(args.iqms) if args.iqms else None, between=args.between, reduce=args.reduce, pca_rule=rule,
        fit_on=args.fit_on, standardise_within=args.standardise_within, repeats=args.repeats,
        max_missing_share=args.max_missing_share, max_identical_share=args.max_identical_share,
        drop_unpaired=args.drop_unpaired, permutations=args.permutations, bootstrap=args.bootstrap,
        random_state=args.seed,
    )
    write_comparison(result, args.out, inputs=inputs, overwrite=args.force)
    audit = result.audit
    if audit["verdict"] != "aligned":
        print(f"iqmstats: WARNING: the pairing looks misaligned: within-pair agreement {audit.get('observed', float('nan')):.2f} "
              f"(random pairs: {audit.get('shuffled_mean', float('nan')):.2f}); were rows paired by position? "
              "Check the participant and condition columns.", file=sys.stderr)
    if not args.quiet:
        _print_comparison(result, args.out)
    return 0


def _print_comparison(result, out: Path) -> None:
    data = result.prepared.paired
    paired = result.multivariate[result.multivariate.statistic == "hotelling_t2"].iloc[0]
    print(f"{data.n} participants, {' vs '.join(data.conditions)}, {len(data.iqms)} IQMs analysed "
          f"({len(result.prepared.excluded)} excluded, see excluded_iqms.tsv)", file=sys.stderr)
    print(f"paired Hotelling T2 = {paired.value:.4g}, F({paired.df1:g}, {paired.df2:g}) = {paired.f:.4g}, "
          f"p = {paired.p_value:.3g}, permutation p = {paired.p_resampled:.3g}", file=sys.stderr)
    print(f"pairing audit: {result.audit['verdict']}; outputs in {out}", file=sys.stderr)


def _token_map(text: str) -> dict[str, str]:
    mapping = {}
    for pair in _names(text):
        token, _, name = pair.partition("=")
        if not token or not name:
            raise ParameterError(f"--map {pair!r}: expected TOKEN=NAME, e.g. non_defaced=original")
        mapping[token] = name
    return mapping


def _share(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ParameterError(f"--pca-rule {text!r}: use 'kaiser' or a share of variance such as 0.8") from None
