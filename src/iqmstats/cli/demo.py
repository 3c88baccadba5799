"""``iqmstats demo``: the defacing study end to end on the bundled real data.

It runs the public path a user runs, through the same API calls: a blinded MRIQC tree ->
``compare`` (unblind with the study's key, join the sites, pair and compare with site as between
factor, equivalence with an illustrative margin, QC decisions) -> ``analyse_ratings`` (S1) ->
one report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CONDITIONS = ["original", "defaced"]
TOKENS = {"non_defaced": "original"}
#: An illustration: a study must choose and register its own margin before unblinding.
MARGIN = 0.2


def register(commands) -> None:
    demo = commands.add_parser(
        "demo",
        help="the defacing study end to end on the bundled real data (IXI, 579 participants)",
        description="Rebuild the study's blinded MRIQC outputs from the bundled data, then read, unblind, "
        "compare original vs defaced with site as between factor (and equivalence within an illustrative "
        f"margin of {MARGIN} SD), analyse the raters' ratings and write one HTML report: the same calls a user makes.",
    )
    demo.add_argument(
        "--out", type=Path, default=Path("iqmstats-demo"), help="new folder for everything (default: iqmstats-demo)"
    )
    demo.add_argument(
        "--resamples", type=int, default=10_000, help="permutations and bootstrap resamples (default 10000)"
    )
    demo.add_argument("--quiet", action="store_true", help="no progress display")
    demo.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")
    demo.set_defaults(run=_run_demo)


def _run_demo(args) -> int:
    from tqdm import tqdm

    from .. import __version__, analyse_ratings, compare, example_path, write_report
    from ..errors import OutputError
    from ..examples import build_ixi_derivatives
    from ..summaries import comparison_summary, ratings_summary
    from .common import flag_form

    out = args.out
    if out.exists() and any(out.iterdir()):
        raise OutputError(f"{out} exists and is not empty; choose a new folder with --out")
    steps = tqdm(
        total=4,
        unit="step",
        disable=True if args.quiet else None,
        file=sys.stderr,  # None: only on a terminal
        bar_format="{desc:<42}{bar:20}{n}/{total}",
    )
    steps.set_description("rebuilding the blinded MRIQC outputs")
    tree = build_ixi_derivatives(out / "mriqc")
    steps.update()
    steps.set_description("reading, unblinding, comparing 1158 images")
    comparison = compare(
        tree,
        key=example_path("ixi-key"),
        key_map=TOKENS,
        participants=tree / "participants.tsv",
        conditions=CONDITIONS,
        between="site",
        permutations=args.resamples,
        bootstrap=args.resamples,
        margin=MARGIN,
    )
    comparison.write(out)
    steps.update()
    steps.set_description("analysing the ratings")
    ratings = analyse_ratings(
        example_path("ixi-ratings"), key=example_path("ixi-key"), key_map=TOKENS, conditions=CONDITIONS
    )
    ratings.write(out / "ratings")
    steps.update()
    steps.set_description("drawing the figures and the report")
    # the demo runs compare and ratings: advice names their options
    form = flag_form(args.command_parser, args.command_parsers["compare"], args.command_parsers["ratings"])
    report = write_report(out / "report.html", comparison, ratings, form=form)
    steps.update()
    steps.close()
    if args.json:
        print(json.dumps(_summary(comparison, ratings, report, __version__), indent=2))
        return 0
    print(f"iqmstats {__version__}: the IXI defacing study (Provins et al. 2025), bundled real data")
    for line in comparison_summary(comparison):
        print(line.render(form))
    excluded = comparison.excluded
    print("excluded measures: " + "; ".join(f"{row.iqm} ({row.reason})" for row in excluded.itertuples()))
    print(f"the equivalence margin of {MARGIN} SD is an illustration: a study must choose and register its own")
    for line in ratings_summary(ratings):
        print("ratings: " + line.render(form))
    print(f"report: {report}")
    return 0


def _summary(comparison, ratings, report: Path, version: str) -> dict:
    from ..stats.multivariate import headline

    main = headline(comparison.multivariate)
    model = ratings.models.iloc[0]
    verdicts = comparison.equivalence["verdict"].value_counts().to_dict()
    return {
        "iqmstats_version": version,
        "report": str(report),
        "participants": comparison.provenance["n_participants"],
        "iqms_analysed": comparison.provenance["n_iqms_analysed"],
        "iqms_excluded": comparison.excluded[["iqm", "reason"]].to_dict("records"),
        "hotelling_t2": float(main["value"]),
        "f": float(main["f"]),
        "df1": float(main["df1"]),
        "df2": float(main["df2"]),
        "p_value": float(main["p_value"]),
        "p_permutation": float(main["p_resampled"]),
        "pairing_audit": comparison.audit["verdict"],
        "equivalence": {"margin_sd": MARGIN, **{k: int(v) for k, v in verdicts.items()}},
        "ratings_effect": float(model["estimate"]),
        "ratings_se": float(model["se"]),
        "ratings_p": float(model["p_value"]),
    }
