"""Helpers shared by the sub-commands: comma lists and condition-token mappings."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import __version__
from ..blinding import UNBLINDED_COLUMNS, read_key, unblind
from ..errors import ParameterError
from ..registration import SECTIONS, apply_plan, explicit_options


def names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def token_map(text: str) -> dict[str, str]:
    mapping = {}
    for pair in names(text):
        token, _, name = pair.partition("=")
        if not token or not name:
            raise ParameterError(f"--map {pair!r}: expected TOKEN=NAME, e.g. non_defaced=original")
        mapping[token] = name
    return mapping


def follow_plan(args, command: str) -> dict | None:
    """Take the options of ``command`` from ``--plan`` (keeping the ones given on the command line)
    and return the registration record; without a plan, check the input was given."""
    registration = None
    if args.plan is not None:
        from . import command_parsers

        given = args.argv[args.argv.index(command) + 1 :]
        registration = apply_plan(args, command, args.plan, command_parsers(*SECTIONS),
                                  explicit=explicit_options(args.command_parser, given), version=__version__)
    if args.input is None:
        raise ParameterError(f"iqmstats {command}: give the INPUT, or a --plan that names it (input = ...)")
    return registration


def report_registration(registration: dict | None) -> None:
    """Say on stderr whether the run followed its plan, listing every deviation."""
    if registration is None:
        return
    if not registration["deviations"]:
        print(f"ran as registered (sha256 {registration['sha256']})", file=sys.stderr)
    for deviation in registration["deviations"]:
        print(f"iqmstats: DEVIATION from the registered plan: {deviation}", file=sys.stderr)


def add_key_options(parser, purpose: str) -> None:
    """``--key`` and ``--map``, the same for every command that unblinds."""
    parser.add_argument("--key", type=Path, help=f"blinding key: {purpose}")
    parser.add_argument("--map", default="", help="with --key: rename condition tokens, e.g. non_defaced=original")


def key_option(args, inputs: dict):
    """The BlindingKey of ``--key`` (and ``--map``), its checksum recorded in ``inputs``; None without --key."""
    if not args.key:
        return None
    from ..pipeline import file_checksum

    key = read_key(args.key, conditions=token_map(args.map))
    inputs.update(key=str(args.key), key_sha256=file_checksum(args.key), key_format=key.format)
    return key


def unblind_ratings(ratings, key):
    """Ratings mapped back through the key (by ``blinded_id``; several raters per image). The key
    is the authority: columns of the table that unblinding adds are replaced."""
    stale = [column for column in UNBLINDED_COLUMNS if column in ratings]
    return unblind(ratings.drop(columns=stale), key, id_column="blinded_id", unique=False)
