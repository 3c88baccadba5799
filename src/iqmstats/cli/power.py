"""``iqmstats power``: how many participants does a study need? Power by simulation."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from .. import __version__
from ..blinding import unblind
from ..errors import ParameterError
from ..io import read_iqms
from ..io.ratings import read_ratings
from ..pairing import PairedIQMs, pair_iqms
from ..pipeline import file_checksum, write_power
from ..report import write_report
from ..stats.power import simulate_power, simulate_rating_power, smallest_n
from ..stats.preprocess import prepare_iqms
from ..stats.ratings import rating_models
from .common import add_key_options, key_option, names, unblind_ratings


def register(commands) -> None:
    power = commands.add_parser(
        "power",
        help="simulate the power of the paired tests for planned numbers of participants",
        description="Resample participants from real reference IQMs (unpaired, e.g. original images; or paired "
        "pilot data with --conditions, whose real differences are resampled), apply an effect, and run "
        "the tests of compare on every simulated study: power per test, n and delta, the type-I error at "
        "delta 0, and the smallest n reaching --target.",
    )
    power.add_argument("reference", type=Path, help="reference IQMs: MRIQC outputs or a table (e.g. abide.tsv, S2_Data.csv)")
    power.add_argument("--out", type=Path, required=True, help="folder for power.tsv, power_summary.tsv, the figure")
    power.add_argument("--n", default="100,200,400", help="planned numbers of pairs, comma-separated")
    power.add_argument("--delta", default="0,0.1,0.2", help="effects, comma-separated: shifts in reference SDs (0 = type-I error)")
    power.add_argument("--shift-iqms", help="IQMs the effect moves, comma-separated (default: all)")
    power.add_argument("--multiplicative", action="store_true", help="delta multiplies the second condition by 1 + delta")
    power.add_argument("--within-correlation", type=float, default=0.9, help="without paired pilot data (default 0.9)")
    add_key_options(power, "unblind the reference first")
    power.add_argument("--subject-col", default="participant", help="participant column of paired pilot data")
    power.add_argument("--condition-col", default="condition", help="condition column of paired pilot data")
    power.add_argument("--conditions", help="paired pilot data: the two conditions (their differences are resampled)")
    power.add_argument("--reference-condition", help="unpaired: use only the rows of this condition (column --condition-col)")
    power.add_argument("--ratings", type=Path, help="pilot ratings (unblinded with --key): also simulate the ratings' mixed model")
    power.add_argument("--bias", default="0,0.05,0.1", help="with --ratings: rating biases to detect, in rating points")
    power.add_argument("--raters", type=int, help="with --ratings: raters per simulated study (default: the pilot's)")
    power.add_argument("--rating-simulations", type=int, default=200,
                       help="with --ratings: simulated studies per n and bias (default 200; each is a mixed-model fit)")
    power.add_argument("--alpha", type=float, default=0.05)
    power.add_argument("--target", type=float, default=0.8, help="the power to reach (default 0.8)")
    power.add_argument("--simulations", type=int, default=1000, help="simulated studies per n and delta (default 1000)")
    power.add_argument("--seed", type=int, default=0)
    power.add_argument("--force", action="store_true", help="replace existing outputs")
    power.add_argument("--no-report", action="store_true", help="skip report.html")
    power.set_defaults(run=_run_power)


def _numbers(text: str, kind, option: str) -> list:
    try:
        return [kind(value) for value in names(text)]
    except ValueError:
        raise ParameterError(f"{option} {text!r}: expected comma-separated numbers") from None


def _run_power(args) -> int:
    table = read_iqms(args.reference)
    inputs = {"reference": str(args.reference), "sha256": file_checksum(args.reference)}
    key = key_option(args, inputs)
    if key is not None:
        table = unblind(table, key)
    if args.conditions:
        paired = pair_iqms(table.data, iqms=table.iqms, participant=args.subject_col, condition=args.condition_col,
                           conditions=names(args.conditions))
        prepared = prepare_iqms(paired, modality=table.modality).paired
        reference, differences = prepared.values[:, 0], prepared.values[:, 0] - prepared.values[:, 1]
    else:
        data = table.data
        if args.reference_condition:
            data = data[data[args.condition_col].astype(str) == args.reference_condition]
        single = PairedIQMs(tuple(map(str, range(len(data)))), ("reference",), table.iqms,
                            data[list(table.iqms)].to_numpy(dtype=float)[:, None, :])
        prepared = prepare_iqms(single, modality=table.modality).paired
        reference, differences = prepared.values[:, 0], None
    power = simulate_power(
        reference, n_values=_numbers(args.n, int, "--n"), deltas=_numbers(args.delta, float, "--delta"),
        names=prepared.iqms, shifted=names(args.shift_iqms) if args.shift_iqms else None, differences=differences,
        within_correlation=args.within_correlation, multiplicative=args.multiplicative, alpha=args.alpha,
        simulations=args.simulations, random_state=args.seed,
    )
    if args.ratings:
        power = pd.concat([power, _rating_power(args, key)], ignore_index=True)
    summary = smallest_n(power, args.target)
    parameters = {name: getattr(args, name) for name in (
        "n", "delta", "shift_iqms", "multiplicative", "within_correlation", "conditions", "alpha", "target",
        "simulations", "seed", "bias", "raters", "rating_simulations")}
    parameters["ratings"] = str(args.ratings) if args.ratings else None  # a path, written as text
    parameters["iqms"] = list(prepared.iqms)
    write_power(power, summary, args.out, inputs=inputs, parameters=parameters, overwrite=args.force)
    if not args.no_report:
        write_report(args.out, overwrite=args.force)
    hotelling = summary[summary["test"] == "hotelling"]
    for row in hotelling.itertuples():
        reach = "none of the planned n" if pd.isna(row.smallest_n) else f"n = {row.smallest_n}"
        print(f"Hotelling, delta {row.delta:g}: power {args.target:g} reached at {reach}", file=sys.stderr)
    uncalibrated = power[(power["delta"] == 0) & (power["type_i"] != "calibrated")]
    if len(uncalibrated):
        print(f"iqmstats: note: {len(uncalibrated)} test(s) are not calibrated at delta 0 (see type_i in power.tsv)", file=sys.stderr)
    print(f"iqmstats {__version__}: outputs in {args.out}", file=sys.stderr)
    return 0


def _rating_power(args, key) -> pd.DataFrame:
    """Power of the ratings' mixed model, with the variances of the pilot ratings' fit."""
    conditions = names(args.conditions or "")
    if key is None or len(conditions) != 2:
        raise ParameterError("--ratings needs --key (to unblind the pilot ratings) and the two --conditions")
    pilot = read_ratings(args.ratings).data
    pilot = unblind_ratings(pilot, key)
    fit = rating_models(pilot, conditions).iloc[0]
    variances = {"participant": fit.var_participant, "rater": fit.var_rater, "residual": fit.var_residual}
    return simulate_rating_power(
        variances, n_values=_numbers(args.n, int, "--n"), biases=_numbers(args.bias, float, "--bias"),
        raters=args.raters or pilot["rater"].nunique(), mean=float(pilot["rating"].mean()), alpha=args.alpha,
        simulations=args.rating_simulations, random_state=args.seed,
    )
