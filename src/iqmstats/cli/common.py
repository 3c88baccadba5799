"""Helpers shared by the sub-commands: comma lists and condition-token mappings."""

from __future__ import annotations

from ..errors import ParameterError


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
