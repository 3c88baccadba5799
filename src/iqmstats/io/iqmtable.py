"""IQMTable: one row per image, IQMs in canonical order, identifiers and provenance kept apart.

Every reader produces its records and hands them to :func:`build_table`, the one place that
checks IQM sets, duplicate images and sentinels, so every input format obeys the same rules.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import catalogue
from ..errors import InputError, Param
from .bids import ENTITY_COLUMNS

#: Provenance columns, always last in ``IQMTable.data``.
PROVENANCE_COLUMNS = ("mriqc_version", "md5sum", "mriqc_warnings", "source_file")
IQM_SET_POLICIES = ("strict", "common")
_ID_ORDER = ("bids_name", *ENTITY_COLUMNS.values(), "suffix")


@dataclass(frozen=True)
class IQMTable:
    """IQMs read from MRIQC outputs.

    Attributes
    ----------
    data : DataFrame
        One row per image: identifier columns (``bids_name``, BIDS entities, other metadata; all
        strings), then the IQMs (floats, canonical order), then :data:`PROVENANCE_COLUMNS`.
    iqms : tuple of str
        The IQM columns of ``data``.
    modality : str or None
        BIDS suffix of the images (``T1w``, ``T2w``, ``bold``); None when it cannot be told.
    source : str
        What was read.
    skipped : DataFrame
        Files (or table rows) left out, with the reason (columns ``file``, ``reason``).
    set_aside : tuple of str
        Keys found in the input that are not IQMs (``bids_meta``, ``size_x``, ...).
    sentinels : dict
        Per IQM, how many sentinel values (e.g. ``fber == -1``) were turned into missing values.
    missing : dict
        Per IQM, how many values were already missing in the input (tables only).
    modality_source : str or None
        How the modality was told: 'given', 'from the file name ...', 'from the BIDS names',
        'inferred from the columns', 'from the records'.
    other_numeric : tuple of str
        Identifier columns that hold numbers but are not measures (an age, a site code): kept
        as strings, never analysed unless named as measures.
    provenance : dict
        How the table was made (options, time; the key that unblinded it), written in the sidecar.
    checksum : str or None
        For a folder: sha256 over the per-image JSONs read (relative path and the sha256 of the
        bytes of each, in sorted order), computed while reading.
    """

    data: pd.DataFrame
    iqms: tuple[str, ...]
    modality: str | None
    source: str
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["file", "reason"]))
    set_aside: tuple[str, ...] = ()
    sentinels: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    modality_source: str | None = None
    other_numeric: tuple[str, ...] = ()
    provenance: dict = field(default_factory=dict)
    checksum: str | None = None

    @property
    def values(self) -> pd.DataFrame:
        """The IQM columns only."""
        return self.data.loc[:, list(self.iqms)]

    @property
    def id_columns(self) -> list[str]:
        """The string columns before the IQMs (entities and other metadata)."""
        return [c for c in self.data.columns if c not in self.iqms and c not in PROVENANCE_COLUMNS]

    def describe(self) -> str:
        """A few lines saying what was read, what was skipped and what was set aside."""
        modality = (
            f"{self.modality}, {self.modality_source}" if self.modality and self.modality_source else self.modality
        )
        lines = [
            f"{len(self.data)} images ({modality or 'unknown modality'}), {len(self.iqms)} measures, from {self.source}"
        ]
        if len(self.skipped):
            counts = Counter(self.skipped["reason"])
            reasons = "; ".join(f"{n} {reason}" for reason, n in counts.most_common())
            lines.append(f"skipped {len(self.skipped)}: {reasons}")
        if self.set_aside:
            lines.append(f"not IQMs, set aside: {', '.join(self.set_aside)}")
        for iqm, n in self.sentinels.items():
            sentinel = catalogue.SENTINELS[iqm]
            lines.append(f"{iqm}: {n} values are {sentinel.value:g} ({sentinel.meaning}), read as missing")
        for iqm, n in self.missing.items():
            lines.append(f"{iqm}: {n} values missing in the input")
        if self.other_numeric:
            lines.append(
                f"columns holding numbers that are not MRIQC IQMs, kept as identifiers (name them as measures to "
                f"analyse them): {', '.join(self.other_numeric)}"
            )
        return "\n".join(lines)

    def with_provenance(self, entries: dict) -> IQMTable:
        """The same table with ``entries`` added to its provenance."""
        return dataclasses.replace(self, provenance={**self.provenance, **entries})

    def sidecar(self) -> dict:
        """What the JSON sidecar of the table's TSV says: what was read, skipped and set aside."""
        from .. import __version__

        return {
            "iqmstats_version": __version__,
            **self.provenance,
            "source": self.source,
            "modality": self.modality,
            "modality_source": self.modality_source,
            "n_images": len(self.data),
            "columns": {
                "identifiers": self.id_columns,
                "iqms": list(self.iqms),
                "provenance": list(PROVENANCE_COLUMNS),
            },
            "other_numeric": list(self.other_numeric),
            "set_aside": list(self.set_aside),
            "sentinels": self.sentinels,
            "missing": self.missing,
            "skipped": self.skipped.to_dict("records"),
        }

    def write(self, path, *, overwrite: bool = False) -> list:
        """Write the table as a tidy TSV at ``path`` and its JSON sidecar beside it (same name,
        ``.json``); both are checked before either is written, neither replaced unless ``overwrite``."""
        from pathlib import Path

        from .write import check_writable, write_json, write_tsv

        path = Path(path)
        sidecar = path.with_suffix(".json")
        if sidecar == path:
            from ..errors import OutputError

            raise OutputError(f"{path}: the table is written as TSV; name it .tsv (its sidecar is the .json)")
        for target in (path, sidecar):
            check_writable(target, overwrite=overwrite)
        write_tsv(self.data, path, overwrite=overwrite)
        write_json(self.sidecar(), sidecar, overwrite=overwrite)
        return [path, sidecar]

    def select(self, measures) -> IQMTable:
        """The same table analysing only ``measures`` (IQMs of the table, in the order given)."""
        absent = [name for name in measures if name not in self.iqms]
        if absent:
            from ..errors import Param, ParameterError, did_you_mean

            raise ParameterError(
                f"{{0}}: {self.source} has no measure {absent[0]!r}. {did_you_mean(absent[0], self.iqms)}",
                Param("measures", list(measures)),
            )
        dropped = [name for name in self.iqms if name not in measures]
        return dataclasses.replace(
            self,
            data=self.data.drop(columns=dropped),
            iqms=tuple(order_measures(measures, self.modality)),
            set_aside=tuple(sorted({*self.set_aside, *dropped})),
        )


