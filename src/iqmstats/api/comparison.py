"""``iqmstats.compare``: did the condition change the measures? One validated call from MRIQC outputs
(or any table of measures) to every table of the comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InsufficientDataError, Param, ParameterError
from ..validation import validate
from .common import load_key, load_table, one_blas_thread, provenance, record_file, refuse_together


def compare(
    data,
    *,
    participant: str = "participant",
    condition: str = "condition",
    conditions=None,
    measures=None,
    between: str | None = None,
    permutations: int = 10_000,
    bootstrap: int = 10_000,
    seed: int = 0,
    key=None,
    key_map=None,
    participants=None,
    where=None,
    average_over=None,
    repeats: str = "first",
    drop_unpaired: bool = False,
    modality: str | None = None,
    common_iqms: bool = False,
    on_invalid: str = "raise",
    reduce: str | None = None,
    pca_rule="kaiser",
    fit_on=None,
    standardise_within: bool = False,
    max_missing_share: float = 0.1,
    max_identical_share: float = 0.95,
    margin: float | None = None,
    margins=None,
    alpha: float = 0.05,
    iqr_k: float = 1.5,
    decision_columns=None,
    progress: bool = False,
):
    """Pair each participant's images by key, audit the pairing, and test the condition effect.

    Parameters
    ----------
    data : path, IQMTable or DataFrame
        MRIQC outputs (a folder of per-image JSONs, a group TSV), or any table with one row per
        image (``S2_Data.csv``, a table of principal components).
    participant, condition : str
        The columns naming each image's participant and condition (``participant`` and
        ``condition`` are what unblinding adds; a BIDS tree has ``subject`` and ``session``).
    conditions : list of str, optional
        Which conditions, in which order: differences are first minus second (A - B). Without
        it, a column holding exactly two conditions is compared in sorted order (and the
        provenance says so).
    measures : list of str, optional
        The columns to analyse: any numeric columns (IQMs, principal components, harmonised
        IQMs). Catalogue rules apply to MRIQC IQMs only; named measures lose only exact
        degeneracies. Default: the table's MRIQC IQMs.
    between : str, optional
        A between-participant factor (e.g. site): adds the between-factor MANOVA and WTS/MATS.
    permutations, bootstrap, seed : int
        Sign-flip permutations of Hotelling's test, bootstrap resamples of the per-measure CIs
        (0 turns either off) and the seed of every random draw.
    key, key_map : optional
        Unblind first: a key file, key document or BlindingKey; ``key_map`` renames condition
        tokens ({'non_defaced': 'original'}).
    participants : path or DataFrame, optional
        A BIDS participants table whose columns (e.g. site) are joined by participant.
    where, average_over : optional
        Several images per participant and condition (tasks, runs): keep the images whose
        column holds one of the values ({'task': 'rest'}), and/or average the measures over
        columns (['run']).
    repeats : {'first', 'random', 'mean'}
        Repeated presentations of a blinded image: keep presentation 1, a random one, or the mean.
    drop_unpaired : bool
        Leave out (and list) participants lacking a condition instead of refusing.
    modality, common_iqms, on_invalid : optional
        Keep only one BIDS suffix; keep the IQMs all records share (mixed MRIQC versions);
        ``on_invalid='skip'`` leaves malformed files or rows out (listed in the provenance).
    reduce, pca_rule, fit_on, standardise_within : optional
        ``reduce='pca'``: z-score and PCA fitted once ('kaiser' or a share of variance; on all
        conditions pooled or on ``fit_on``; per level of ``between`` when ``standardise_within``).
    max_missing_share, max_identical_share : float
        Screen: drop MRIQC IQMs missing in more than this share of images, or with one value in
        at least this share.
    margin, margins, alpha : optional
        Equivalence (TOST) per measure: a margin in reference-condition SDs, or per-measure raw
        margins (a TSV with columns ``iqm margin``, a DataFrame or a dict); ``alpha`` for TOST.
    iqr_k, decision_columns : optional
        QC decisions applied to both conditions: the IQR rule with thresholds fitted on the
        first condition (k = ``iqr_k``), and per-image decision columns ({'qc': ['exclude']} or
        a list of columns holding known words such as include/exclude).
    progress : bool
        Progress bar while reading a folder.

    Returns
    -------
    Comparison
        ``per_iqm``, ``multivariate``, ``excluded``, ``paired``, ``equivalence``, ``decisions``,
        ``decision_flips``, ``provenance``; ``.write(folder)``, ``.write_report(path)``,
        ``.summary()``.

    Examples
    --------
    >>> import iqmstats
    >>> result = iqmstats.compare(iqmstats.load_example("ixi-iqms"), key=iqmstats.load_example("ixi-key"),
    ...                           key_map={"non_defaced": "original"}, conditions=["original", "defaced"],
    ...                           permutations=200, bootstrap=200, margin=0.2)
    >>> len(result.per_iqm), result.audit["verdict"], result.equivalence.verdict.value_counts().to_dict()["equivalent"]
    (53, 'aligned', 52)
    """
    arguments = validate("compare", locals())
    refuse_together(arguments, "margin", "margins")
    if arguments["standardise_within"] and (arguments["reduce"] != "pca" or arguments["between"] is None):
        raise ParameterError(
            "{0} needs a PCA and a between factor: give {1} and {2}",
            Param("standardise_within", True),
            Param("reduce", "pca"),
            Param("between"),
        )
    if arguments["fit_on"] is not None and arguments["reduce"] != "pca":
        raise ParameterError(
            "{0} says which condition the PCA is fitted on: it needs {1}",
            Param("fit_on", arguments["fit_on"]),
            Param("reduce", "pca"),
        )
    return _compare(**arguments)


def _compare(
    *,
    data,
    participant,
    condition,
    conditions,
    measures,
    between,
    permutations,
    bootstrap,
    seed,
    key,
    key_map,
    participants,
    where,
    average_over,
    repeats,
    drop_unpaired,
    modality,
    common_iqms,
    on_invalid,
    reduce,
    pca_rule,
    fit_on,
    standardise_within,
    max_missing_share,
    max_identical_share,
    margin,
    margins,
    alpha,
    iqr_k,
    decision_columns,
    progress,
):
    from ..io.tables import join_participants, read_participants
    from ..pairing import audit_pairing, pair_iqms
    from ..results import Comparison
    from ..selection import select_images
    from ..stats.preprocess import prepare_iqms

    inputs = {}
    table = load_table(
        data,
        measures=measures,
        modality=modality,
        common_iqms=common_iqms,
        on_invalid=on_invalid,
        progress=progress,
        inputs=inputs,
    )
    if key is not None:
        from ..blinding import unblind

        table = unblind(table, load_key(key, key_map, inputs))
    if participants is not None:
        if not isinstance(participants, pd.DataFrame):
            record_file(inputs, "participants", participants)
        table = join_participants(table, read_participants(participants), participant=participant)
    raw_margins = _margins(margins, inputs) if margins is not None else None
    decisions_wanted = _decision_columns(table.data, decision_columns)
    frame = table.data.assign(**{f"decision:{name}": values for name, values in decisions_wanted.items()})
    extra = list(map("decision:{}".format, decisions_wanted))
    selection = select_images(
        frame,
        measures=[*table.iqms, *extra],
        participant=participant,
        condition=condition,
        conditions=conditions,
        where=where,
        average_over=average_over,
        repeats=repeats,
        between=between,
        seed=seed,
    )
    if between is not None and len(selection.conditions) != 2:
        raise ParameterError(
            "{0} needs exactly two conditions; got " + ", ".join(selection.conditions), Param("between", between)
        )
    paired = pair_iqms(
        selection.rows,
        measures=table.iqms,
        participant=participant,
        condition=condition,
        conditions=selection.conditions,
        between=between,
        drop_unpaired=drop_unpaired,
        dropped=selection.dropped,
    )
    _refuse_empty_conditions(paired)
    prepared = prepare_iqms(
        paired,
        modality=table.modality,
        named=measures is not None,
        max_missing_share=max_missing_share,
        max_identical_share=max_identical_share,
        reduce=reduce,
        fit_on=fit_on,
        pca_rule=pca_rule,
        standardise_within=standardise_within,
    )
    if not prepared.paired.iqms:
        counts = prepared.excluded["reason"].value_counts()
        examples = "; ".join(f"{row.iqm}: {row.detail}" for row in prepared.excluded.head(3).itertuples())
        raise InsufficientDataError(
            f"no measure is left to test: all {len(prepared.excluded)} were excluded ("
            + ", ".join(f"{n} {reason}" for reason, n in counts.items())
            + f"; e.g. {examples}). Were the right columns named as measures?"
        )
    audit = audit_pairing(_audit_values(prepared.kept), seed=seed)
    with one_blas_thread():
        per_iqm = _per_measure(prepared.paired, bootstrap, seed)
        multivariate = _multivariate(prepared, between, permutations, seed, reduce)
        equivalence = _equivalence(prepared.paired, margin, raw_margins, alpha) if margin or raw_margins else None
        decisions, flips = _decisions(prepared.kept, selection, participant, condition, extra, iqr_k)
    parameters = dict(
        participant=participant,
        condition=condition,
        conditions=list(selection.conditions),
        differences=f"{selection.conditions[0]} - {selection.conditions[1]}",
        measures=measures,
        between=between,
        permutations=permutations,
        bootstrap=bootstrap,
        seed=seed,
        key_map=key_map,
        where=where,
        average_over=average_over,
        repeats=repeats,
        drop_unpaired=drop_unpaired,
        modality=modality,
        common_iqms=common_iqms,
        on_invalid=on_invalid,
        reduce=reduce,
        pca_rule=pca_rule,
        fit_on=fit_on,
        standardise_within=standardise_within,
        max_missing_share=max_missing_share,
        max_identical_share=max_identical_share,
        margin=margin,
        margins="given" if margins is not None else None,
        alpha=alpha,
        iqr_k=iqr_k,
        decision_columns=decision_columns,
    )
    record = provenance(
        "compare",
        inputs,
        parameters,
        modality=table.modality,
        n_participants=paired.n,
        n_iqms_analysed=len(prepared.paired.iqms),
        measures_analysed=list(prepared.paired.iqms),
        n_multivariate=prepared.complete.n,
        participants_dropped=prepared.paired.dropped.to_dict("records"),
        multivariate_left_out=prepared.left_out.to_dict("records"),
        pairing_audit=audit,
        notes=selection.notes,
        passed_over=table.skipped.to_dict("records"),
        margins=raw_margins,
    )
    reduction = prepared.reduction
    return Comparison(
        provenance=record,
        per_iqm=per_iqm,
        multivariate=multivariate,
        excluded=prepared.excluded,
        paired=prepared.paired.to_frame(),
        equivalence=equivalence,
        decisions=decisions,
        decision_flips=flips,
        pca_loadings=reduction["loadings"].rename_axis("iqm").reset_index() if reduction else None,
        pca_explained=reduction["explained"] if reduction else None,
    )


def _refuse_empty_conditions(paired) -> None:
    """A condition whose images hold no value of any measure is not a condition to compare."""
    for j, condition in enumerate(paired.conditions):
        if np.isnan(paired.values[:, j, :]).all():
            others = [c for c in paired.conditions if c != condition]
            raise InsufficientDataError(
                f"condition {condition!r}: none of its {paired.n} images has a value of any measure; "
                "compare the others with {0}",
                Param("conditions", others),
            )


def _audit_values(kept):
    """What the pairing audit compares: every participant on the measures no one lacks (more
    participants make a sharper audit than a few more measures), else the complete cases."""
    whole = [name for j, name in enumerate(kept.iqms) if not np.isnan(kept.values[:, :, j]).any()]
    return kept.complete(whole) if whole else kept.complete()


def condition_pairs(conditions) -> list[tuple[str, str]]:
    """The comparisons reported: the first condition against each other, then the others pairwise."""
    first = conditions[0]
    return [(first, other) for other in conditions[1:]] + [
        (a, b) for i, a in enumerate(conditions[1:], 1) for b in conditions[i + 1 :]
    ]


def _per_measure(paired, bootstrap, seed) -> pd.DataFrame:
    from ..stats.univariate import per_iqm_tests

    return pd.concat(
        [
            per_iqm_tests(paired.condition(first), paired.condition(second), bootstrap=bootstrap, seed=seed).assign(
                comparison=f"{first} - {second}"
            )
            for first, second in condition_pairs(paired.conditions)
        ],
        ignore_index=True,
    )


def _multivariate(prepared, between, permutations, seed, reduce) -> pd.DataFrame:
    """Every multivariate test on the participants with every measure; a test the data cannot
    support is a 'not testable' row saying why and what would make it testable."""
    from ..stats.multivariate import (
        TooFewForMeasures,
        between_manova,
        not_testable,
        preregistered_manova,
        repeated_measures,
    )
    from ..stats.wts_mats import wts_mats

    data = prepared.complete
    n, k, p = data.values.shape
    effect = f"{data.conditions[0]} - {data.conditions[1]}" if k == 2 else "condition"
    paired_test = (
        ("hotelling_paired", "paired (repeated measures)")
        if k == 2
        else ("hotelling_omnibus", f"repeated measures ({k} conditions)")
    )
    tests = [
        (
            *paired_test,
            effect,
            "hotelling_t2",
            lambda: repeated_measures(data.values, data.conditions, permutations=permutations, seed=seed),
        ),
        (
            "manova_preregistered",
            "independent groups (ignores the pairing)",
            "condition",
            "pillai",
            lambda: preregistered_manova(data.values.transpose(1, 0, 2).reshape(-1, p), np.repeat(data.conditions, n)),
        ),
    ]
    if between is not None:
        groups = None if data.between is None else data.between.to_numpy()
        tests += [
            (
                "manova_between",
                "repeated measures x between factor",
                "condition",
                "pillai",
                lambda: between_manova(data.values, groups, factor=between),
            ),
            (
                "wts_mats",
                "semi-parametric repeated measures (MANOVA.RM)",
                "condition",
                "wts",
                lambda: wts_mats(data.values, groups, factor=between, resamples=permutations, seed=seed),
            ),
        ]
    fix = (
        "keep fewer components (a smaller share of variance with pca_rule) or add participants"
        if reduce == "pca"
        else "reduce the measures to principal components, or analyse fewer measures"
    )
    rows = []
    for test, design, effect_name, statistic, run in tests:
        if n < 2 or p == 0:
            reason = (
                "no measure is left to analyse"
                if p == 0
                else f"{n} participant(s) have every measure under every condition"
            )
            rows.append(not_testable(test, design, effect_name, statistic, n=n, p=p, reason=reason))
            continue
        try:
            rows.append(run())
        except TooFewForMeasures as exc:
            rows.append(not_testable(test, design, effect_name, statistic, n=n, p=p, reason=f"{exc}; {fix}"))
        except InsufficientDataError as exc:
            rows.append(not_testable(test, design, effect_name, statistic, n=n, p=p, reason=str(exc)))
    return pd.concat(rows, ignore_index=True)


def _equivalence(paired, margin, margins, alpha) -> pd.DataFrame:
    from ..stats.equivalence import equivalence_tests

    return pd.concat(
        [
            equivalence_tests(
                paired.condition(first), paired.condition(second), margin=margin, margins=margins, alpha=alpha
            ).assign(comparison=f"{first} - {second}")
            for first, second in condition_pairs(paired.conditions)
        ],
        ignore_index=True,
    )


def _margins(margins, inputs) -> dict:
    """Raw margins {measure: margin} from a dict, a DataFrame or a TSV with columns iqm, margin."""
    from ..errors import InputError
    from ..io.tables import read_plain_table

    if isinstance(margins, dict):
        return margins
    if not isinstance(margins, pd.DataFrame):
        record_file(inputs, "margins", margins)
        margins = read_plain_table(margins)
    if not {"iqm", "margin"} <= set(margins.columns):
        raise InputError(
            "the margins table needs columns iqm and margin (one row per measure, raw units)", Param("margins")
        )
    values = pd.to_numeric(margins["margin"], errors="coerce")
    bad = values.isna() | ~np.isfinite(values) | (values <= 0)
    if bad.any():
        raise InputError(
            f"the margins table gives {margins['iqm'][bad].iloc[0]} the margin "
            f"{margins['margin'][bad].iloc[0]!r}: margins must be numbers > 0",
            Param("margins"),
        )
    if margins["iqm"].duplicated().any():
        raise InputError(
            f"the margins table lists {margins['iqm'][margins['iqm'].duplicated()].iloc[0]} twice", Param("margins")
        )
    return dict(zip(margins["iqm"].astype(str), values.astype(float)))


def _decision_columns(frame: pd.DataFrame, wanted) -> dict[str, pd.Series]:
    """Per-image decision columns as 1.0 (excluded) / 0.0 (kept) / NaN."""
    from ..errors import did_you_mean
    from ..stats.decisions import decision_values

    if wanted is None:
        return {}
    spec = wanted if isinstance(wanted, dict) else {name: None for name in wanted}
    found = {}
    for name, excluded in spec.items():
        if name not in frame:
            raise ParameterError(
                f"{{0}}: no column {name!r}. {did_you_mean(name, frame.columns)}",
                Param("decision_columns", wanted),
            )
        found[name] = decision_values(frame[name], name, excluded)
    return found


def _decisions(kept, selection, participant, condition, extra, iqr_k):
    """decisions.tsv and decision_flips.tsv: the IQR rule on the analysed measures (before any
    reduction) and the user's decision columns, the first condition against each other."""
    from ..stats.decisions import decision_table, iqr_decisions, tables

    by_image = selection.rows.set_index([participant, condition])
    everyone = list(kept.participants)
    decisions, flips = [], []
    first = kept.conditions[0]
    for second in kept.conditions[1:]:
        parts = (
            [iqr_decisions(kept.condition(first), kept.condition(second), (first, second), k=iqr_k)]
            if kept.iqms
            else []
        )
        columns = []
        for column in extra:
            a, b = (by_image[column].xs(c, level=condition).reindex(everyone) for c in (first, second))
            columns.append(
                decision_table(
                    f"column:{column.removeprefix('decision:')}",
                    a.gt(0).where(a.notna()),
                    b.gt(0).where(b.notna()),
                    (first, second),
                )
            )
        if columns:
            parts.append(tables(columns))
        for table, flipped in parts:
            decisions.append(table.assign(comparison=f"{first} - {second}"))
            flips.append(flipped.assign(comparison=f"{first} - {second}"))
    if not decisions:
        return None, None
    return pd.concat(decisions, ignore_index=True), pd.concat(flips, ignore_index=True)
