"""``iqmstats ratings``: did blinded raters judge one condition differently?"""

from __future__ import annotations

import sys
from pathlib import Path

from .common import (
    add_key_options,
    flag_form,
    names,
    option,
    report_registration,
    run_or_plan,
    say,
    scale,
    write_outputs,
)


def register(commands) -> None:
    ratings = commands.add_parser(
        "ratings",
        help="analyse manual quality ratings of blinded images by condition",
        description="Read ratings (the study's export, a folder of MRIQC rating-widget JSONs per rater, or "
        "any table), unblind them with --key (or name the participant and condition columns of an "
        "unblinded table), and test whether the condition changed the ratings: mixed models with crossed "
        "participant and rater effects (ML, likelihood-ratio tests), per rater with FDR, rm-ANOVA "
        "condition x rater, agreement (Bland-Altman, ICCs, test-retest), QC decisions flipped by the rating "
        "threshold, and artifacts.",
    )
    option(
        ratings,
        dest="data",
        type=Path,
        nargs="?",
        metavar="INPUT",
        help="ratings table, or a folder with one sub-folder of widget JSONs per rater",
    )
    ratings.add_argument(
        "--plan", type=Path, help="run a (locked) analysis plan; options given here are recorded as deviations"
    )
    ratings.add_argument("--out", type=Path, required=True, help="folder for the outputs (created if needed)")
    add_key_options(ratings, "map the rated images back")
    option(
        ratings,
        "--conditions",
        dest="conditions",
        type=names,
        metavar="A,B",
        help="two conditions; effects are first - second (default: the two found, sorted)",
    )
    option(ratings, "--scale", dest="scale", type=scale, metavar="LOW,HIGH", help="lowest,highest rating (default 1,4)")
    option(
        ratings,
        "--threshold",
        dest="threshold",
        type=float,
        help="ratings at or below mean poor/exclude (default 2.45)",
    )
    option(
        ratings, "--rater-col", dest="rater_column", metavar="COLUMN", help="rater column of a table (default rater_id)"
    )
    option(
        ratings,
        "--id-col",
        dest="id_column",
        metavar="COLUMN",
        help="blinded-id column of a table (default randomized_id)",
    )
    option(
        ratings,
        "--rating-col",
        dest="rating_column",
        metavar="COLUMN",
        help="rating column of a table (default rating)",
    )
    option(
        ratings,
        "--subject-col",
        "--participant-col",
        dest="participant",
        metavar="COLUMN",
        help="without --key: the participant column of an unblinded table",
    )
    option(
        ratings,
        "--condition-col",
        dest="condition",
        metavar="COLUMN",
        help="without --key: the condition column of an unblinded table",
    )
    option(
        ratings,
        "--repeats",
        dest="repeats",
        choices=["first", "random", "mean", "all"],
        help="repeated presentations: keep the first (default, the study's analysis), a random one, their mean, or all",
    )
    option(ratings, "--seed", dest="seed", type=int, help="seed of --repeats random (default 0)")
    ratings.add_argument("--force", action="store_true", help="replace existing outputs")
    ratings.add_argument("--no-report", action="store_true", help="skip report.html and figures/")
    ratings.add_argument("--quiet", action="store_true", help="no summary on stderr")
    ratings.set_defaults(run=_run_ratings)


def _run_ratings(args) -> int:
    from ..api import analyse_ratings
    from ..summaries import ratings_summary

    form = flag_form(args.command_parser)
    result = run_or_plan(args, "ratings", analyse_ratings)
    write_outputs(result, args.out, args, form)
    report_registration(result)
    if not args.quiet:
        say(ratings_summary(result), form)
        print(f"outputs in {args.out}", file=sys.stderr)
    return 0
