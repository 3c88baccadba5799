"""Reading MRIQC outputs (the only part of iqmstats, with the CLI and writers, that reads files)."""

from .iqmtable import PROVENANCE_COLUMNS, IQMTable
from .mriqc import read_iqms

__all__ = ["PROVENANCE_COLUMNS", "IQMTable", "read_iqms"]
