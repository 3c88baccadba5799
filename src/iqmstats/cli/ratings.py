"""``iqmstats ratings``: did blinded raters judge one condition differently?"""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import ParameterError
from ..io.ratings import STUDY_COLUMNS, read_ratings
from ..pipeline import analyse_ratings, file_checksum, write_ratings_analysis
from ..report import write_report
from .common import add_key_options, follow_plan, key_option, names, report_registration, unblind_ratings


def register(commands) -> None:
    ratings = commands.add_parser(
        "ratings",
        help="analyse manual quality ratings of blinded images by condition",
        description="Read ratings (the study's export, a folder of MRIQC rating-widget JSONs per rater, or "
        "any table), unblind them with --key (or name the participant and condition columns of an "
        "unblinded table), and test whether the condition changed the ratings: mixed models with crossed "
        "participant and rater effects (ML, likelihood-ratio tests), per rater with FDR, rm-ANOVA "
        "condition x rater, agreement (Bland-Altman, ICCs, test-retest, decision flips) and artifacts.",
    )
    ratings.add_argument("input", type=Path, nargs="?", help="ratings table, or a folder with one sub-folder of widget JSONs per rater")
    ratings.add_argument("--plan", type=Path, help="run a (locked) analysis plan; options given here are recorded as deviations")
    ratings.add_argument("--out", type=Path, required=True, help="folder for the outputs (created if needed)")
    add_key_options(ratings, "map the rated images back")
    ratings.add_argument("--conditions", help="two conditions, comma-separated; effects are first - second")
    ratings.add_argument("--scale", default="1,4", help="lowest,highest rating (default 1,4)")
    ratings.add_argument("--threshold", type=float, default=2.45, help="ratings at or below mean poor/exclude (default 2.45)")
    ratings.add_argument("--rater-col", default=STUDY_COLUMNS["rater"], help="rater column of a table")
    ratings.add_argument("--id-col", default=STUDY_COLUMNS["blinded_id"], help="blinded-id column of a table")
    ratings.add_argument("--rating-col", default=STUDY_COLUMNS["rating"], help="rating column of a table")
    ratings.add_argument("--subject-col", help="without --key: the participant column of an unblinded table")
    ratings.add_argument("--condition-col", help="without --key: the condition column of an unblinded table")
    ratings.add_argument("--force", action="store_true", help="replace existing outputs")
    ratings.add_argument("--no-report", action="store_true", help="skip report.html and figures/")
    ratings.add_argument("--quiet", action="store_true", help="no summary on stderr")
    ratings.set_defaults(run=_run_ratings, command_parser=ratings)


def _run_ratings(args) -> int:
    registration = follow_plan(args, "ratings")
    conditions = names(args.conditions or "")
    if len(conditions) != 2:
        raise ParameterError(f"--conditions {args.conditions!r}: name exactly two conditions")
    scale = names(args.scale)
    try:
        low, high = (float(v) for v in scale)
    except ValueError:
        raise ParameterError(f"--scale {args.scale!r}: expected LOW,HIGH such as 1,4") from None
    table = read_ratings(args.input, scale=(low, high),
                         columns={"rater": args.rater_col, "blinded_id": args.id_col, "rating": args.rating_col})
    inputs = {"input": str(args.input), "sha256": file_checksum(args.input), "notes": table.notes}
    data = table.data
    key = key_option(args, inputs)
    if key is not None:
        data = unblind_ratings(data, key)
    elif args.subject_col and args.condition_col:
        data = data.rename(columns={args.subject_col: "participant", args.condition_col: "condition"})
    else:
        raise ParameterError("the ratings are blinded: pass --key, or --subject-col and --condition-col for an unblinded table")
    result = analyse_ratings(data, conditions=conditions, threshold=args.threshold)
    write_ratings_analysis(result, args.out, inputs=inputs, registration=registration, overwrite=args.force)
    report_registration(registration)
    if not args.no_report:
        write_report(args.out, overwrite=args.force)
    for note in table.notes:
        print(f"iqmstats: note: {note}", file=sys.stderr)
    if not args.quiet:
        row = result.models.iloc[0]
        print(f"{inputs['input']}: {len(result.tidy)} ratings by {result.tidy['rater'].nunique()} raters; "
              f"{conditions[0]} - {conditions[1]} = {row.estimate:.3f} (SE {row.se:.3f}), "
              f"LRT chi2({row.df:g}) = {row.chi2:.2f}, p = {row.p_value:.3g}; outputs in {args.out}", file=sys.stderr)
    return 0
