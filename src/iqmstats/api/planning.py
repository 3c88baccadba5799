"""``iqmstats.power``: how many participants does a study need? Power by simulation."""

from __future__ import annotations

from ..errors import Param, ParameterError
from ..validation import validate
from .common import load_key, load_table, provenance, record_file


def power(
    reference,
    *,
    n=(100, 200, 400),
    delta=(0.0, 0.1, 0.2),
    conditions=None,
    participant: str = "participant",
    condition: str = "condition",
    reference_condition=None,
    measures=None,
    shift=None,
    multiplicative: bool = False,
    within_correlation: float = 0.9,
    key=None,
    key_map=None,
    modality=None,
    on_invalid: str = "raise",
    where=None,
    average_over=None,
    reduce=None,
    pca_rule="kaiser",
    margin: float | None = None,
    ratings=None,
    bias=(0.0, 0.05, 0.1),
    raters=None,
    rating_simulations: int = 200,
    alpha: float = 0.05,
    target: float = 0.8,
    simulations: int = 1000,
    seed: int = 0,
    jobs=None,
):
    """Simulation-based power of the paired tests of ``compare`` for planned numbers of pairs.

    Parameters
    ----------
    reference : path, IQMTable or DataFrame
        Real measures to resample: paired pilot data (give the two ``conditions``; their real
        differences are resampled, e.g. a test-retest tree with ``participant='subject'``,
        ``condition='session'``), or unpaired reference images (e.g. mriqc-learn's
        ``abide.tsv``; the second condition is simulated with ``within_correlation``),
        optionally only the rows of ``reference_condition``.
    n, delta : lists
        Planned numbers of pairs (each at most the reference's participants) and effects: shifts
        in reference SDs of the ``shift`` measures (default all), first minus second; with
        ``multiplicative`` the second condition times 1 + delta. delta 0 gives the type-I error.
    measures, reduce, pca_rule, where, average_over, modality, on_invalid, key, key_map
        As in ``compare``.
    margin : float, optional
        Also the power of TOST (equivalence) with this margin in reference SDs; at delta equal to
        the margin, its type-I error.
    ratings, bias, raters, rating_simulations : optional
        Pilot ratings (unblinded with ``key``): also the power of the ratings' mixed model to
        detect a rating bias (rating points).
    alpha, target, simulations, seed, jobs
        Test level, the power to reach, simulated studies per cell, seed, worker processes.

    Examples
    --------
    >>> import iqmstats
    >>> result = iqmstats.power(iqmstats.example_path("ixi-iqms"), condition="defaced", reference_condition="0",
    ...                         n=[60], delta=[0.0, 0.3], measures=["cjv", "efc", "snr_wm"], simulations=200)
    >>> result.power.query("test == 'hotelling'")[["delta", "type_i"]].values.tolist()
    [[0.0, 'calibrated'], [0.3, '']]
    """
    arguments = validate("power", locals())
    if arguments["ratings"] is not None and (arguments["key"] is None or arguments["conditions"] is None):
        raise ParameterError(
            "{0} needs {1} (to unblind the pilot ratings) and the two {2}",
            Param("ratings"),
            Param("key"),
            Param("conditions"),
        )
    if arguments["conditions"] is not None and arguments["reference_condition"] is not None:
        raise ParameterError(
            "give {0} (paired pilot data) or {1} (unpaired reference rows), not both",
            Param("conditions", arguments["conditions"]),
            Param("reference_condition", reference_condition),
        )
    return _power(**arguments)


