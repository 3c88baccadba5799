"""Statistics: pure functions from arrays/DataFrames to DataFrames (no files, no printing)."""

from .multivariate import (
    MULTIVARIATE_COLUMNS,
    between_manova,
    paired_hotelling,
    preregistered_manova,
    repeated_measures,
)
from .preprocess import PreparedIQMs, prepare_iqms, screen_iqms
from .univariate import PER_IQM_COLUMNS, per_iqm_tests
from .wts_mats import wts_mats

__all__ = [
    "MULTIVARIATE_COLUMNS",
    "PER_IQM_COLUMNS",
    "PreparedIQMs",
    "between_manova",
    "paired_hotelling",
    "per_iqm_tests",
    "prepare_iqms",
    "preregistered_manova",
    "repeated_measures",
    "screen_iqms",
    "wts_mats",
]
