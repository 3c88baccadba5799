"""One home for parameter checks: every public parameter has one rule, shared by the Python API,
the analysis plans (``plan lock`` checks a plan with these rules) and, through them, the CLI.

A rule takes the value a caller gave and returns it normalised (condition labels as strings,
one name as a list of one, ``reduce="none"`` as None), or raises a :class:`ParameterError` that
names the parameter. A parameter means the same thing, and obeys the same rule, in every job
that takes it (``seed``, ``alpha``, ``conditions``, ...); the few job-specific rules are keyed
by (job, parameter).

Examples
--------
>>> check("permutations", 999)
999
>>> check("conditions", ["original", 1])
('original', '1')
>>> check("permutations", -5)
Traceback (most recent call last):
...
iqmstats.errors.ParameterError: permutations=-5: must be a whole number >= 0 (0 turns it off)
>>> check("repeats", "all", job="compare")
Traceback (most recent call last):
...
iqmstats.errors.ParameterError: repeats='all' is not valid. Valid choices: first, mean, random.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping

from .errors import Param, ParameterError, did_you_mean

MODALITIES = ("T1w", "T2w", "bold")


def _fail(name, value, problem: str):
    raise ParameterError(f"{{0}}: {problem}", Param(name, value))


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def count(minimum: int, off: str = ""):
    """A whole number >= ``minimum`` (``off`` explains what 0 means, when 0 is allowed)."""

    def rule(name, value):
        if not _is_int(value) or value < minimum:
            _fail(name, value, f"must be a whole number >= {minimum}{f' ({off})' if off else ''}")
        return int(value)

    return rule


def optional(rule):
    """None, or a value that passes ``rule``."""

    def check_optional(name, value):
        return None if value is None else rule(name, value)

    return check_optional


def number_in(low: float, high: float, *, closed_low=False, closed_high=False, what=""):
    """A finite number in an interval."""
    left, right = "[" if closed_low else "(", "]" if closed_high else ")"

    def rule(name, value):
        ok = _is_number(value) and math.isfinite(value)
        ok = ok and (value >= low if closed_low else value > low) and (value <= high if closed_high else value < high)
        if not ok:
            _fail(name, value, f"must be {what or 'a number'} in {left}{low:g}, {high:g}{right}")
        return float(value)

    return rule


def positive(name, value):
    if not (_is_number(value) and math.isfinite(value) and value > 0):
        _fail(name, value, "must be a finite number > 0")
    return float(value)


def finite(name, value):
    if not (_is_number(value) and math.isfinite(value)):
        _fail(name, value, "must be a finite number")
    return float(value)


def flag(name, value):
    if not isinstance(value, bool):
        _fail(name, value, "must be True or False")
    return value


def choice(*valid):
    def rule(name, value):
        if not isinstance(value, str) or value not in valid:
            raise ParameterError(f"{{0}} is not valid. {did_you_mean(str(value), valid)}", Param(name, value))
        return value

    return rule


def text(name, value):
    """A non-empty name (a column, a condition, a file-name token)."""
    if not isinstance(value, str) or not value.strip():
        _fail(name, value, "must be a non-empty name (a string)")
    return value


def label(name, value):
    """A condition or group label: a string, or a whole number taken as its digits."""
    if _is_int(value):
        return str(value)
    return text(name, value)


def decision_value(name, value):
    """A value of a decision column: a word, or a finite number taken as a person writes it (-1, 0.5)."""
    if _is_number(value):
        if not math.isfinite(value):
            _fail(name, value, "a decision value must be a word or a finite number")
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return text(name, value)


def names(minimum: int = 1, *, maximum: int | None = None, of=text, distinct=True, one_string_ok=True):
    """A list of names; one string counts as a list of one (when ``one_string_ok``)."""

    def rule(name, value):
        if isinstance(value, str) and one_string_ok:
            value = [value]
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
            example = "['original', 'defaced']" if name == "conditions" else "['cjv', 'efc']"
            _fail(name, value, f"must be a list of names, e.g. {example}")
        items = tuple(of(name, item) for item in value)
        if len(items) < minimum:
            _fail(name, value, f"name at least {minimum}")
        if maximum is not None and len(items) > maximum:
            _fail(name, value, f"name at most {maximum}")
        if distinct and len(set(items)) != len(items):
            twice = sorted({item for item in items if items.count(item) > 1})
            _fail(name, value, f"names {', '.join(twice)} more than once")
        return items

    return rule


def path(name, value):
    if isinstance(value, bytes) or not isinstance(value, (str, os.PathLike)) or not str(value):
        _fail(name, value, "must be a path (a string or pathlib.Path)")
    return os.fspath(value)


def data_source(name, value):
    """A path, an IQMTable or a pandas DataFrame."""
    from .io import IQMTable

    if isinstance(value, IQMTable) or type(value).__name__ == "DataFrame":
        return value
    if isinstance(value, (str, os.PathLike)) and not isinstance(value, bytes) and str(value):
        return os.fspath(value)
    _fail(name, value, "must be a path, an IQMTable or a pandas DataFrame")


def table_or_path(name, value):
    """A path or a pandas DataFrame."""
    if type(value).__name__ == "DataFrame":
        return value
    return path(name, value)


def key_source(name, value):
    """A key file, a BlindingKey, or a key document already loaded (a dict)."""
    from .blinding import BlindingKey

    if isinstance(value, (BlindingKey, Mapping)):
        return value
    return path(name, value)


def mapping_of_names(name, value):
    """{token: name}, e.g. {'non_defaced': 'original'}."""
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    ):
        _fail(name, value, "must be a dict of names, e.g. {'non_defaced': 'original'}")
    return dict(value)


def where_rule(name, value):
    """{column: value or list of values}: keep the images whose column holds one of the values."""
    if not isinstance(value, Mapping) or not value:
        _fail(name, value, "must be a dict such as {'task': 'rest'} or {'run': ['1', '2']}")
    return {text(name, column): names(1, of=label)(name, wanted) for column, wanted in value.items()}


def pca_rule(name, value):
    """'kaiser' (eigenvalues > 1) or a share of explained variance in (0, 1]."""
    if value == "kaiser":
        return value
    if _is_number(value) and 0 < value <= 1:
        return float(value)
    _fail(name, value, "must be 'kaiser' or a share of variance in (0, 1], e.g. 0.8")


def reduce_rule(name, value):
    if value in (None, "none"):
        return None
    return choice("pca")(name, value)


def margins_rule(name, value):
    """Per-measure margins in raw units: a TSV path (columns iqm, margin), a DataFrame, or a dict."""
    if isinstance(value, Mapping):
        for measure, margin in value.items():
            text(name, measure)
            positive(name, margin)
        return {measure: float(margin) for measure, margin in value.items()}
    return table_or_path(name, value)


def decision_columns_rule(name, value):
    """Per-image decision columns: a list of columns holding known words (include/exclude, pass/fail,
    1/0, ...), or {column: [values meaning excluded]}."""
    if isinstance(value, Mapping):
        return {
            text(name, column): names(1, of=decision_value)(name, [excluded] if _is_number(excluded) else excluded)
            for column, excluded in value.items()
        }
    chosen = names(1)(name, value)
    for column in chosen:
        if "=" in column:
            _fail(
                name,
                value,
                f"{column!r} is not a column name: to say which values mean excluded, give "
                f"{{{column.split('=')[0]!r}: [{column.split('=', 1)[1]!r}]}}",
            )
    return chosen


def numbers_rule(of):
    """A list of numbers, each passing ``of`` (one number counts as a list of one)."""

    def rule(name, value):
        if _is_number(value):
            value = [value]
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
            _fail(name, value, "must be a list of numbers")
        items = [of(name, item) for item in value]
        if not items:
            _fail(name, value, "give at least one number")
        return items

    return rule


def scale_rule(name, value):
    """(lowest, highest) rating."""
    try:
        low, high = value
    except (TypeError, ValueError):
        _fail(name, value, "must be (lowest, highest), e.g. (1, 4)")
    if not (_is_number(low) and _is_number(high) and math.isfinite(low) and math.isfinite(high) and low < high):
        _fail(name, value, "must be two finite numbers, lowest first, e.g. (1, 4)")
    return (float(low), float(high))


def paths(name, value):
    if isinstance(value, (str, os.PathLike)):
        value = [value]
    if not hasattr(value, "__iter__") or isinstance(value, (bytes, Mapping)):
        _fail(name, value, "must be a list of folders")
    items = [path(name, item) for item in value]
    if not items:
        _fail(name, value, "give at least one folder")
    return items


#: The rule of every public parameter, by name.
RULES = {
    # what to read
    "data": data_source,
    "reference": data_source,
    "path": path,
    "dataset": path,
    "sources": paths,
    "out": path,
    "ratings": optional(table_or_path),
    "participants": optional(table_or_path),
    "positions": optional(path),
    "key": optional(key_source),
    "key_map": optional(mapping_of_names),
    "modality": optional(choice(*MODALITIES)),
    "measures": optional(names(1)),
    "common_iqms": flag,
    "on_invalid": choice("raise", "skip"),
    "jobs": optional(count(1)),
    "progress": flag,
    # the design
    "participant": text,
    "condition": text,
    "conditions": optional(names(2, of=label, one_string_ok=False)),
    "between": optional(text),
    "where": optional(where_rule),
    "average_over": optional(names(1)),
    "repeats": choice("first", "random", "mean"),
    "drop_unpaired": flag,
    "id_column": text,
    "rater_column": text,
    "rating_column": text,
    "reference_condition": optional(label),
    # preparation
    "reduce": reduce_rule,
    "pca_rule": pca_rule,
    "fit_on": optional(label),
    "standardise_within": flag,
    "max_missing_share": number_in(0, 1, closed_high=True, what="a share"),
    "max_identical_share": number_in(0, 1, closed_high=True, what="a share"),
    # resampling
    "permutations": count(0, "0 turns it off"),
    "bootstrap": count(0, "0 turns it off"),
    "seed": count(0),
    # equivalence and decisions
    "margin": optional(positive),
    "margins": optional(margins_rule),
    "alpha": number_in(0, 0.5, what="a probability"),
    "iqr_k": positive,
    "decision_columns": optional(decision_columns_rule),
    # ratings
    "scale": scale_rule,
    "threshold": finite,
    # power
    "n": numbers_rule(count(3)),
    "delta": numbers_rule(finite),
    "shift": optional(names(1)),
    "multiplicative": flag,
    "within_correlation": number_in(-1, 1, what="a correlation"),
    "bias": numbers_rule(finite),
    "raters": optional(count(2)),
    "rating_simulations": count(10),
    "simulations": count(10),
    "target": number_in(0, 1, what="a power"),
    # blinding
    "condition_entity": optional(choice("acq", "rec")),
    "repeat": count(0, "0 shows every image once"),
    "link": choice("copy", "hardlink", "symlink"),
    "allow_leaky_links": flag,
    "scrub": optional(names(1)),
    "keep": optional(names(1)),
}

#: Rules that differ by job: (job, parameter) -> rule.
JOB_RULES = {
    ("analyse_ratings", "repeats"): choice("first", "random", "mean", "all"),
    ("analyse_ratings", "conditions"): optional(names(2, maximum=2, of=label, one_string_ok=False)),
    ("power", "conditions"): optional(names(2, maximum=2, of=label, one_string_ok=False)),
    ("analyse_ratings", "participant"): optional(text),
    ("analyse_ratings", "condition"): optional(text),
    ("analyse_ratings", "id_column"): text,
    ("blind", "seed"): optional(count(0)),
    ("blind", "conditions"): names(2, of=label, one_string_ok=False),
}


def rule_of(name: str, job: str | None = None):
    """The rule of parameter ``name`` (in ``job``, when it has its own)."""
    return JOB_RULES.get((job or "", name)) or RULES[name]


def check(name: str, value, *, job: str | None = None):
    """``value`` normalised by the rule of ``name``, or a ParameterError naming it."""
    return rule_of(name, job)(name, value)


def validate(job: str, arguments: Mapping) -> dict:
    """Every argument of a call to ``job`` checked and normalised, before any work."""
    return {name: check(name, value, job=job) for name, value in arguments.items()}


#: What each parameter means, in one line: the command line's help and the plan template's comments.
DESCRIPTIONS = {
    "data": "MRIQC outputs (folder, group TSV, JSON) or a table with one row per image",
    "reference": "reference measures: MRIQC outputs or a table (paired pilot data with conditions)",
    "participant": "the participant column",
    "condition": "the condition column",
    "conditions": "the conditions in order; differences are first minus second",
    "measures": "the columns to analyse (IQMs, principal components, harmonised IQMs); default: the MRIQC IQMs",
    "between": "a between-participant factor column, e.g. site",
    "permutations": "sign-flip permutations of Hotelling's test (0: off)",
    "bootstrap": "bootstrap resamples of the per-measure CIs (0: off)",
    "seed": "the seed of every random draw",
    "key": "the blinding key to unblind with",
    "key_map": "rename condition tokens of the key (non_defaced to original, say)",
    "participants": "a BIDS participants.tsv whose columns (e.g. site) are joined by participant",
    "where": "keep only the images whose column holds one of the values (task rest, say)",
    "average_over": "average the measures over these columns within participant and condition (run, say)",
    "repeats": "repeated presentations of an image: keep the first, a random one, their mean (ratings: or all)",
    "drop_unpaired": "leave out (and list) participants lacking a condition instead of refusing",
    "modality": "keep only images of this BIDS suffix",
    "common_iqms": "keep the IQMs all records share when MRIQC versions differ",
    "on_invalid": "stop at (raise), or leave out and list (skip), malformed files and rows",
    "reduce": "reduce the measures to principal components (pca)",
    "pca_rule": "'kaiser' (eigenvalue > 1) or a share of variance, e.g. 0.8",
    "fit_on": "fit standardisation and PCA on this condition (default: all pooled)",
    "standardise_within": "z-score within each level of the between factor",
    "max_missing_share": "drop MRIQC IQMs missing in more than this share of images",
    "max_identical_share": "drop MRIQC IQMs with one value in at least this share of images",
    "margin": "equivalence margin in SDs of the first condition (TOST per measure)",
    "margins": "per-measure equivalence margins in raw units (a TSV with columns iqm, margin)",
    "alpha": "test level of TOST (its CI is 1 - 2 alpha) and of power",
    "iqr_k": "k of the IQR rule: outliers beyond Q1 - k IQR or Q3 + k IQR of the first condition",
    "decision_columns": "per-image QC decision columns holding include/exclude, pass/fail or 1/0 (or: which values mean excluded)",
    "rater_column": "the rater column of a ratings table",
    "id_column": "the blinded-id column",
    "rating_column": "the rating column of a ratings table",
    "scale": "the lowest and highest rating",
    "threshold": "ratings at or below mean poor/exclude",
    "n": "planned numbers of pairs",
    "delta": "effects: shifts in reference SDs (0: type-I error)",
    "shift": "the measures the effect moves (default: all)",
    "multiplicative": "delta multiplies the second condition by 1 + delta",
    "within_correlation": "correlation between conditions without paired pilot data",
    "reference_condition": "unpaired reference: use only the rows of this condition",
    "ratings": "pilot ratings: also simulate the ratings' mixed model",
    "bias": "with ratings: rating biases to detect, in rating points",
    "raters": "with ratings: raters per simulated study (default: the pilot's)",
    "rating_simulations": "with ratings: simulated studies per n and bias",
    "simulations": "simulated studies per n and delta",
    "target": "the power to reach",
    "jobs": "worker processes (default: all cores when it pays)",
}