def build_table(
    ids: list[dict[str, str]],
    keys: list[tuple[str, ...]],
    rows: list[list],
    provenance: list[tuple],
    *,
    modality: str | None,
    source: str,
    iqm_sets: str = "strict",
    skipped=(),
    set_aside=(),
    missing: dict[str, int] | None = None,
    modality_source: str | None = None,
    other_numeric=(),
    checksum: str | None = None,
) -> IQMTable:
    """Assemble parsed records into an IQMTable, enforcing the rules every reader shares.

    ``ids[i]`` holds record i's identifier strings, ``keys[i]`` its IQM names and ``rows[i]``
    the matching numbers (already checked to be numbers), ``provenance[i]`` one value per
    :data:`PROVENANCE_COLUMNS`. Records must describe distinct images (``bids_name``), and agree
    on their IQM set unless ``iqm_sets == "common"`` (then the shared IQMs are kept).
    """
    _refuse_duplicates(ids, provenance)
    iqms = _iqm_set(keys, provenance, iqm_sets, modality)
    if len(set(keys)) == 1 and set(keys[0]) == set(iqms):
        iqms = order_measures(keys[0], modality)
    values = _matrix(keys, rows, iqms)
    sentinels = _mask_sentinels(values, iqms)

    id_frame = pd.DataFrame(ids, dtype="str")
    id_frame = id_frame[[c for c in _ID_ORDER if c in id_frame] + [c for c in id_frame if c not in _ID_ORDER]]
    data = pd.concat(
        [
            id_frame,
            pd.DataFrame(values, columns=list(iqms)),
            pd.DataFrame(provenance, columns=list(PROVENANCE_COLUMNS), dtype="str"),
        ],
        axis=1,
    )
    return IQMTable(
        data=data,
        iqms=tuple(iqms),
        modality=modality,
        source=source,
        skipped=pd.DataFrame(list(skipped), columns=["file", "reason"]),
        set_aside=tuple(sorted(set_aside)),
        sentinels=sentinels,
        missing={k: v for k, v in (missing or {}).items() if k in iqms and v},
        modality_source=modality_source,
        other_numeric=tuple(other_numeric),
        checksum=checksum,
    )


