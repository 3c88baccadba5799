"""Reading MRIQC outputs (the only part of iqmstats, with the CLI and writers, that reads files)."""

from .iqmtable import PROVENANCE_COLUMNS, IQMTable
from .mriqc import read_iqms

__all__ = ["IQMTable", "PROVENANCE_COLUMNS", "read_iqms"]
