"""``iqmstats power``: how many participants does a study need? Power by simulation."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import (
    add_key_options,
    column_values,
    flag_form,
    names,
    numbers,
    option,
    pca_rule,
    run_or_plan,
    say,
    write_outputs,
)


def register(commands) -> None:
    power = commands.add_parser(
        "power",
        help="simulate the power of the paired tests for planned numbers of participants",
        description="Resample participants from real reference measures (unpaired, e.g. original images; or paired "
        "pilot data with --conditions, whose real differences are resampled), apply an effect, and run "
        "the tests of compare on every simulated study: power per test, n and delta, the type-I error at "
        "delta 0, TOST's power with --margin, and the smallest n reaching --target.",
    )
    option(
        power,
        dest="reference",
        type=Path,
        nargs="?",
        metavar="REFERENCE",
        help="reference measures: MRIQC outputs or a table (e.g. abide.tsv, S2_Data.csv)",
    )
    power.add_argument(
        "--plan", type=Path, help="run a (locked) analysis plan; options given here are recorded as deviations"
    )
    power.add_argument("--out", type=Path, required=True, help="folder for power.tsv, power_summary.tsv, the figure")
    option(
        power,
        "--n",
        dest="n",
        type=numbers(int),
        metavar="N[,N]",
        help="planned numbers of pairs (default 100,200,400)",
    )
    option(
        power,
        "--delta",
        dest="delta",
        type=numbers(float),
        metavar="D[,D]",
        help="effects in reference SDs (default 0,0.1,0.2; 0 = type-I error)",
    )
    option(power, "--measures", "--iqms", dest="measures", type=names, metavar="A,B,...")
    option(power, "--shift", "--shift-iqms", dest="shift", type=names, metavar="A,B,...")
    option(power, "--multiplicative", dest="multiplicative", action="store_true")
    option(power, "--within-correlation", dest="within_correlation", type=float)
    add_key_options(power, "unblind the reference first")
    option(
        power,
        "--subject-col",
        "--participant-col",
        dest="participant",
        metavar="COLUMN",
        help="participant column of paired pilot data",
    )
    option(
        power,
        "--condition-col",
        dest="condition",
        metavar="COLUMN",
        help="condition column (e.g. session of a BIDS tree)",
    )
    option(
        power,
        "--conditions",
        dest="conditions",
        type=names,
        metavar="A,B",
        help="paired pilot data: the two conditions (their real differences are resampled)",
    )
    option(power, "--reference-condition", dest="reference_condition", metavar="CONDITION")
    option(power, "--where", dest="where", type=column_values, action="append", metavar="COLUMN=VALUE[,VALUE]")
    option(power, "--average-over", dest="average_over", type=names, metavar="COLUMN[,COLUMN]")
    option(power, "--modality", dest="modality", choices=["T1w", "T2w", "bold"])
    option(
        power,
        "--on-invalid",
        dest="on_invalid",
        choices=["raise", "skip"],
        help="stop at (default), or leave out and list, invalid files and rows",
    )
    option(power, "--reduce", dest="reduce", choices=["none", "pca"])
    option(power, "--pca-rule", dest="pca_rule", type=pca_rule)
    option(
        power,
        "--margin",
        dest="margin",
        type=float,
        metavar="M",
        help="also TOST's power with this margin (reference SDs)",
    )
    option(power, "--ratings", dest="ratings", type=Path)
    option(power, "--bias", dest="bias", type=numbers(float), metavar="B[,B]")
    option(power, "--raters", dest="raters", type=int)
    option(power, "--rating-simulations", dest="rating_simulations", type=int)
    option(power, "--alpha", dest="alpha", type=float)
    option(power, "--target", dest="target", type=float)
    option(power, "--simulations", dest="simulations", type=int)
    option(power, "--seed", dest="seed", type=int)
    option(power, "--jobs", dest="jobs", type=int)
    power.add_argument("--force", action="store_true", help="replace existing outputs")
    power.add_argument("--no-report", action="store_true", help="skip report.html")
    power.add_argument("--quiet", action="store_true", help="no summary on stderr")
    power.set_defaults(run=_run_power)


def _run_power(args) -> int:
    from ..api import power
    from ..summaries import power_summary

    form = flag_form(args.command_parser)
    result = run_or_plan(args, "power", power, data_name="reference")
    write_outputs(result, args.out, args, form)
    if not args.quiet:
        say(power_summary(result), form)
        print(f"outputs in {args.out}", file=sys.stderr)
    return 0
