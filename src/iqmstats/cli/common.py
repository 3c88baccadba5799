"""What the sub-commands share: options named after the API's parameters, value parsers, and the
ONE mapping from a parameter to its flag (taken from the command's own parser), with which
errors and advice are printed in the command line's words.

An option that sets an API parameter has ``dest`` = the parameter's name and no default: the
namespace holds exactly the options given, and the API's defaults apply to the rest (so a plan
knows which options were given on the command line).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def option(parser, *flags, dest: str, help: str | None = None, **kwargs):
    """An option (or, without flags, a positional argument) setting the API parameter ``dest``
    (help from the parameter's description); the parser remembers it for :func:`flag_form`."""
    from ..validation import DESCRIPTIONS

    kwargs.setdefault("default", argparse.SUPPRESS)
    if flags:
        action = parser.add_argument(*flags, dest=dest, help=help or DESCRIPTIONS.get(dest), **kwargs)
    else:
        action = parser.add_argument(dest, help=help or DESCRIPTIONS.get(dest), **kwargs)
    parser.__dict__.setdefault("parameter_actions", {}).setdefault(dest, action)
    return action


def names(text: str) -> list[str]:
    """'a, b' -> ['a', 'b']."""
    return [name.strip() for name in text.split(",") if name.strip()]


def numbers(kind):
    def parse(text: str) -> list:
        try:
            return [kind(value) for value in names(text)]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated numbers") from None

    return parse


def token_map(text: str) -> dict[str, str]:
    """'non_defaced=original,pydeface=defaced' -> {'non_defaced': 'original', 'pydeface': 'defaced'}."""
    mapping = {}
    for pair in names(text):
        token, _, name = pair.partition("=")
        if not token or not name:
            raise argparse.ArgumentTypeError(f"{pair!r}: expected TOKEN=NAME, e.g. non_defaced=original")
        mapping[token] = name
    return mapping


def column_values(text: str) -> tuple[str, list[str]]:
    """'task=rest,motor' -> ('task', ['rest', 'motor'])."""
    column, _, values = text.partition("=")
    if not column or not names(values):
        raise argparse.ArgumentTypeError(f"{text!r}: expected COLUMN=VALUE[,VALUE], e.g. task=rest")
    return column, names(values)


def decision(text: str):
    """'qc' -> 'qc'; 'rater_1=-1' -> ('rater_1', ['-1'])."""
    return column_values(text) if "=" in text else text


def pca_rule(text: str):
    if text == "kaiser":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use 'kaiser' or a share of variance such as 0.8") from None


def scale(text: str) -> tuple[float, float]:
    values = numbers(float)(text)
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"{text!r}: expected LOWEST,HIGHEST such as 1,4")
    return tuple(values)


def api_arguments(args) -> dict:
    """The API parameters given on the command line (the options :func:`option` added; repeated
    ones gathered into dicts)."""
    parameters = getattr(args.command_parser, "parameter_actions", {})
    given = {
        name: value
        for name, value in vars(args).items()
        if name in parameters and not (isinstance(value, (str, Path)) and str(value) == argparse.SUPPRESS)
    }
    if "where" in given:
        merged: dict[str, list[str]] = {}
        for column, values in given["where"]:
            merged.setdefault(column, []).extend(values)
        given["where"] = merged
    if "decision_columns" in given:
        items = given["decision_columns"]
        given["decision_columns"] = (
            dict(item for item in items if isinstance(item, tuple))
            if any(isinstance(i, tuple) for i in items)
            else list(items)
        )
        if isinstance(given["decision_columns"], dict):
            given["decision_columns"].update({item: None for item in items if not isinstance(item, tuple)})
    for name, value in given.items():
        if isinstance(value, Path):
            given[name] = str(value)
    return given


def flag_form(*parsers):
    """The command line's form of a parameter named in a message: ``--permutations -5``,
    ``--where task=rest``, ``--drop-unpaired``. Parameters no parser has keep their Python form."""
    from ..errors import python_form

    actions = {}
    for parser in parsers:
        for name, action in getattr(parser, "parameter_actions", {}).items():
            actions.setdefault(name, action)

    def form(param) -> str:
        if param.name == "overwrite":  # the result writers' parameter is the command line's --force
            return "--force"
        action = actions.get(param.name)
        if action is None:
            return python_form(param)
        if not action.option_strings:  # a positional argument
            return (action.metavar or action.dest).upper()
        flag = action.option_strings[0]
        if not param.has_value or action.nargs == 0:  # a switch such as --drop-unpaired
            return flag
        value = param.value
        if isinstance(value, dict):
            if param.name == "key_map":
                return f"{flag} " + ",".join(f"{k}={v}" for k, v in value.items())
            return " ".join(
                f"{flag} {k}={','.join(map(str, v if isinstance(v, (list, tuple)) else [v]))}"
                if v is not None
                else f"{flag} {k}"
                for k, v in value.items()
            )
        if isinstance(value, (list, tuple)):
            return f"{flag} {','.join(map(str, value))}"
        return f"{flag} {value}"

    return form


def progress_wanted(args) -> bool:
    return not getattr(args, "quiet", False) and sys.stderr.isatty()


def say(lines, form, *, file=None) -> None:
    """Print messages (``Message`` lines) in the command line's words."""
    for line in lines:
        print(line.render(form), file=file or sys.stderr)


def report_registration(result) -> None:
    """Say on stderr whether the run followed its plan, listing every deviation."""
    registration = result.provenance.get("registration")
    if registration is None:
        return
    if not registration["deviations"]:
        print(f"ran as registered (sha256 {registration['sha256']})", file=sys.stderr)
    for deviation in registration["deviations"]:
        print(f"iqmstats: DEVIATION from the registered plan: {deviation}", file=sys.stderr)


def run_or_plan(args, section: str, job, data_name: str = "data"):
    """One API call: the job with the options given, or the plan's job with them as overrides."""
    given = api_arguments(args)
    if getattr(args, "plan", None) is not None:
        from ..preregistration import run_plan

        return run_plan(args.plan, section, **given)
    if data_name not in given:
        from ..errors import Param, ParameterError

        raise ParameterError("give the {0}, or a --plan that names it", Param(data_name))
    return job(given.pop(data_name), **given)


def add_key_options(parser, purpose: str, *, required: bool = False) -> None:
    """``--key`` and ``--map``, the same for every command that unblinds."""
    option(parser, "--key", dest="key", type=Path, required=required, help=f"blinding key: {purpose}")
    option(
        parser,
        "--map",
        dest="key_map",
        type=token_map,
        metavar="TOKEN=NAME[,...]",
        help="with --key: rename condition tokens, e.g. non_defaced=original",
    )


def write_outputs(result, out: Path, args, form) -> None:
    """Write a result's tables into ``out`` and, unless --no-report, its report. Replacing the
    tables of a folder whose report stays would leave a report that no longer matches: refused."""
    if args.no_report and (out / "report.html").exists():
        from ..errors import OutputError

        raise OutputError(
            f"{out / 'report.html'} is the report of an earlier run and would no longer match the new "
            "outputs: remove it (and figures/), write into a new folder, or drop --no-report"
        )
    result.write(out, overwrite=args.force)
    if not args.no_report:
        result.write_report(out / "report.html", overwrite=args.force, form=form)
