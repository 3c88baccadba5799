"""The ``iqmstats`` command line: one sub-command per job, one module per family of jobs.

Exit codes: 0 done, 1 input or analysis refused, 2 the command was used wrongly. A user error
prints one line (``iqmstats: error: ...``); ``--debug`` shows the traceback instead.

Examples
--------
>>> main(["read", "no/such/folder", "--out", "t.tsv"])
1
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..errors import IqmstatsError
from . import blinding, compare, demo, plan, power, ratings, read, report


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error
        return int(exc.code or 0)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return args.run(args)
    except IqmstatsError as exc:
        if args.debug:
            raise
        print(f"iqmstats: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("iqmstats: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not a user error: still one line, and how to learn more
        if args.debug:
            raise
        print(f"iqmstats: internal error: {type(exc).__name__}: {exc}. Run with --debug for the traceback "
              "and please report it.", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iqmstats",
        description="Did an intervention change MRIQC's image quality metrics? Paired statistics, hard to misuse.",
    )
    parser.add_argument("--version", action="version", version=f"iqmstats {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    for family in (read, blinding, compare, ratings, power, report, plan, demo):
        family.register(commands)
    parser.commands = commands.choices  # sub-command parsers, by name (plans are checked against them)
    return parser


def command_parsers(*names: str) -> dict:
    """The argument parsers of the named sub-commands."""
    return {name: _parser().commands[name] for name in names}
