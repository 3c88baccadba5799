"""The findings in words: one place writes the sentences that ``.summary()``, the command line
and the report's summary show, so they never disagree.

Each function returns :class:`~iqmstats.errors.Message` lines: parameters they advise are
rendered for the reader (``reduce='pca'`` in Python, ``--reduce pca`` on the command line).
"""

from __future__ import annotations

import math

from .errors import Message, Param

ALPHA = 0.05


def number(value, digits: int = 3) -> str:
    """3 significant digits; whole numbers without decimals; missing as n/a."""
    if value is None:
        return "n/a"
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(value):
        return "n/a"
    if value.is_integer() and abs(value) < 1e6:
        return f"{int(value)}"
    return f"{value:.{digits}g}"


def p_text(value) -> str:
    """A p-value in words: 3 significant digits; one that underflows to 0 as < 1e-300."""
    try:
        if float(value) == 0:
            return "< 1e-300"
    except (TypeError, ValueError):
        pass
    return number(value)


def _names(values, limit: int = 6) -> str:
    values = list(values)
    return ", ".join(values[:limit]) + (f" and {len(values) - limit} more" if len(values) > limit else "")


def comparison_summary(result) -> list[Message]:
    """What ``compare`` found, in a few lines."""
    provenance = result.provenance
    parameters = provenance["parameters"]
    conditions = parameters["conditions"]
    lines = [
        Message(
            f"{provenance['n_participants']} participants, {' vs '.join(conditions)} (differences {parameters['differences']}), "
            f"{provenance['n_iqms_analysed']} measures analysed; {len(result.excluded)} excluded with reasons in excluded_iqms.tsv"
        )
    ]
    lines += [Message(f"note: {note}") for note in provenance.get("notes", [])]
    dropped = provenance.get("participants_dropped", [])
    if dropped:
        reasons = sorted({row["reason"] for row in dropped})
        lines.append(
            Message(
                f"{len(dropped)} participant(s) set aside before pairing ({'; '.join(reasons)}): "
                f"{_names(row['participant'] for row in dropped)}"
            )
        )
    left_out = provenance.get("multivariate_left_out", [])
    if left_out:
        lines.append(
            Message(
                f"the multivariate tests use the {provenance['n_multivariate']} participants with every measure; left out: "
                + "; ".join(f"{row['participant']} ({row['reason']})" for row in left_out[:8])
                + (f"; and {len(left_out) - 8} more" if len(left_out) > 8 else "")
                + ". Each per-measure test uses every pair that has the measure."
            )
        )
    lines += _multivariate_lines(result, parameters)
    lines += _per_measure_lines(result)
    lines += _equivalence_lines(result, parameters)
    lines += decision_lines(result.decisions, provenance["n_participants"])
    lines.append(audit_line(provenance["pairing_audit"]))
    return lines


def _multivariate_lines(result, parameters) -> list[Message]:
    from .stats.multivariate import headline

    row = headline(result.multivariate)
    if row is None:
        return []
    table = result.multivariate
    untested = table[table["note"].fillna("").astype(str).str.startswith("not testable")]
    others = sorted(set(untested["test"]) - {row["test"]})
    also = f" (not testable either: {', '.join(others)})" if others else ""
    if isinstance(row["note"], str) and row["note"]:
        reason = row["note"].removeprefix("not testable: ").split("; ")[0]
        fix = (
            Message("keep fewer components (a smaller share with {0}) or add participants", Param("pca_rule", 0.8))
            if parameters.get("reduce") == "pca"
            else Message(
                "reduce the measures to principal components with {0}, or analyse fewer with {1}",
                Param("reduce", "pca"),
                Param("measures", ["..."]),
            )
        )
        return [
            Message(f"paired Hotelling's T2 is not testable: {reason}{also}. To test it, " + fix.template, *fix.params)
        ]
    permutation = f" (sign-flip permutation p = {number(row['p_resampled'])})" if row["n_resamples"] else ""
    verdict = "changed" if row["p_value"] < ALPHA else "did not detectably change"
    return [
        Message(
            f"paired Hotelling T2 = {number(row['value'], 4)}, F({number(row['df1'])}, {number(row['df2'])}) = "
            f"{number(row['f'], 4)}, p = {p_text(row['p_value'])}{permutation}: the condition {verdict} the measures{also}"
        )
    ]


