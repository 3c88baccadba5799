"""Statistics: pure functions from arrays/DataFrames to DataFrames (no files, no printing)."""

from .preprocess import screen_iqms

__all__ = ["screen_iqms"]
