"""iqmstats: did an intervention change MRIQC's image quality metrics, or bias human ratings?

One call per job, each returning DataFrames: :func:`read`, :func:`unblind`, :func:`compare`,
:func:`analyse_ratings`, :func:`power`, :func:`blind`, :func:`audit`. Importing the package is
cheap: each name loads what it needs when first used (no scipy, statsmodels or matplotlib here).

Examples
--------
>>> import iqmstats
>>> result = iqmstats.compare(iqmstats.example_path("ixi-iqms"), participant="sub", condition="defaced",
...                           conditions=["0", "1"], permutations=100, bootstrap=100)
>>> result.per_iqm.set_index("iqm").loc["efc", "n"], result.audit["verdict"]
(np.int64(579), 'aligned')
"""

from importlib import import_module

from .errors import (
    BlindingError,
    InputError,
    InsufficientDataError,
    IqmstatsError,
    OutputError,
    PairingError,
    ParameterError,
)

#: The one place the version is written (pyproject.toml reads it): importlib.metadata would
#: cost more start-up than the rest of ``import iqmstats``.
__version__ = "0.1.0"

#: Public names loaded on first use: name -> module (relative to this package).
_LAZY = {
    "analyse_ratings": ".api",
    "audit": ".api",
    "blind": ".api",
    "compare": ".api",
    "power": ".api",
    "read": ".api",
    "unblind": ".api",
    "Comparison": ".results",
    "PowerResult": ".results",
    "RatingsResult": ".results",
    "read_results": ".results",
    "IQMTable": ".io",
    "BlindingKey": ".blinding",
    "read_key": ".blinding",
    "example_path": ".examples",
    "load_example": ".examples",
    "lock_plan": ".preregistration",
    "run_plan": ".preregistration",
    "write_report": ".report",
    "catalogue": None,
}

__all__ = [
    "BlindingError",
    "BlindingKey",
    "Comparison",
    "IQMTable",
    "InputError",
    "InsufficientDataError",
    "IqmstatsError",
    "OutputError",
    "PairingError",
    "ParameterError",
    "PowerResult",
    "RatingsResult",
    "__version__",
    "analyse_ratings",
    "audit",
    "blind",
    "catalogue",
    "compare",
    "example_path",
    "load_example",
    "lock_plan",
    "power",
    "read",
    "read_key",
    "read_results",
    "run_plan",
    "unblind",
    "write_report",
]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'iqmstats' has no attribute {name!r}")
    module = _LAZY[name]
    value = import_module(f".{name}", __name__) if module is None else getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