def _per_measure_lines(result) -> list[Message]:
    table = result.per_iqm
    first = table[table["comparison"] == result.provenance["parameters"]["differences"]]
    if first.empty:
        return []
    moved = first[first["p_t_holm"] < ALPHA]
    top = first.reindex(first["dz"].abs().sort_values(ascending=False).index).head(3)
    largest = ", ".join(f"{r.iqm} (dz = {number(r.dz)})" for r in top.itertuples())
    return [
        Message(
            f"per measure: {len(moved)} of {len(first)} changed (paired t, Holm p < {ALPHA:g}); "
            f"the largest standardised changes: {largest}"
        )
    ]


def _equivalence_lines(result, parameters) -> list[Message]:
    table = result.equivalence
    if table is None:
        return []
    first = table[table["comparison"] == parameters["differences"]]
    margin = (
        f"+/- {number(parameters['margin'])} reference SD"
        if parameters.get("margin") is not None
        else "the margins given"
    )
    groups = {
        verdict: first.loc[first["verdict"] == verdict, "iqm"].tolist()
        for verdict in ("beyond_margin", "equivalent", "inconclusive")
    }
    parts = [
        f"{len(groups['beyond_margin'])} moved beyond the margin ({_names(groups['beyond_margin'])})",
        f"{len(groups['equivalent'])} shown equivalent ({_names(groups['equivalent'])})",
        f"{len(groups['inconclusive'])} inconclusive ({_names(groups['inconclusive'])})",
    ]
    lines = [
        Message(
            f"equivalence within {margin} (TOST, Holm, alpha {number(parameters['alpha'])}): "
            + "; ".join(part.replace(" ()", "") for part in parts)
        )
    ]
    imprecise = first.loc[first["note"].fillna("").astype(str).str.startswith("SD_ref is imprecise"), "iqm"]
    if len(imprecise):
        lines.append(
            Message(
                f"heavy-tailed measures (kurtosis > 9), whose reference SD, and so their margin, is imprecise: "
                f"{_names(imprecise)}; see sd_reference_rse in equivalence.tsv, or give margins in raw units with {{0}}",
                Param("margins"),
            )
        )
    return lines


def decision_lines(
    decisions, participants: int | None = None, conditions=("the first condition", "the second")
) -> list[Message]:
    """How many participants' QC decisions flip: the rules per measure together, every other
    rule (any measure, decision columns, rating thresholds) on its own line, with how many of the
    ``participants`` lack a decision (``conditions`` name them where the table does not)."""
    if decisions is None or decisions.empty:
        return []
    lines = []
    per_measure = decisions[decisions["rule"].str.match(r"iqr:(?!any$)")]
    per_rater = decisions[decisions["rule"].str.match(r"ratings:[^:]+:")]
    if len(per_rater):
        flips = per_rater["flips_a_only"] + per_rater["flips_b_only"]
        leaning = per_rater[per_rater["p_mcnemar_exact"] < ALPHA]
        raters = ", ".join(f"{rule.split(':', 2)[2]} {int(f)}" for rule, f in zip(per_rater["rule"], flips))
        lines.append(
            Message(
                f"QC by the rating threshold, per rater: decisions flip for {raters} of {int(per_rater['n'].max())} "
                "participants"
                + (
                    f"; McNemar exact p < {ALPHA:g} for {_names(leaning['rule'].str.split(':').str[2])}"
                    if len(leaning)
                    else "; no rater's flips lean one way (McNemar exact p >= 0.05)"
                )
            )
        )
    if len(per_measure):
        flips = per_measure["flips_a_only"] + per_measure["flips_b_only"]
        worst = per_measure.loc[flips.idxmax()]
        significant = per_measure[per_measure["p_mcnemar_exact"] < ALPHA]
        lines.append(
            Message(
                f"QC by the IQR rule per measure: decisions flip for {int((flips > 0).sum())} of {len(per_measure)} measures, "
                f"for at most {int(flips.max())} of {int(worst['n'])} participants ({worst['rule'].removeprefix('iqr:')})"
                + (
                    f"; McNemar exact p < {ALPHA:g} for {_names(significant['rule'].str.removeprefix('iqr:'))}"
                    if len(significant)
                    else "; no measure's flips lean one way (McNemar exact p >= 0.05)"
                )
            )
        )
    for row in decisions[
        ~decisions.index.isin(per_measure.index) & ~decisions.index.isin(per_rater.index)
    ].itertuples():
        flips = row.flips_a_only + row.flips_b_only
        first, second = str(row.comparison).split(" - ", 1) if hasattr(row, "comparison") else conditions
        undecided = participants - row.n if participants is not None else 0
        lines.append(
            Message(
                f"QC rule {row.rule}: {row.excluded_a} excluded under {first}, {row.excluded_b} under {second}; "
                f"{flips} of {row.n} participants' decisions flip ({row.flips_a_only} excluded under {first} only, "
                f"{row.flips_b_only} under {second} only; McNemar exact p = {p_text(row.p_mcnemar_exact)})"
                + (f"; {undecided} participant(s) lack a decision under a condition" if undecided > 0 else "")
            )
        )
    return lines


