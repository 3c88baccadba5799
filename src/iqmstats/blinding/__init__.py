"""Blinding: make blinded datasets and their keys, audit them for leaks, and map results back."""

from .audit import audit
from .blind import blind_datasets
from .keys import BlindingKey, read_key
from .unblind import UNBLINDED_COLUMNS, unblind

__all__ = ["UNBLINDED_COLUMNS", "BlindingKey", "audit", "blind_datasets", "read_key", "unblind"]
