"""The ``iqmstats`` command line: one sub-command per job, each one call to the Python API.

Exit codes: 0 done, 1 input or analysis refused, 2 the command was used wrongly. A user error
prints one line (``iqmstats: error: ...``) naming the option, file or value in the command
line's own words; ``--debug`` shows the traceback instead. Building the parser imports no
scipy, statsmodels, matplotlib or pandas: ``--help`` and ``--version`` answer at once.

Examples
--------
>>> main(["read", "no/such/folder", "--out", "t.tsv"])
1
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

from .. import __version__
from ..errors import IqmstatsError
from . import blinding, compare, demo, examples, plan, power, ratings, read, report


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (or the help)
        return int(exc.code or 0)
    try:
        return args.run(args)
    except IqmstatsError as exc:
        if args.debug:
            raise
        from .common import flag_form

        print(
            f"iqmstats: error: {exc.render(flag_form(args.command_parser, *parser.commands.values()))}", file=sys.stderr
        )
        return exc.exit_code
    except KeyboardInterrupt:
        print("iqmstats: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not a user error: still one line, and how to learn more
        if args.debug:
            raise
        print(
            f"iqmstats: internal error: {type(exc).__name__}: {exc}. Run with --debug for the traceback "
            "and please report it.",
            file=sys.stderr,
        )
        return 1


class Parser(argparse.ArgumentParser):
    """The command line's parser, which also knows its sub-commands' parsers by name."""

    commands: Mapping[str, argparse.ArgumentParser]


def build_parser() -> Parser:
    parser = Parser(
        prog="iqmstats",
        description="Did an intervention change MRIQC's image quality metrics? Paired statistics, hard to misuse.",
    )
    parser.add_argument("--version", action="version", version=f"iqmstats {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    for family in (read, blinding, compare, ratings, power, report, plan, demo, examples):
        family.register(commands)
    parser.commands = commands.choices
    for command in commands.choices.values():
        command.set_defaults(command_parser=command, command_parsers=commands.choices)
    return parser
