"""``iqmstats compare``: did the condition change the IQMs?"""

from __future__ import annotations

import sys
from pathlib import Path

from ..blinding import unblind
from ..errors import ParameterError
from ..io import read_iqms
from ..io.tables import read_participants
from ..pipeline import compare_conditions, file_checksum, join_participants, write_comparison
from ..report import write_report
from ..stats.multivariate import headline
from .common import add_key_options, follow_plan, key_option, names, report_registration


def register(commands) -> None:
    compare = commands.add_parser(
        "compare",
        help="test whether a condition changed the IQMs (paired, multivariate and per IQM)",
        description="Pair each participant's images by key, audit the pairing, drop IQMs no valid test can "
        "use (with reasons), and test the condition effect: the pre-registered MANOVA (ignores the pairing, "
        "for the record), paired Hotelling's T^2 with a permutation p-value, a between factor if given, and "
        "per-IQM paired t, Wilcoxon and Bland-Altman with effect sizes. Differences are first minus second "
        "of --conditions.",
    )
    compare.add_argument("input", type=Path, nargs="?", help="MRIQC outputs (folder, group TSV) or a table such as S2_Data.csv")
    compare.add_argument("--plan", type=Path, help="run a (locked) analysis plan; options given here are recorded as deviations")
    compare.add_argument("--out", type=Path, required=True, help="folder for the outputs (created if needed)")
    add_key_options(compare, "unblind the input first")
    compare.add_argument("--subject-col", default="participant", help="participant column (default: participant)")
    compare.add_argument("--condition-col", default="condition", help="condition column (default: condition)")
    compare.add_argument("--conditions", help="conditions in order, comma-separated; differences are first - second")
    compare.add_argument("--iqms", help="analyse only these IQMs, comma-separated (then only exact degeneracies are dropped)")
    compare.add_argument("--between", help="a between-participant factor column, e.g. site")
    compare.add_argument("--participants", type=Path,
                         help="a BIDS participants.tsv whose columns (e.g. site) are joined by participant")
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
    compare.add_argument("--no-report", action="store_true", help="skip report.html and figures/")
    compare.add_argument("--quiet", action="store_true", help="no summary on stderr")
    compare.set_defaults(run=_run_compare, command_parser=compare)


def _run_compare(args) -> int:
    registration = follow_plan(args, "compare")
    table = read_iqms(args.input, modality=args.modality, iqm_sets="common" if args.common_iqms else "strict",
                      progress=not args.quiet and sys.stderr.isatty())
    inputs = {"input": str(args.input), "sha256": file_checksum(args.input)}
    key = key_option(args, inputs)
    if key is not None:
        table = unblind(table, key)
    if args.participants:
        table = join_participants(table, read_participants(args.participants), participant=args.subject_col)
        inputs.update(participants=str(args.participants), participants_sha256=file_checksum(args.participants))
    rule = args.pca_rule if args.pca_rule == "kaiser" else _share(args.pca_rule)
    result = compare_conditions(
        table, participant=args.subject_col, condition=args.condition_col,
        conditions=names(args.conditions) if args.conditions else None,
        iqms=names(args.iqms) if args.iqms else None, between=args.between, reduce=args.reduce, pca_rule=rule,
        fit_on=args.fit_on, standardise_within=args.standardise_within, repeats=args.repeats,
        max_missing_share=args.max_missing_share, max_identical_share=args.max_identical_share,
        drop_unpaired=args.drop_unpaired, permutations=args.permutations, bootstrap=args.bootstrap,
        random_state=args.seed,
    )
    write_comparison(result, args.out, inputs=inputs, registration=registration, overwrite=args.force)
    report_registration(registration)
    if not args.no_report:
        write_report(args.out, overwrite=args.force)
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
    paired = headline(result.multivariate)
    print(f"{data.n} participants, {' vs '.join(data.conditions)}, {len(data.iqms)} IQMs analysed "
          f"({len(result.prepared.excluded)} excluded, see excluded_iqms.tsv)", file=sys.stderr)
    print(f"paired Hotelling T2 = {paired.value:.4g}, F({paired.df1:g}, {paired.df2:g}) = {paired.f:.4g}, "
          f"p = {paired.p_value:.3g}, permutation p = {paired.p_resampled:.3g}", file=sys.stderr)
    print(f"pairing audit: {result.audit['verdict']}; outputs in {out}", file=sys.stderr)


def _share(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ParameterError(f"--pca-rule {text!r}: use 'kaiser' or a share of variance such as 0.8") from None
