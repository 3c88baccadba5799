"""Typed errors: every failure a user can cause has a class and a message that says what to do.

The command line prints ``iqmstats: error: <message>`` and exits with the class's
``exit_code`` (1: the input or analysis was refused, 2: the command was used wrongly).

A message that names a parameter (the bad one, or the one that would fix the problem) holds it
as a :class:`Param`, so each audience reads its own vocabulary: Python callers see
``permutations=-5``, the command line shows ``--permutations -5`` (:meth:`IqmstatsError.render`).

Examples
--------
>>> err = InputError("sub-01_T1w.json: not valid JSON")
>>> isinstance(err, ValueError), err.exit_code
(True, 1)
>>> err = ParameterError("{0}: must be a whole number >= 0", Param("permutations", -5))
>>> str(err), err.parameter, err.exit_code
('permutations=-5: must be a whole number >= 0', 'permutations', 2)
>>> err.render(lambda p: f"--{p.name} {p.value}")
'--permutations -5: must be a whole number >= 0'
>>> check_choice("on_invalid", "skipp", ["raise", "skip"])
Traceback (most recent call last):
...
iqmstats.errors.ParameterError: on_invalid='skipp' is not valid. Did you mean 'skip'?
"""

from __future__ import annotations

_UNSET = object()


class Param:
    """A parameter named in a message: its name and, when relevant, the value given or advised."""

    __slots__ = ("name", "value")

    def __init__(self, name: str, value=_UNSET):
        self.name, self.value = name, value

    @property
    def has_value(self) -> bool:
        return self.value is not _UNSET

    def __repr__(self) -> str:
        return f"Param({self.name!r}{f', {self.value!r}' if self.has_value else ''})"


def python_form(param: Param) -> str:
    """``name=value`` as a Python caller writes it (``name=...`` when no value is meant)."""
    return f"{param.name}={param.value!r}" if param.has_value else f"{param.name}=..."


def _fill(template: str, params, form) -> str:
    """``{0}``, ``{1}``, ... replaced by the parameters' text; any other brace is plain text."""
    for index, param in enumerate(params):
        template = template.replace(f"{{{index}}}", form(param))
    return template


class Message:
    """Text that may name parameters (``{0}``, ... for ``params``), rendered for its reader:
    ``str()`` for Python callers, :meth:`render` with the command line's own form."""

    def __init__(self, template: str, *params: Param):
        self.template, self.params = template, params

    def render(self, form=python_form) -> str:
        return _fill(self.template, self.params, form)

    def __str__(self) -> str:
        return self.render()


class IqmstatsError(Exception):
    """Base class of every error iqmstats raises on purpose.

    ``message`` may hold ``{0}``, ``{1}``, ... for the ``params`` it names; ``parameter`` is the
    name of the parameter at fault (the first one named, unless given).
    """

    exit_code = 1

    def __init__(self, message: str, *params: Param, parameter: str | None = None):
        self.template, self.params = message, params
        self.parameter = parameter or (params[0].name if params else None)
        super().__init__(self.render(python_form))

    def render(self, form) -> str:
        """The message with each parameter written by ``form(param) -> str``."""
        return _fill(self.template, self.params, form)


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

    valid = sorted(map(str, valid))
    close = difflib.get_close_matches(str(value), valid, n=1, cutoff=0.6)
    if close:
        return f"Did you mean '{close[0]}'?"
    shown = valid if len(valid) <= 12 else [*valid[:12], f"... ({len(valid)} in all)"]
    return f"Valid choices: {', '.join(shown)}."


def check_choice(name: str, value, valid):
    """Return ``value`` if it is one of ``valid``, else raise a ParameterError with a hint."""
    if value not in valid:
        raise ParameterError(f"{{0}} is not valid. {did_you_mean(str(value), valid)}", Param(name, value))
    return value
