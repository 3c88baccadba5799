"""iqmstats: did an intervention change MRIQC's image quality metrics, or bias human ratings?

Examples
--------
>>> import iqmstats
>>> table = iqmstats.load_example("ixi-iqms")
>>> table.values.shape
(1158, 62)
>>> screen = iqmstats.screen_iqms(table.values, modality=table.modality)
>>> screen.loc[screen.iqm == "fber", "reason"].item()
'missing'
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("iqmstats")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

from . import catalogue
from .blinding import BlindingKey, audit, blind_datasets, read_key, unblind
from .errors import BlindingError, InputError, IqmstatsError, OutputError, ParameterError
from .examples import example_path, load_example
from .io import IQMTable, read_iqms
from .pipeline import summarise_study
from .stats import screen_iqms

__all__ = [
    "BlindingError",
    "BlindingKey",
    "IQMTable",
    "InputError",
    "IqmstatsError",
    "OutputError",
    "ParameterError",
    "__version__",
    "audit",
    "blind_datasets",
    "catalogue",
    "example_path",
    "load_example",
    "read_iqms",
    "read_key",
    "screen_iqms",
    "summarise_study",
    "unblind",
]
