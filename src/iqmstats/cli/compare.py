"""``iqmstats compare``: did the condition change the measures?"""

from __future__ import annotations

import sys
from pathlib import Path

from .common import (
    add_key_options,
    column_values,
    decision,
    flag_form,
    names,
    option,
    pca_rule,
    progress_wanted,
    report_registration,
    run_or_plan,
    say,
    write_outputs,
)


def register(commands) -> None:
    compare = commands.add_parser(
        "compare",
        help="test whether a condition changed the measures (paired, multivariate, per measure, equivalence)",
        description="Pair each participant's images by key, audit the pairing, drop measures no valid test can "
        "use (with reasons), and test the condition effect: paired Hotelling's T^2 with a permutation p-value, "
        "the pre-registered MANOVA (ignores the pairing, for the record), a between factor if given, per-measure "
        "paired t, Wilcoxon and Bland-Altman with effect sizes, equivalence (TOST) with a margin, and whether QC "
        "decisions flip. Differences are first minus second of --conditions.",
    )
    option(
        compare,
        dest="data",
        type=Path,
        nargs="?",
        metavar="INPUT",
        help="MRIQC outputs (folder, group TSV) or a table such as S2_Data.csv",
    )
    compare.add_argument(
        "--plan", type=Path, help="run a (locked) analysis plan; options given here are recorded as deviations"
    )
    compare.add_argument("--out", type=Path, required=True, help="folder for the outputs (created if needed)")
    add_key_options(compare, "unblind the input first")
    option(
        compare,
        "--subject-col",
        "--participant-col",
        dest="participant",
        metavar="COLUMN",
        help="participant column (default: participant, which unblinding adds; for an MRIQC tree give subject)",
    )
    option(
        compare,
        "--condition-col",
        dest="condition",
        metavar="COLUMN",
        help="condition column (default: condition, which unblinding adds; for an MRIQC tree give session, acquisition, reconstruction or run)",
    )
    option(
        compare,
        "--conditions",
        dest="conditions",
        type=names,
        metavar="A,B[,C]",
        help="conditions in order; differences are first - second (default: the two found, sorted)",
    )
    option(
        compare,
        "--measures",
        "--iqms",
        dest="measures",
        type=names,
        metavar="A,B,...",
        help="analyse these columns (any numeric measures: IQMs, PC1..PCk, harmonised IQMs)",
    )
    option(compare, "--between", dest="between", metavar="COLUMN")
    option(compare, "--participants", dest="participants", type=Path)
    option(
        compare,
        "--where",
        dest="where",
        type=column_values,
        action="append",
        metavar="COLUMN=VALUE[,VALUE]",
        help="keep only images whose column holds one of the values (repeatable), e.g. --where task=rest",
    )
    option(
        compare,
        "--average-over",
        dest="average_over",
        type=names,
        metavar="COLUMN[,COLUMN]",
        help="average the measures over these columns within participant and condition, e.g. --average-over run",
    )
    option(compare, "--repeats", dest="repeats", choices=["first", "random", "mean"])
    option(compare, "--drop-unpaired", dest="drop_unpaired", action="store_true")
    option(compare, "--modality", dest="modality", choices=["T1w", "T2w", "bold"])
    option(compare, "--common-iqms", dest="common_iqms", action="store_true")
    option(
        compare,
        "--on-invalid",
        dest="on_invalid",
        choices=["raise", "skip"],
        help="stop at (default), or leave out and list, invalid files and rows",
    )
    option(compare, "--reduce", dest="reduce", choices=["none", "pca"])
    option(compare, "--pca-rule", dest="pca_rule", type=pca_rule)
    option(compare, "--fit-on", dest="fit_on", metavar="CONDITION")
    option(compare, "--standardise-within", dest="standardise_within", action="store_true")
    option(compare, "--max-missing-share", dest="max_missing_share", type=float)
    option(compare, "--max-identical-share", dest="max_identical_share", type=float)
    option(
        compare, "--permutations", dest="permutations", type=int, help="sign-flip permutations (default 10000; 0: off)"
    )
    option(
        compare, "--bootstrap", dest="bootstrap", type=int, help="bootstrap resamples for CIs (default 10000; 0: off)"
    )
    option(compare, "--seed", dest="seed", type=int, help="seed of every random draw (default 0)")
    option(
        compare,
        "--margin",
        dest="margin",
        type=float,
        metavar="M",
        help="equivalence margin in SDs of the first condition (TOST per measure)",
    )
    option(
        compare,
        "--margins",
        dest="margins",
        type=Path,
        metavar="FILE",
        help="per-measure equivalence margins in raw units: a TSV with columns iqm, margin",
    )
    option(compare, "--alpha", dest="alpha", type=float, help="TOST level (default 0.05: a 90%% CI)")
    option(compare, "--iqr-k", dest="iqr_k", type=float, metavar="K", help="k of the IQR exclusion rule (default 1.5)")
    option(
        compare,
        "--decision-col",
        dest="decision_columns",
        type=decision,
        action="append",
        metavar="COLUMN[=VALUE,...]",
        help="a per-image QC decision column (repeatable); COLUMN=VALUE,... names the values meaning excluded",
    )
    compare.add_argument("--force", action="store_true", help="replace existing outputs")
    compare.add_argument("--no-report", action="store_true", help="skip report.html and figures/")
    compare.add_argument("--quiet", action="store_true", help="no summary on stderr (warnings still show)")
    compare.set_defaults(run=_run_compare)


def _run_compare(args) -> int:
    from ..api import compare

    form = flag_form(args.command_parser)
    args.progress = progress_wanted(args)
    result = run_or_plan(args, "compare", compare)
    write_outputs(result, args.out, args, form)
    report_registration(result)
    from ..summaries import comparison_summary

    lines = comparison_summary(result)
    warnings = [line for line in lines if line.template.startswith("WARNING")]
    say(warnings if args.quiet else lines, form)
    if not args.quiet:
        print(f"outputs in {args.out}", file=sys.stderr)
    return 0
