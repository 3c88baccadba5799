"""Blinding keys: what each blinded id stands for, read from every format in the wild.

Formats, detected automatically:

``iqmstats``
    ``{"format": "iqmstats-blinding-key", "version": 1, "entries": [{"blinded_id": "0007",
    "participant": "002", "condition": "original", "presentation": 1, "source": "..."}, ...],
    "seed": ..., "random_source": ..., "created": ..., "iqmstats_version": ...}``
``pilot``
    original name -> blinded integer, ``{"CHUVL504_non_defaced": 18, "CHUVL504_pydeface": 16}``,
    optionally with the position file ``{"0": "CHUVL501", ...}``.
``ixi``
    blinded id -> original name, ``{"444": "002_non_defaced", "349": "002_defaced"}``; a name
    given two ids is a repeated presentation (numbered 1, 2 in the order of the ids).

An original name is ``<participant>_<condition token>``; tokens are recognised from
:data:`CONDITION_TOKENS` or from a user mapping such as ``{"non_defaced": "original"}``.

Examples
--------
>>> from iqmstats.examples import example_path
>>> key = read_key(example_path("ixi-key"))
>>> key.format, len(key.entries), key.entries["presentation"].value_counts().to_dict()
('ixi', 1242, {1: 1162, 2: 80})
>>> key.entries.iloc[0].to_dict()
{'blinded_id': '444', 'participant': '002', 'condition': 'non_defaced', 'presentation': 1, 'source': None}
>>> renamed = read_key(example_path("pilot-key"), conditions={"non_defaced": "original", "pydeface": "defaced"})
>>> sorted(renamed.entries["condition"].unique())
['defaced', 'original']
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import BlindingError, Param

KEY_FORMAT = "iqmstats-blinding-key"
KEY_VERSION = 1
KEY_COLUMNS = ["blinded_id", "participant", "condition", "presentation", "source"]
#: Condition tokens of the defacing study's keys (longest first: non_defaced before defaced).
CONDITION_TOKENS = ("non_defaced", "pydeface", "defaced")


@dataclass(frozen=True)
class BlindingKey:
    """The entries of a key (one row per blinded id, columns :data:`KEY_COLUMNS`) and where they came from."""

    entries: pd.DataFrame
    format: str
    metadata: dict = field(default_factory=dict)

    def row_finder(self):
        """A function: blinded id -> row of ``entries`` (None when absent).

        Exact ids match first. When every id of the key is a number (the pilot's ``16``, the IXI
        key's ``"444"``), an all-digit id also matches by value, so the zero-padded ids of blinded
        BIDS names (``sub-0444``) find their entry; not when the key holds two ids of one value
        (``01`` and ``1``), where only exact matches are safe.
        """
        ids = self.entries["blinded_id"].tolist()
        exact = {blinded: row for row, blinded in enumerate(ids)}
        numeric = {int(b): row for row, b in enumerate(ids)} if all(b.isdigit() for b in ids) else {}
        if len(numeric) < len(ids):
            numeric = {}

        def row_of(blinded: str):
            row = exact.get(blinded)
            if row is None and numeric and blinded.isdigit():
                row = numeric.get(int(blinded))
            return row

        return row_of

    def to_document(self) -> dict:
        """The key in iqmstats' own format (a JSON-ready dict)."""
        entries = self.entries.astype(object).where(self.entries.notna(), None)
        return {"format": KEY_FORMAT, "version": KEY_VERSION, **self.metadata, "entries": entries.to_dict("records")}


def read_key(path, *, positions=None, conditions: dict[str, str] | None = None) -> BlindingKey:
    """Read a blinding key in any known format (see the module docstring).

    Parameters
    ----------
    path : str or Path
        The key file.
    positions : str or Path, optional
        The pilot's position file (``{"0": "CHUVL501"}``); every participant of the key must be in it.
    conditions : dict, optional
        Condition token -> condition name (``{"non_defaced": "original"}``). Tokens not in
        :data:`CONDITION_TOKENS` become recognisable by being named here.
    """
    path = Path(path)
    key = key_from_document(_load_unique_json(path), source=str(path), conditions=conditions)
    if positions is not None:
        _check_positions(path, key, Path(positions))
    return key


def as_key(key, *, conditions: dict[str, str] | None = None, positions=None) -> BlindingKey:
    """A BlindingKey from a key file, a key document already loaded (a dict, as
    ``load_example("ixi-key")`` returns) or a BlindingKey (its conditions renamed by ``conditions``)."""
    if isinstance(key, BlindingKey):
        if not conditions:
            return key
        _check_map_used("the key given", set(key.entries["condition"]), conditions)
        entries = key.entries.assign(condition=key.entries["condition"].replace(conditions))
        return BlindingKey(entries, key.format, key.metadata)
    if isinstance(key, dict):
        return key_from_document(key, source="the key given", conditions=conditions)
    return read_key(key, positions=positions, conditions=conditions)


def key_from_document(document, *, source: str, conditions: dict[str, str] | None = None) -> BlindingKey:
    """A BlindingKey from a decoded key document of any known format."""
    conditions = dict(conditions or {})
    if isinstance(document, dict) and document.get("format") == KEY_FORMAT:
        return _from_iqmstats(source, document, conditions)
    if isinstance(document, dict) and document and all(_is_int(v) for v in document.values()):
        return _from_pairs(source, [(str(v), name) for name, v in document.items()], "pilot", conditions)
    if isinstance(document, dict) and document and all(isinstance(v, str) for v in document.values()):
        return _from_pairs(source, list(document.items()), "ixi", conditions)
    raise BlindingError(
        f"{source}: not a blinding key iqmstats knows. Expected iqmstats' own key, "
        '{"<original name>": <blinded id>} (pilot) or {"<blinded id>": "<original name>"} (IXI).'
    )


def _load_unique_json(path: Path):
    def refuse_duplicates(pairs):
        seen = set()
        for name, _ in pairs:
            if name in seen:
                raise BlindingError(f"{path}: {name!r} appears twice in the key; each must appear once")
            seen.add(name)
        return dict(pairs)

    try:
        return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=refuse_duplicates)
    except FileNotFoundError:
        raise BlindingError(f"{path}: no such key file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BlindingError(f"{path}: the key is not valid JSON ({exc})") from None
    except RecursionError:
        raise BlindingError(f"{path}: the key is nested too deeply to be a blinding key") from None
    except OSError as exc:
        raise BlindingError(f"{path}: cannot be read ({exc.strerror})") from None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _from_pairs(path, pairs: list[tuple[str, str]], kind: str, conditions: dict[str, str]) -> BlindingKey:
    """Entries from (blinded id, original name) pairs."""
    repeated = sorted(i for i, n in Counter(blinded for blinded, _ in pairs).items() if n > 1)
    if repeated:
        names = [name for blinded, name in pairs if blinded == repeated[0]]
        raise BlindingError(
            f"{path}: blinded id {repeated[0]} stands for two originals ({' and '.join(names)}); "
            f"{len(repeated)} such id(s). A key must map each blinded id to one image."
        )
    tokens = sorted({*CONDITION_TOKENS, *conditions}, key=len, reverse=True)
    rows, used = [], set()
    for blinded, name in pairs:
        token = next((t for t in tokens if name.endswith("_" + t) and len(name) > len(t) + 1), None)
        if token is None:
            raise BlindingError(
                f"{path}: key entry {name!r} (blinded id {blinded}) has no recognisable condition; "
                f"names must end in _<condition> with one of: {', '.join(tokens)}. "
                "Name other conditions with {0}",
                Param("key_map", {"TOKEN": "NAME"}),
            )
        used.add(token)
        rows.append((blinded, name[: -len(token) - 1], conditions.get(token, token), None))
    _check_map_used(path, used, conditions)
    entries = pd.DataFrame(rows, columns=["blinded_id", "participant", "condition", "source"])
    order = entries["blinded_id"].map(lambda i: (0, int(i), i) if i.isdigit() else (1, 0, i))
    entries["presentation"] = (
        entries.assign(_order=order).sort_values("_order").groupby(["participant", "condition"]).cumcount() + 1
    )
    return BlindingKey(entries[KEY_COLUMNS], kind, {"source_file": str(path)})


def _from_iqmstats(path, document: dict, conditions: dict[str, str]) -> BlindingKey:
    if document.get("version") != KEY_VERSION:
        raise BlindingError(
            f"{path}: key format version {document.get('version')!r}; this iqmstats reads version {KEY_VERSION}. "
            "Upgrade iqmstats."
        )
    entries = pd.DataFrame(document.get("entries", []))
    missing = [c for c in KEY_COLUMNS if c not in entries]
    if missing or entries.empty:
        raise BlindingError(f"{path}: the key's entries lack {', '.join(missing) or 'everything'}")
    entries = entries[KEY_COLUMNS].copy()
    for column in ("blinded_id", "participant", "condition"):
        entries[column] = entries[column].astype(str)
    twice = entries["blinded_id"][entries["blinded_id"].duplicated()]
    if len(twice):
        raise BlindingError(f"{path}: blinded id {twice.iloc[0]} appears in two entries; the key is corrupt")
    _check_map_used(path, set(entries["condition"]), conditions)
    entries["condition"] = entries["condition"].replace(conditions)
    metadata = {k: v for k, v in document.items() if k not in ("format", "version", "entries")}
    return BlindingKey(entries, "iqmstats", metadata)


def _check_map_used(path, present: set[str], conditions: dict[str, str]) -> None:
    """Refuse a condition map naming a token the key does not contain (a typo would rename nothing)."""
    unused = sorted(set(conditions) - present)
    if unused:
        raise BlindingError(
            f"{path}: {{0}} names condition {', '.join(map(repr, unused))}, which no key entry has; "
            f"the key's conditions are {', '.join(sorted(present))}",
            Param("key_map", conditions),
        )


def _check_positions(path: Path, key: BlindingKey, positions: Path) -> None:
    document = _load_unique_json(positions)
    if not isinstance(document, dict) or not all(isinstance(v, str) for v in document.values()):
        raise BlindingError(f'{positions}: not a position file ({{"0": "<participant>", ...}})')
    unknown = sorted(set(key.entries["participant"]) - set(document.values()))
    if unknown:
        raise BlindingError(f"{path}: participants {', '.join(unknown[:5])} are not in the position file {positions}")
