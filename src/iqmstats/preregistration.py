"""Pre-registration: an analysis plan, locked before unblinding, and proof a run followed it.

A plan is a TOML file with a ``[compare]``, ``[ratings]`` and/or ``[power]`` table whose keys are
the parameters of ``iqmstats.compare``, ``analyse_ratings`` and ``power`` (``participant``,
``conditions``, ``permutations``, ``margin``, ...; paths relative to the plan). Every value is
checked by the same rules the calls use (:mod:`iqmstats.validation`), so a plan that would fail
after unblinding is refused at :func:`lock_plan`. Locking writes ``<plan>.lock.json`` beside it
(the SHA-256 of the normalised plan, the tool version, the time); it needs neither the key nor
unblinded data, and a lock is never replaced. :func:`run_plan` runs a job from the plan and
records "ran as registered (sha256 ...)" or every deviation: a parameter given that differs
from the plan, a plan edited after locking, a plan never locked, another tool version.

Examples
--------
>>> plan = {"compare": {"conditions": ["original", "defaced"], "permutations": 10000}}
>>> fingerprint(plan) == fingerprint({"compare": {"permutations": 10000, "conditions": ["original", "defaced"]}})
True
>>> check_plan({"compare": {"permutations": "many"}}, source="plan.toml")
Traceback (most recent call last):
...
iqmstats.errors.ParameterError: plan.toml: [compare] permutations = 'many': must be a whole number >= 0 (0 turns it off)
"""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from .errors import InputError, OutputError, ParameterError, did_you_mean
from .validation import DESCRIPTIONS, check

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Plan sections: the job each runs.
JOBS = {"compare": "compare", "ratings": "analyse_ratings", "power": "power"}
#: Parameters that say how to run, not what to analyse: never part of a plan.
NOT_PLANNED = frozenset({"progress", "jobs"})
#: Parameters holding paths: a relative path in a plan is relative to the plan's folder.
PATHS = frozenset({"data", "reference", "key", "participants", "margins", "ratings", "positions"})
#: Keys of plans written by iqmstats before plans used the Python names (read, never written).
ALIASES = {
    "subject_col": "participant",
    "condition_col": "condition",
    "iqms": "measures",
    "map": "key_map",
    "input": "data",
    "shift_iqms": "shift",
}


def job_function(section: str):
    import iqmstats

    return getattr(iqmstats, JOBS[section])


def plannable(section: str) -> dict[str, inspect.Parameter]:
    """The parameters a plan's ``[section]`` may set, by name."""
    parameters = inspect.signature(job_function(section)).parameters
    return {name: parameter for name, parameter in parameters.items() if name not in NOT_PLANNED}


def plan_template() -> str:
    """A commented plan listing every parameter of each job with its default."""
    lines = [
        "# iqmstats analysis plan. Fill it in, then lock it before unblinding:",
        "#     iqmstats plan lock plan.toml",
        "# and run it with: iqmstats compare --plan plan.toml --out results/",
        "# Keys are the parameters of iqmstats.compare / analyse_ratings / power; delete a line to keep the default.",
        "# Delete the sections you do not run. Relative paths are relative to this file. Every correction (Holm,",
        "# Benjamini-Hochberg, Bonferroni) is always reported; say here which one you register. An equivalence",
        "# margin must be chosen and registered here.",
        "",
    ]
    for section in JOBS:
        lines.append(f"[{section}]")
        for name, parameter in plannable(section).items():
            lines.append(f"# {SECTION_DESCRIPTIONS.get((section, name)) or DESCRIPTIONS.get(name, name)}")
            default = parameter.default
            if default is inspect.Parameter.empty:
                lines.append(f'{name} = ""')
            elif default is None:
                lines.append(f"# {name} = {_toml(EXAMPLES.get(name, ''))}")
            else:
                lines.append(f"{name} = {_toml(default)}")
        lines.append("")
    return "\n".join(lines)


#: Example values the template shows for parameters without a default (commented out).
EXAMPLES = {
    "conditions": ["original", "defaced"],
    "measures": ["cjv", "efc", "snr_wm"],
    "between": "site",
    "key": "key.json",
    "key_map": {"non_defaced": "original"},
    "participants": "participants.tsv",
    "where": {"task": ["rest"]},
    "average_over": ["run"],
    "modality": "T1w",
    "fit_on": "original",
    "margin": 0.2,
    "margins": "margins.tsv",
    "decision_columns": {"qc": ["exclude"]},
    "reference_condition": "original",
    "shift": ["cjv", "efc"],
    "ratings": "ratings.tsv",
    "raters": 4,
    "positions": "positions.json",
    "reduce": "pca",
    "participant": "subject",
    "condition": "session",
}
SECTION_DESCRIPTIONS = {
    ("ratings", "data"): "the ratings: an export such as S1_Data.tsv, any table, or a folder of rating-widget JSONs",
    ("ratings", "participant"): "without a key: the participant column of an unblinded ratings table",
    ("ratings", "condition"): "without a key: the condition column of an unblinded ratings table",
}


