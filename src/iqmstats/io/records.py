"""Decode one MRIQC record and check its IQM values: the per-file hot path.

A parse never raises for bad content; it returns a tagged tuple so that a folder of 10^5 files
can be parsed in worker processes and every problem reported with its file name.

Examples
--------
>>> parse_record(b'{"cjv": 0.3, "size_x": 256, "provenance": {"version": "23.1.0"}}')
('ok', ('cjv',), [0.3], ('23.1.0', None, ''), ('size_x', 'provenance'))
>>> parse_record(b'{"RepetitionTime": 2.0}')[0]
'skip'
>>> parse_record(b'{"cjv": NaN, "bids_meta": {}}')
('invalid', "IQM 'cjv' is nan (not a finite number)")
"""

from __future__ import annotations

import json
import math
from collections import Counter
from functools import lru_cache

import orjson

from .. import catalogue
from ..errors import InputError, Param

_NUMBERS = frozenset({float, int})
#: No IQM comes near this magnitude; a larger value is corrupted (and its square would overflow).
MAGNITUDE_LIMIT = 1e100
NOT_MRIQC = "not an MRIQC record (no 'provenance'/'bids_meta': a raw BIDS sidecar?)"


def load_json(raw: bytes):
    """Parse JSON fast; fall back to the standard library for NaN/Infinity and for clear errors."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except UnicodeDecodeError:
        raise InputError("is not valid JSON (not UTF-8 text)") from None
    except RecursionError:
        raise InputError("is nested too deeply to be an MRIQC record") from None


def parse_record(raw: bytes) -> tuple:
    """Parse one per-image MRIQC JSON.

    Returns ``("ok", iqm_names, values, (version, md5sum, warnings), other_keys)``,
    ``("skip", reason)`` when the JSON is not an MRIQC record, or ``("invalid", problem)``.
    """
    try:
        document = load_json(raw)
    except InputError as exc:
        return ("invalid", str(exc))
    return per_image_record(document)


def per_image_record(document) -> tuple:
    """:func:`parse_record` on an already decoded JSON document."""
    if not isinstance(document, dict):
        return ("skip", NOT_MRIQC)
    provenance = document.get("provenance")
    if not isinstance(provenance, dict) and "bids_meta" not in document:
        return ("skip", NOT_MRIQC)
    names, others = _split_keys(tuple(document))
    if not names:
        return ("invalid", "is an MRIQC record without any IQM")
    values = [document[name] for name in names]
    problem = value_problem(names, values)
    if problem:
        return ("invalid", problem)
    provenance = provenance if isinstance(provenance, dict) else {}
    warnings = provenance.get("warnings")
    flagged = ",".join(sorted(k for k, v in warnings.items() if v)) if isinstance(warnings, dict) else ""
    return ("ok", names, values, (provenance.get("version"), provenance.get("md5sum"), flagged), others)


@lru_cache(maxsize=256)
def _split_keys(keys: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The IQM keys and the other keys of a record (cached: records of one run share keys)."""
    iqms = tuple(key for key in keys if catalogue.is_iqm_key(key))
    return iqms, tuple(key for key in keys if not catalogue.is_iqm_key(key))


def value_problem(names, values) -> str | None:
    """Why a record's IQM values are not all finite numbers (None when they are)."""
    if (
        _NUMBERS.issuperset(map(type, values))
        and math.isfinite(sum(values))
        and -MAGNITUDE_LIMIT <= min(values, default=0) <= max(values, default=0) <= MAGNITUDE_LIMIT
    ):
        return None  # the common case, checked at C speed; NaN and inf propagate through the sum
    for name, value in zip(names, values):
        kind = type(value)
        if kind in _NUMBERS:
            if kind is float and value - value != 0.0:  # NaN or +/-inf (only the lenient parser lets them through)
                return f"IQM {name!r} is {value} (not a finite number)"
            if abs(value) > MAGNITUDE_LIMIT:
                return f"IQM {name!r} is {value:.3g}, beyond {MAGNITUDE_LIMIT:g} in magnitude: no IQM is that large"
            continue
        if kind is list:
            return (
                f"IQM {name!r} is a list of {len(value)} values (multi-echo data?). iqmstats needs one "
                "number per image: run MRIQC on each echo as its own image, or leave this file out"
            )
        if value is None:
            return f"IQM {name!r} is null (missing)"
        shown = repr(value) if len(repr(value)) < 40 else repr(value)[:37] + "..."
        return f"IQM {name!r} is {shown}, not a number"
    return None


def handle_invalid(invalid: list[tuple[str, str]], on_invalid: str) -> list[tuple[str, str]]:
    """Raise for the first invalid (file, problem), or return them all as skipped entries."""
    if not invalid or on_invalid == "skip":
        return invalid
    file, problem = invalid[0]
    more = f" ({len(invalid)} invalid in all)" if len(invalid) > 1 else ""
    raise InputError(
        f"{file}: {problem}{more}. Fix or remove it, or leave invalid input out (listed) with {{0}}",
        Param("on_invalid", "skip"),
    )


def skip_summary(skipped: list[tuple[str, str]]) -> str:
    """'Passed over 3 files (not a JSON file); 1 file (...)' for error messages."""
    if not skipped:
        return "Nothing was found at all."
    counts = Counter(reason for _, reason in skipped)
    parts = (f"{n} file{'s' * (n != 1)} ({reason})" for reason, n in counts.most_common())
    return "Passed over " + "; ".join(parts) + "."
