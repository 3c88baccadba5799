"""What MRIQC writes: IQM names per modality, non-IQM keys, sentinels and exact dependencies.

The catalogue is the single place that knows MRIQC's vocabulary. Readers use it to tell IQMs
from bookkeeping, and the statistics use it to explain why an IQM is dropped (a sentinel that
means "missing", a column that is an exact function of others).

Examples
--------
>>> len(iqm_names("T1w")), iqm_names("bold")[:3]
(62, ('aor', 'aqi', 'dummy_trs'))
>>> is_iqm_key("spacing_x"), is_iqm_key("provenance"), is_iqm_key("cjv")
(False, False, True)
>>> IQMS["summary_wm_n"].kind, IQMS["summary_wm_n"].unit
('count', 'voxels')
>>> SENTINELS["fber"].value
-1.0
>>> [d.redundant for d in dependencies("T1w")]
['icvs_wm', 'snr_total', 'snrd_total', 'fwhm_avg']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import ParameterError, did_you_mean

#: Top-level keys of an MRIQC record that are never IQMs (besides the size_* / spacing_* family).
NON_IQM_KEYS = frozenset({"bids_meta", "provenance"})
#: Prefixes of image-geometry keys (matrix size, voxel spacing, TR): bookkeeping, not quality.
NON_IQM_PREFIXES = ("size_", "spacing_")


@dataclass(frozen=True)
class IQM:
    """One image quality metric: its name, family, kind ('measure' or 'count') and unit."""

    name: str
    group: str
    kind: str = "measure"
    unit: str = ""


@dataclass(frozen=True)
class Sentinel:
    """A value MRIQC writes instead of a number when the metric could not be computed."""

    iqm: str
    value: float
    meaning: str


@dataclass(frozen=True)
class Dependency:
    """An exact identity between IQMs, which makes one of them redundant.

    ``kind == "sum"``: the parts add up to ``total``; ``kind == "mean"``: ``target`` is the mean of
    the parts. ``redundant`` is the IQM to drop so that the rest carry the same information.
    """

    kind: str
    parts: tuple[str, ...]
    redundant: str
    target: str | None = None
    total: float = 1.0

    @property
    def columns(self) -> tuple[str, ...]:
        return self.parts + ((self.target,) if self.target else ())

    def describe(self) -> str:
        """One sentence for reports, e.g. 'fwhm_avg is the mean of fwhm_x, fwhm_y, fwhm_z'."""
        if self.kind == "mean":
            return f"{self.target} is the mean of {', '.join(self.parts)}"
        return f"{' + '.join(self.parts)} = {self.total:g}, so {self.redundant} is implied by the others"

    def max_residual(self, values: pd.DataFrame) -> float:
        """Largest violation of the identity over rows where every column is present.

        Relative to the size of the values involved, so it reads as a share (1e-15: holds to
        machine precision). NaN when no row has every column.
        """
        rows = values.loc[:, list(self.columns)].dropna().to_numpy(dtype=float)
        if len(rows) == 0:
            return float("nan")
        parts = rows[:, : len(self.parts)]
        if self.kind == "mean":
            expected, observed = parts.mean(axis=1), rows[:, -1]
        else:
            expected, observed = np.full(len(rows), self.total), parts.sum(axis=1)
        scale = np.maximum(np.abs(expected), np.finfo(float).tiny)
        return float(np.max(np.abs(observed - expected) / scale))


def _family(group: str, names, kind: str = "measure", unit: str = "") -> list[IQM]:
    return [IQM(name, group, kind, unit) for name in names]


def _summary_stats(region: str) -> list[IQM]:
    stats = ["k", "mad", "mean", "median", "n", "p05", "p95", "stdv"]
    return [
        IQM(f"summary_{region}_{s}", "intensity summary", *(("count", "voxels") if s == "n" else ())) for s in stats
    ]


_TISSUES = ("csf", "gm", "wm")
_ANATOMICAL = (
    _family("noise", ["cjv", "cnr"])
    + _family("information theory", ["efc", "fber"])
    + _family("spatial resolution", ["fwhm_avg", "fwhm_x", "fwhm_y", "fwhm_z"])
    + _family("tissue volume", [f"icvs_{t}" for t in _TISSUES])
    + _family("artifacts", ["inu_med", "inu_range", "qi_1"])
    + _family("noise", ["qi_2"])
    + _family("partial volume", [f"rpve_{t}" for t in _TISSUES])
    + _family("noise", [f"snr_{t}" for t in ("csf", "gm", "total", "wm")])
    + _family("noise", [f"snrd_{t}" for t in ("csf", "gm", "total", "wm")])
    + [iqm for region in ("bg", "csf", "gm", "wm") for iqm in _summary_stats(region)]
    + _family("tissue overlap", [f"tpm_overlap_{t}" for t in _TISSUES])
    + _family("artifacts", ["wm2max"])
)
_FUNCTIONAL = (
    _family("artifacts", ["aor", "aqi"])
    + _family("steady state", ["dummy_trs"], "count", "volumes")
    + _family("temporal", ["dvars_nstd", "dvars_std", "dvars_vstd"])
    + _family("information theory", ["efc", "fber"])
    + _family("motion", ["fd_mean"], unit="mm")
    + _family("motion", ["fd_num"], "count", "volumes")
    + _family("motion", ["fd_perc"], unit="%")
    + _family("spatial resolution", ["fwhm_avg", "fwhm_x", "fwhm_y", "fwhm_z"])
    + _family("artifacts", ["gcor", "gsr_x", "gsr_y"])
    + _family("noise", ["snr"])
    + [iqm for region in ("bg", "fg") for iqm in _summary_stats(region)]
    + _family("temporal", ["tsnr"])
)

_BY_MODALITY: dict[str, tuple[IQM, ...]] = {
    "T1w": tuple(_ANATOMICAL),
    "T2w": tuple(_ANATOMICAL),
    "bold": tuple(_FUNCTIONAL),
}
#: Modalities the catalogue knows, in MRIQC's BIDS suffix spelling.
MODALITIES = tuple(_BY_MODALITY)
#: Every IQM the catalogue knows, by name (anatomical and functional share names like ``efc``).
IQMS: dict[str, IQM] = {iqm.name: iqm for iqms in _BY_MODALITY.values() for iqm in iqms}

#: Values that mean "not computed"; readers turn them into missing values.
SENTINELS: dict[str, Sentinel] = {
    "fber": Sentinel("fber", -1.0, "no signal outside the head"),
}

_FWHM = Dependency("mean", ("fwhm_x", "fwhm_y", "fwhm_z"), "fwhm_avg", target="fwhm_avg")
_DEPENDENCIES: dict[str, tuple[Dependency, ...]] = {
    "T1w": (
        Dependency("sum", tuple(f"icvs_{t}" for t in _TISSUES), "icvs_wm"),
        Dependency("mean", tuple(f"snr_{t}" for t in _TISSUES), "snr_total", target="snr_total"),
        Dependency("mean", tuple(f"snrd_{t}" for t in _TISSUES), "snrd_total", target="snrd_total"),
        _FWHM,
    ),
    "bold": (_FWHM,),
}
_DEPENDENCIES["T2w"] = _DEPENDENCIES["T1w"]


def check_modality(modality: str) -> str:
    """Return ``modality`` if the catalogue knows it, else raise a ParameterError with a hint."""
    if modality not in _BY_MODALITY:
        raise ParameterError(f"unknown modality {modality!r}. {did_you_mean(modality, MODALITIES)}")
    return modality


def iqm_names(modality: str) -> tuple[str, ...]:
    """The IQMs MRIQC writes for ``modality``, in canonical (MRIQC's alphabetical) order."""
    return tuple(iqm.name for iqm in _BY_MODALITY[check_modality(modality)])


def dependencies(modality: str) -> tuple[Dependency, ...]:
    """Exact identities between the IQMs of ``modality`` (empty for unknown modalities)."""
    return _DEPENDENCIES.get(modality, ())


def is_iqm_key(key: str) -> bool:
    """False for the keys of an MRIQC record that are bookkeeping, not quality metrics."""
    return key not in NON_IQM_KEYS and not key.startswith(NON_IQM_PREFIXES)


def canonical_order(names, modality: str | None = None) -> list[str]:
    """Order IQM names as the catalogue does; names it does not know go last, sorted.

    >>> canonical_order(["wm2max", "new_metric", "cjv"], "T1w")
    ['cjv', 'wm2max', 'new_metric']
    """
    known = iqm_names(modality) if modality in _BY_MODALITY else ()
    rank = {name: i for i, name in enumerate(known)}
    return sorted(names, key=lambda name: (rank.get(name, len(rank)), name))


def guess_modality(names) -> str | None:
    """The catalogue modality whose IQMs overlap ``names`` most (None when none overlaps).

    T1w and T2w share their IQM names, so an anatomical table is reported as T1w.

    >>> guess_modality(["tsnr", "fd_mean", "efc"]), guess_modality(["cjv"]), guess_modality(["x"])
    ('bold', 'T1w', None)
    """
    names = set(names)
    overlap = {m: len(names & set(iqm_names(m))) for m in MODALITIES}
    best = max(overlap, key=lambda modality: overlap[modality])
    return best if overlap[best] else None
