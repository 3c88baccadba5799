"""Blinding: make blinded datasets and their keys, audit them for leaks, and map results back."""

from .audit import audit
from .blind import blind_datasets
from .keys import BlindingKey, read_key
from .unblind import unblind

__all__ = ["BlindingKey", "audit", "blind_datasets", "read_key", "unblind"]