def audit_line(audit: dict) -> Message:
    """The pairing audit in words."""
    verdict = audit.get("verdict")
    if verdict == "not testable":
        return Message(f"pairing audit: not testable ({audit.get('reason', '')})")
    found = (
        f"{100 * audit['identified']:.0f}% of images have their pair as nearest image under the other condition; "
        f"chance {100 * audit['chance']:.2g}%, p = {p_text(audit['p_value'])}"
    )
    if verdict == "aligned":
        return Message(f"pairing audit: aligned ({found})")
    return Message(
        f"WARNING: the pairing audit says misaligned ({found}): the labelled pairs are no more alike than "
        "random pairs. Were rows paired by position, or the participant and condition columns mixed up? "
        "(Or the measures do not tell participants apart.)"
    )


def ratings_summary(result) -> list[Message]:
    provenance, row = result.provenance, result.models.iloc[0]
    lines = [
        Message(
            f"{provenance['n_ratings']} ratings of {provenance['n_participants']} participants by {provenance['n_raters']} raters "
            f"(repeated presentations: {provenance['parameters']['repeats']}); {provenance['parameters']['effects']} = "
            f"{number(row['estimate'])} rating points (SE {number(row['se'])}), likelihood-ratio chi2({number(row['df'])}) = "
            f"{number(row['chi2'])}, p = {p_text(row['p_value'])}"
        )
    ]
    lines += [Message(f"note: {note}") for note in provenance.get("notes", [])]
    return lines + decision_lines(result.decisions, provenance["n_participants"], result.conditions)


def power_summary(result) -> list[Message]:
    import pandas as pd

    parameters = result.provenance["parameters"]
    lines = []
    for row in result.smallest_n[result.smallest_n["test"] == "hotelling"].itertuples():
        reach = "not reached at any planned n" if pd.isna(row.smallest_n) else f"reached at n = {row.smallest_n}"
        lines.append(Message(f"Hotelling, delta {number(row.delta)}: power {number(parameters['target'])} {reach}"))
    power = result.power
    untestable = power[power["type_i"].astype(str).str.startswith("not testable")]
    if len(untestable):
        lines.append(
            Message(
                f"Hotelling's test is not testable at n = {_names(map(str, sorted(set(untestable['n']))))}: "
                "no more pairs than measures; the per-measure tests are simulated"
            )
        )
    margin = parameters.get("margin")
    for row in result.smallest_n[result.smallest_n["test"] == "TOST: all (Holm)"].itertuples():
        reach = "not reached at any planned n" if pd.isna(row.smallest_n) else f"reached at n = {row.smallest_n}"
        lines.append(
            Message(
                f"TOST, every measure within {number(margin)} SD at a true shift of {number(row.delta)}: "
                f"power {number(parameters['target'])} {reach}"
            )
        )
    null = power[power["type_i"].isin(["calibrated", "conservative", "liberal"])]
    if len(null):
        tests = set(null["test"])
        liberal = sorted(set(null.loc[null["type_i"] == "liberal", "test"]))
        conservative = sorted(set(null.loc[null["type_i"] == "conservative", "test"]) - set(liberal))
        kept = len(tests) - len(liberal) - len(conservative)
        text = f"at the null, {kept} of {len(tests)} tests keep alpha at every planned n"
        if conservative:
            text += (
                f"; conservative (fewer false positives than alpha; expected of Holm over correlated measures "
                f"and of TOST at the margin): {_names(conservative)}"
            )
        if liberal:
            text += f"; LIBERAL (more false positives than alpha: do not rely on their power): {_names(liberal)}"
            if any(test.startswith("TOST") for test in liberal):
                text += (
                    " (a TOST margin in SDs is scaled by the sample's SD, which small samples of "
                    "heavy-tailed measures underestimate: plan a larger n)"
                )
        lines.append(Message(text))
    lines += [Message(f"note: {note}") for note in result.provenance.get("notes", [])]
    return lines