def _toml(value) -> str:
    """A value as TOML: strings quoted, lists in brackets, dicts as inline tables."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def read_plan(path) -> dict:
    """Parse a plan (TOML) and check every key and value; return it as written."""
    path = Path(path)
    try:
        plan = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such plan") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    check_plan(plan, source=str(path))
    return plan


def check_plan(plan: dict, *, source: str) -> dict:
    """Every section known, every key a parameter of its job, every value valid for it: the
    arguments each section would call its job with (paths not yet resolved)."""
    calls: dict[str, dict] = {}
    for section, options in plan.items():
        if section not in JOBS:
            raise ParameterError(f"{source}: unknown section [{section}]. {did_you_mean(section, JOBS)}")
        if not isinstance(options, dict):
            raise ParameterError(f"{source}: [{section}] must be a table of parameters")
        known = plannable(section)
        calls[section] = {}
        for key, value in options.items():
            name = ALIASES.get(key, key)
            if name == "data" and section == "power":
                name = "reference"
            if name not in known:
                raise ParameterError(f"{source}: [{section}] has no parameter {key!r}. {did_you_mean(key, known)}")
            if name == "key_map" and isinstance(value, str):
                value = dict(pair.split("=", 1) for pair in value.split(",") if "=" in pair)
            try:
                calls[section][name] = check(name, value, job=JOBS[section])
            except ParameterError as exc:  # in the plan's own words: key = value
                said = exc.render(lambda param, key=key: f"{key} = {param.value!r}" if param.has_value else key)
                raise ParameterError(f"{source}: [{section}] {said}", parameter=name) from None
    return calls


def fingerprint(plan: dict) -> str:
    """SHA-256 of the plan normalised (keys sorted, JSON): formatting and comments do not count."""
    return hashlib.sha256(json.dumps(plan, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def lock_path(plan_path) -> Path:
    return Path(plan_path).with_suffix(".lock.json")


def lock_plan(plan_path) -> Path:
    """Check the plan and write its lock beside it; an existing lock is never replaced."""
    from . import __version__
    from .io.write import write_json

    plan = read_plan(plan_path)
    lock = lock_path(plan_path)
    if lock.exists():
        raise OutputError(
            f"{lock} already locks {plan_path} and a lock is never replaced. To register a changed plan, "
            "save it under a new name and lock that; runs then record which lock they followed"
        )
    return write_json(
        {
            "plan": str(plan_path),
            "sha256": fingerprint(plan),
            "iqmstats_version": __version__,
            "locked": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "normalised_plan": plan,
        },
        lock,
    )


def run_plan(plan_path, section: str, **given):
    """Run the job of the plan's ``[section]`` with the plan's parameters, ``given`` ones taking
    precedence; the result's provenance records the registration (status and every deviation)."""
    from . import __version__
    from .results import with_provenance

    if section not in JOBS:
        raise ParameterError(f"section={section!r}: choose one of {', '.join(JOBS)}")
    plan_path = Path(plan_path)
    plan = read_plan(plan_path)
    planned = check_plan({section: plan.get(section, {})}, source=str(plan_path))[section]
    for name, value in planned.items():
        if name in PATHS and isinstance(value, str) and not Path(value).is_absolute():
            planned[name] = str(plan_path.parent / value)
    deviations = _lock_deviations(plan_path, plan, __version__)
    for name, value in given.items():
        if name in NOT_PLANNED:
            continue
        if name in planned and _same(check(name, value, job=JOBS[section]), planned[name]) is False:
            deviations.append(
                f"{name}: the plan says {_shown(plan[section], name)}; this run used {_shown(given, name)}"
            )
        elif name not in planned:
            deviations.append(f"{name}: not in the plan; this run used {_shown(given, name)}")
    arguments = {**planned, **given}
    data_name = "reference" if section == "power" else "data"
    if data_name not in arguments:
        raise ParameterError(f'{plan_path}: [{section}] names no {data_name}; add {data_name} = "..." to the plan')
    result = job_function(section)(arguments.pop(data_name), **arguments)
    registration = {
        "plan": str(plan_path),
        "sha256": fingerprint(plan),
        "section": section,
        "status": "ran as registered" if not deviations else "deviations from the registered plan",
        "deviations": deviations,
    }
    return with_provenance(result, registration=registration)


def _lock_deviations(plan_path: Path, plan: dict, version: str) -> list[str]:
    lock_file = lock_path(plan_path)
    if not lock_file.exists():
        return [f"the plan was never locked (no {lock_file.name})"]
    try:
        lock = json.loads(lock_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return [f"the lock {lock_file.name} is damaged: not valid JSON"]
    deviations = []
    if lock.get("sha256") != fingerprint(plan):
        changed = _changed(lock.get("normalised_plan", {}), plan)
        deviations.append(f"the plan was edited after locking ({', '.join(changed) or 'formatting only'})")
    if lock.get("iqmstats_version") != version:
        deviations.append(f"iqmstats {version} runs a plan locked with iqmstats {lock.get('iqmstats_version')}")
    return deviations


def _same(a, b) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _shown(options: dict, name: str):
    for key, value in options.items():
        if ALIASES.get(key, key) == name or (name == "reference" and key in ("data", "input")):
            return repr(value) if not isinstance(value, (list, tuple)) else repr(list(value))
    return "n/a"


def _changed(old: dict, new: dict) -> list[str]:
    keys = {(s, k) for s in {*old, *new} for k in {*old.get(s, {}), *new.get(s, {})}}
    return sorted(f"[{s}] {k}" for s, k in keys if old.get(s, {}).get(k) != new.get(s, {}).get(k))
