"""Typed errors: every failure a user can cause has a class and a message that says what to do.

The command line prints ``iqmstats: error: <message>`` and exits with the class's
``exit_code`` (1: the input or analysis was refused, 2: the command was used wrongly).

Examples
--------
>>> err = InputError("sub-01_T1w.json: not valid JSON")
>>> isinstance(err, ValueError), err.exit_code
(True, 1)
>>> ParameterError("unknown modality 'T3w'").exit_code
2
>>> check_choice("on_invalid", "skipp", ["raise", "skip"])
Traceback (most recent call last):
...
iqmstats.errors.ParameterError: on_invalid='skipp' is not valid. Did you mean 'skip'?
"""

from __future__ import annotations


class IqmstatsError(Exception):
    """Base class of every error iqmstats raises on purpose."""

    exit_code = 1


class InputError(IqmstatsError, ValueError):
    """An input file or table cannot be used as it is (names the file and the problem)."""


class BlindingError(IqmstatsError, ValueError):
    """A blinding key is unusable, or records cannot be mapped back through it."""


class PairingError(IqmstatsError, ValueError):
    """Images cannot be paired by participant (duplicates, unpaired participants)."""


class InsufficientDataError(IqmstatsError, ValueError):
    """A statistic would be invalid on these data (n <= p, singular covariance): refused."""


class OutputError(IqmstatsError):
    """An output cannot be written (it exists and would be overwritten, or the folder is missing)."""


class ParameterError(IqmstatsError, ValueError):
    """A parameter value is not one iqmstats accepts (names the value and the valid ones)."""

    exit_code = 2


def did_you_mean(value: str, valid) -> str:
    """Return a hint naming the closest valid choice, or listing them all.

    >>> did_you_mean("T1", ["T1w", "T2w", "bold"])
    "Did you mean 'T1w'?"
    >>> did_you_mean("xyz", ["a", "b"])
    'Valid choices: a, b.'
    """
    import difflib

    valid = sorted(valid)
    close = difflib.get_close_matches(value, valid, n=1, cutoff=0.6)
    if close:
        return f"Did you mean '{close[0]}'?"
    return f"Valid choices: {', '.join(valid)}."


def check_choice(name: str, value, valid):
    """Return ``value`` if it is one of ``valid``, else raise a ParameterError with a hint."""
    if value not in valid:
        raise ParameterError(f"{name}={value!r} is not valid. {did_you_mean(str(value), valid)}")
    return value
