"""Pre-registration: an analysis plan, locked before unblinding, and proof a run followed it.

A plan is a TOML file with a ``[compare]`` and/or ``[ratings]`` table whose keys are the options
of those commands (``subject_col``, ``conditions``, ``permutations``, ...). Locking writes
``<plan>.lock.json`` beside it: the SHA-256 of the normalised plan, the tool version and the
time; it needs neither the key nor unblinded data. A run with ``--plan`` takes its options from
the plan and records either "ran as registered (sha256 ...)" or every deviation: an option given
on the command line that changes the plan, a plan edited after locking, another tool version.

Examples
--------
>>> plan = {"compare": {"conditions": ["original", "defaced"], "permutations": 10000}}
>>> fingerprint(plan) == fingerprint({"compare": {"permutations": 10000, "conditions": ["original", "defaced"]}})
True
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from .errors import InputError, ParameterError, did_you_mean
from .io.write import write_json

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Options that say where and how to write, not what to analyse: never part of a plan.
NOT_PLANNED = frozenset({"out", "force", "quiet", "plan", "no_report", "help", "run", "command_parser", "debug", "json"})
SECTIONS = ("compare", "ratings")


def plannable(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The options of a sub-command that a plan may set, by destination name."""
    return {action.dest: action for action in parser._actions if action.dest not in NOT_PLANNED}


def plan_template(parsers: dict[str, argparse.ArgumentParser]) -> str:
    """A commented plan listing every option of each command with its default."""
    lines = [
        "# iqmstats analysis plan. Fill it in, then lock it before unblinding:",
        "#     iqmstats plan lock plan.toml",
        "# and run it with: iqmstats compare --plan plan.toml --out results/",
        "# Every key is an option of the command (see iqmstats compare --help); delete a line to keep the default.",
        "# All corrections (Holm, Benjamini-Hochberg, Bonferroni) are always reported; say here which one you register.",
        "",
    ]
    for section, parser in parsers.items():
        lines.append(f"[{section}]")
        for dest, action in plannable(parser).items():
            lines.append(f"# {action.help or dest}")
            default = action.default
            if action.required or dest == "input":
                lines.append(f'{dest} = ""')
            elif default is None or default is argparse.SUPPRESS:
                lines.append(f'# {dest} = ""')
            else:
                lines.append(f"{dest} = {json.dumps(default)}")
        lines.append("")
    return "\n".join(lines)


def read_plan(path, parsers: dict[str, argparse.ArgumentParser]) -> dict:
    """Parse and validate a plan: known sections and options only ("did you mean" otherwise)."""
    path = Path(path)
    try:
        plan = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such plan") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    for section, options in plan.items():
        if section not in parsers:
            raise ParameterError(f"{path}: unknown section [{section}]. {did_you_mean(section, parsers)}")
        known = plannable(parsers[section])
        for key, value in options.items():
            if key not in known:
                raise ParameterError(f"{path}: [{section}] has no option {key!r}. {did_you_mean(key, known)}")
            choices = known[key].choices
            if choices and value not in choices:
                raise ParameterError(f"{path}: [{section}] {key} = {value!r}: choose one of {', '.join(map(str, choices))}")
    return plan


def fingerprint(plan: dict) -> str:
    """SHA-256 of the plan normalised (keys sorted, JSON): formatting and comments do not count."""
    return hashlib.sha256(json.dumps(plan, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def lock_path(plan_path) -> Path:
    return Path(plan_path).with_suffix(".lock.json")


def lock_plan(plan_path, parsers, *, version: str) -> Path:
    """Validate the plan and write its lock beside it (never over an existing lock)."""
    plan = read_plan(plan_path, parsers)
    return write_json({
        "plan": str(plan_path), "sha256": fingerprint(plan), "iqmstats_version": version,
        "locked": datetime.now(timezone.utc).isoformat(timespec="seconds"), "normalised_plan": plan,
    }, lock_path(plan_path))


def apply_plan(args, section: str, plan_path, parsers, *, explicit: dict, version: str) -> dict:
    """Set ``args`` from the plan's ``section``, keep the options given on the command line, and
    return the registration record: status and every deviation from the locked plan."""
    plan = read_plan(plan_path, parsers)
    options = plan.get(section, {})
    deviations = []
    lock_file = lock_path(plan_path)
    if not lock_file.exists():
        deviations.append(f"the plan was never locked (no {lock_file.name})")
        lock = {}
    else:
        lock = json.loads(lock_file.read_text())
        if lock.get("sha256") != fingerprint(plan):
            changed = _changed(lock.get("normalised_plan", {}), plan)
            deviations.append(f"the plan was edited after locking ({', '.join(changed) or 'formatting only'})")
        if lock.get("iqmstats_version") != version:
            deviations.append(f"iqmstats {version} runs a plan locked with iqmstats {lock.get('iqmstats_version')}")
    actions = plannable(parsers[section])
    for key, value in options.items():
        if key in explicit:
            if _as_option(explicit[key]) != _as_option(value):
                deviations.append(f"--{key.replace('_', '-')} {explicit[key]!r} given on the command line; the plan says {value!r}")
            continue
        setattr(args, key, _as_argument(value, actions[key], Path(plan_path).parent))
    return {
        "plan": str(plan_path), "sha256": fingerprint(plan), "locked_sha256": lock.get("sha256"),
        "status": "ran as registered" if not deviations else "deviations from the registered plan",
        "deviations": deviations,
    }


def explicit_options(parser: argparse.ArgumentParser, argv: list[str]) -> dict:
    """The options of ``argv`` that were given explicitly (not defaults), for one sub-command."""
    saved = {action.dest: action.default for action in parser._actions}
    try:
        for action in parser._actions:
            action.default = argparse.SUPPRESS
        given, _ = parser.parse_known_args(argv)
    finally:
        for action in parser._actions:
            action.default = saved[action.dest]
    return {key: value for key, value in vars(given).items() if key not in NOT_PLANNED and str(value) != argparse.SUPPRESS}


def _as_option(value):
    """Plan values and command-line strings compared on one footing ('a,b' == ['a', 'b'])."""
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)


def _as_argument(value, action: argparse.Action, folder: Path):
    """A plan value as the command line would have parsed it; relative paths are the plan's."""
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    if action.type is Path:
        return Path(value) if Path(value).is_absolute() else folder / value
    return value


def _changed(old: dict, new: dict) -> list[str]:
    keys = {(s, k) for s in {*old, *new} for k in {*old.get(s, {}), *new.get(s, {})}}
    return sorted(f"[{s}] {k}" for s, k in keys if old.get(s, {}).get(k) != new.get(s, {}).get(k))