def _power(
    *,
    reference,
    n,
    delta,
    conditions,
    participant,
    condition,
    reference_condition,
    measures,
    shift,
    multiplicative,
    within_correlation,
    key,
    key_map,
    modality,
    on_invalid,
    where,
    average_over,
    reduce,
    pca_rule,
    margin,
    ratings,
    bias,
    raters,
    rating_simulations,
    alpha,
    target,
    simulations,
    seed,
    jobs,
):
    import pandas as pd

    from ..pairing import PairedIQMs, pair_iqms
    from ..results import PowerResult
    from ..selection import select_images
    from ..stats.power import simulate_power, smallest_n
    from ..stats.preprocess import prepare_iqms

    inputs = {}
    table = load_table(
        reference, measures=measures, modality=modality, on_invalid=on_invalid, inputs=inputs, name="reference"
    )
    found_key = load_key(key, key_map, inputs) if key is not None else None
    if found_key is not None:
        from ..blinding import unblind

        table = unblind(table, found_key)
    if conditions is not None:
        chosen = select_images(
            table.data,
            measures=table.iqms,
            participant=participant,
            condition=condition,
            conditions=conditions,
            where=where,
            average_over=average_over,
            seed=seed,
        )
        paired = pair_iqms(
            chosen.rows,
            measures=table.iqms,
            participant=participant,
            condition=condition,
            conditions=chosen.conditions,
            dropped=chosen.dropped,
        )
    else:
        data = table.data
        if reference_condition is not None:
            if condition not in data:
                from ..errors import did_you_mean

                raise ParameterError(
                    f"{{0}}: no column {condition!r}. {did_you_mean(condition, table.id_columns)}",
                    Param("condition", condition),
                )
            present = sorted(data[condition].astype(str).unique())
            if reference_condition not in present:
                from ..errors import did_you_mean

                raise ParameterError(
                    f"{{0}}: not a value of column {condition!r}. {did_you_mean(reference_condition, present)}",
                    Param("reference_condition", reference_condition),
                )
            data = data[data[condition].astype(str) == reference_condition]
        paired = PairedIQMs(
            tuple(map(str, range(len(data)))),
            ("reference",),
            table.iqms,
            data[list(table.iqms)].to_numpy(dtype=float)[:, None, :],
        )
    prepared = prepare_iqms(
        paired, modality=table.modality, named=measures is not None, reduce=reduce, pca_rule=pca_rule
    )
    complete = prepared.complete
    values = complete.values
    differences = values[:, 0] - values[:, 1] if conditions is not None else None
    result = simulate_power(
        values[:, 0],
        n_values=n,
        deltas=delta,
        names=complete.iqms,
        shifted=shift,
        differences=differences,
        within_correlation=within_correlation,
        multiplicative=multiplicative,
        margin=margin,
        alpha=alpha,
        simulations=simulations,
        seed=seed,
        jobs=jobs,
    )
    if ratings is not None:
        result = pd.concat(
            [
                result,
                _rating_power(
                    ratings, found_key, conditions, n, bias, raters, rating_simulations, alpha, seed, jobs, inputs
                ),
            ],
            ignore_index=True,
        )
    parameters = dict(
        n=n,
        delta=delta,
        conditions=conditions,
        participant=participant,
        condition=condition,
        reference_condition=reference_condition,
        measures=measures,
        shift=shift,
        multiplicative=multiplicative,
        within_correlation=within_correlation,
        key_map=key_map,
        modality=modality,
        on_invalid=on_invalid,
        where=where,
        average_over=average_over,
        reduce=reduce,
        pca_rule=pca_rule,
        margin=margin,
        bias=bias,
        raters=raters,
        rating_simulations=rating_simulations,
        alpha=alpha,
        target=target,
        simulations=simulations,
        seed=seed,
    )
    record = provenance(
        "power",
        inputs,
        parameters,
        measures_simulated=list(complete.iqms),
        n_reference=complete.n,
        excluded=prepared.excluded.to_dict("records"),
        reference_left_out=prepared.left_out.to_dict("records"),
        notes=_overlap_notes(n, complete.n),
    )
    equivalence_deltas = None if multiplicative else margin  # a relative change has no place on an SD margin
    return PowerResult(provenance=record, power=result, smallest_n=smallest_n(result, target, equivalence_deltas))


def _overlap_notes(n_values, reference_n: int) -> list[str]:
    """Warn when simulated studies would share most of their participants."""
    large = [n for n in n_values if n > reference_n / 2]
    if not large:
        return []
    return [
        f"n = {', '.join(map(str, large))} is more than half of the reference's {reference_n} participants: "
        "the simulated studies share most participants, so they vary less than new samples would and the "
        "power there is pulled towards 0 or 1. Plan such n from a larger reference"
    ]


def _rating_power(ratings, key, conditions, n, bias, raters, simulations, alpha, seed, jobs, inputs):
    """Power of the ratings' mixed model, with the variances of the pilot ratings' fit."""
    from ..blinding import UNBLINDED_COLUMNS, unblind
    from ..io.ratings import read_ratings
    from ..stats.power import simulate_rating_power
    from ..stats.ratings import choose_presentations, rating_models

    if isinstance(ratings, str):
        record_file(inputs, "ratings", ratings)
    else:
        inputs["ratings"] = f"a DataFrame of {len(ratings)} rows"
    pilot = read_ratings(ratings).data
    pilot = unblind(
        pilot.drop(columns=[c for c in UNBLINDED_COLUMNS if c in pilot]), key, id_column="blinded_id", unique=False
    )
    fit = rating_models(choose_presentations(pilot), conditions).iloc[0]
    variances = {"participant": fit.var_participant, "rater": fit.var_rater, "residual": fit.var_residual}
    return simulate_rating_power(
        variances,
        n_values=n,
        biases=bias,
        raters=raters or pilot["rater"].nunique(),
        mean=float(pilot["rating"].mean()),
        alpha=alpha,
        simulations=simulations,
        seed=seed,
        jobs=jobs,
    )