def order_measures(names, modality) -> list[str]:
    """MRIQC IQMs in the catalogue's order; a set holding measures of one's own (principal
    components, harmonised IQMs) in the order given."""
    names = list(names)
    return catalogue.canonical_order(names, modality) if all(name in catalogue.IQMS for name in names) else names


def _refuse_duplicates(ids, provenance) -> None:
    names = [record.get("bids_name") for record in ids]
    if len(set(names)) == len(names):
        return
    sources = defaultdict(list)
    for record, prov in zip(ids, provenance):
        sources[record.get("bids_name")].append(prov[-1])
    twice = {name: files for name, files in sources.items() if name is not None and len(files) > 1}
    if twice:
        name, files = next(iter(twice.items()))
        raise InputError(
            f"{len(twice)} image(s) appear more than once, e.g. {name} in {' and '.join(map(str, files))}. "
            "Remove the extra copies (or read the folders separately) so each image is counted once."
        )


def _iqm_set(keys, provenance, policy, modality) -> list[str]:
    if not keys:
        raise InputError("no MRIQC records to read")
    sets: Counter = Counter()
    for k, n in Counter(keys).items():  # records of one MRIQC run share one key tuple: few distinct
        sets[frozenset(k)] += n
    if len(sets) == 1:
        return catalogue.canonical_order(next(iter(sets)), modality)
    common = frozenset.intersection(*sets)
    if policy == "common":
        if not common:
            raise InputError("the records share no IQM at all; read them separately")
        return catalogue.canonical_order(common, modality)
    (majority, n_major), (other, n_other) = sets.most_common(2)
    versions = defaultdict(set)
    for k, prov in zip(keys, provenance):
        versions[frozenset(k)].add(prov[0] or "unknown")
    example = next(prov[-1] for k, prov in zip(keys, provenance) if frozenset(k) == other)
    lacks, adds = sorted(majority - other), sorted(other - majority)
    diff = "; ".join(
        part
        for part in (f"lacking {', '.join(lacks)}" if lacks else "", f"adding {', '.join(adds)}" if adds else "")
        if part
    )
    raise InputError(
        f"records disagree on their IQMs: {n_major} (MRIQC {', '.join(sorted(versions[majority]))}) vs "
        f"{n_other} (MRIQC {', '.join(sorted(versions[other]))}, e.g. {example}) {diff}"
        f"{f'; {len(sets)} different IQM sets in all' if len(sets) > 2 else ''}. "
        f"Re-run MRIQC with one version, or keep the {len(common)} IQMs all records share with {{0}}",
        Param("common_iqms", True),
    )


def _matrix(keys, rows, iqms) -> np.ndarray:
    column = {name: j for j, name in enumerate(iqms)}
    values = np.empty((len(rows), len(iqms)))
    by_order = defaultdict(list)
    for i, k in enumerate(keys):
        by_order[k].append(i)
    for k, members in by_order.items():
        pick = [(i, column[name]) for i, name in enumerate(k) if name in column]
        src, dst = zip(*pick)
        block = np.array([rows[i] for i in members], dtype=float).reshape(len(members), len(k))
        values[np.ix_(members, dst)] = block[:, src]
    return values


def _mask_sentinels(values: np.ndarray, iqms) -> dict[str, int]:
    counts = {}
    for j, name in enumerate(iqms):
        sentinel = catalogue.SENTINELS.get(name)
        if sentinel is not None:
            hit = values[:, j] == sentinel.value
            values[hit, j] = np.nan
            if hit.any():
                counts[name] = int(hit.sum())
    return counts
