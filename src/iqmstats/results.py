"""What each job returns: its tables as DataFrames, its provenance, and how to write and read them.

:class:`Comparison` (``iqmstats.compare``), :class:`RatingsResult` (``analyse_ratings``) and
:class:`PowerResult` (``power``) each hold DataFrames under documented column contracts and a
``provenance`` dict. ``write(folder)`` writes one TSV per table and ``provenance.json``, which
records every table's column types; ``read(folder)`` reads them back through those types, so a
label such as ``01`` or ``1`` stays a string and every number is the number written
(round trip exact). ``write_report(path)`` renders the one self-contained HTML report.

Examples
--------
>>> import tempfile, iqmstats
>>> result = iqmstats.compare(iqmstats.example_path("ixi-iqms"), participant="sub", condition="defaced",
...                           conditions=["0", "1"], measures=["cjv", "efc", "snr_wm"], permutations=99, bootstrap=99)
>>> folder = tempfile.mkdtemp()
>>> _ = result.write(folder)
>>> again = Comparison.read(folder)
>>> again.paired["condition"].unique().tolist(), again.per_iqm.equals(result.per_iqm)
(['0', '1'], True)
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pandas as pd

from .errors import InputError
from .io.write import check_writable, write_json, write_tsv

#: How each column type is written in ``provenance.json`` and read back.
_TYPES = {"text": str, "number": float, "integer": "Int64", "flag": "boolean"}


def _column_types(frame: pd.DataFrame) -> dict[str, str]:
    types = {}
    for column in frame.columns:
        kind = frame[column].dtype
        if pd.api.types.is_bool_dtype(kind):
            types[str(column)] = "flag"
        elif pd.api.types.is_integer_dtype(kind):
            types[str(column)] = "integer"
        elif pd.api.types.is_float_dtype(kind):
            types[str(column)] = "number"
        else:
            types[str(column)] = "text"
    return types


def read_typed_table(path: Path, types: dict[str, str], rows: int | None = None) -> pd.DataFrame:
    """A TSV written by :meth:`_Result.write`, its columns converted to the types recorded (and
    as many rows as recorded: a truncated file is refused)."""
    from .io.records import MAGNITUDE_LIMIT
    from .io.tables import read_plain_table

    frame = read_plain_table(path)
    if rows is not None and len(frame) != rows:
        raise InputError(
            f"{path}: {len(frame)} rows where provenance.json records {rows}: truncated or edited? "
            "Re-run the analysis that wrote it"
        )
    unknown = [c for c in frame.columns if c not in types]
    if unknown or len(frame.columns) != len(types):
        raise InputError(f"{path}: its columns differ from those provenance.json records; was it edited?")
    for column, kind in types.items():
        text = frame[column]
        if kind == "text":
            continue
        missing = text.isin(["n/a", ""])
        try:
            if kind == "flag":
                frame[column] = text.map({"True": True, "False": False}).where(~missing).astype("boolean")
            else:
                numbers = pd.to_numeric(text.where(~missing), errors="raise")
                frame[column] = numbers.astype(_TYPES[kind]) if kind == "integer" else numbers.astype(float)
        except (ValueError, TypeError):
            first = text[~missing].iloc[0] if (~missing).any() else ""
            raise InputError(
                f"{path}: column {column!r} should hold numbers; it holds e.g. {first!r}. Was the file "
                "truncated or edited? Re-run the analysis that wrote it."
            ) from None
        huge = frame[column].abs() > MAGNITUDE_LIMIT
        if huge.any():
            raise InputError(
                f"{path}: column {column!r} holds {frame[column][huge].iloc[0]:.3g}, beyond "
                f"{MAGNITUDE_LIMIT:g} in magnitude: not a number iqmstats writes. Was the file edited?"
            )
        if kind == "integer" and not missing.any():
            frame[column] = frame[column].astype(int)
    return frame


@dataclass(frozen=True)
class _Result:
    """Tables (fields named in ``FILES``) and provenance; writing and reading them."""

    JOB: ClassVar[str] = ""
    FILES: ClassVar[dict[str, str]] = {}  # field name -> file name
    #: Provenance entries (and parameters) the summary and the report read: checked when read back.
    REQUIRED: ClassVar[tuple[str, ...]] = ("parameters",)
    PARAMETERS: ClassVar[tuple[str, ...]] = ()

    provenance: dict

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables present, by file name."""
        return {file: getattr(self, name) for name, file in self.FILES.items() if getattr(self, name) is not None}

    def write(self, folder, *, overwrite: bool = False) -> list[Path]:
        """Write every table as TSV and ``provenance.json`` (with the tables' column types) into
        ``folder`` (created if needed). Every path is checked before the first is written, and
        none is replaced unless ``overwrite``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tables = self.tables()
        paths = [folder / name for name in [*tables, "provenance.json"]]
        for path in paths:
            check_writable(path, overwrite=overwrite)
        for name, frame in tables.items():
            write_tsv(frame, folder / name, overwrite=overwrite)
        types = {name: {"columns": _column_types(frame), "rows": len(frame)} for name, frame in tables.items()}
        write_json({**self.provenance, "tables": types}, folder / "provenance.json", overwrite=overwrite)
        return paths

    @classmethod
    def read(cls, folder):
        """The result written into ``folder`` by :meth:`write`."""
        folder = Path(folder)
        marker = folder / next(iter(cls.FILES.values()))
        if not marker.exists() or not (folder / "provenance.json").exists():
            raise InputError(f"{folder}: no {marker.name} and provenance.json (outputs of iqmstats {cls.JOB})")
        try:
            provenance = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
            types = provenance.pop("tables")
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, AttributeError):
            raise InputError(
                f"{folder / 'provenance.json'}: not the provenance iqmstats {cls.JOB} writes "
                "(damaged, or written by an older iqmstats); re-run the analysis"
            ) from None
        cls._check_provenance(folder / "provenance.json", provenance)
        values = {}
        for name, file in cls.FILES.items():
            if file in types and (folder / file).exists():
                values[name] = read_typed_table(folder / file, types[file]["columns"], types[file]["rows"])
            elif file in types:
                raise InputError(f"{folder / file}: missing, though provenance.json lists it")
        result = cls(provenance=provenance, **values)
        result._check_read(folder)
        return result

    def _check_read(self, folder: Path) -> None:
        """Tables read back must fit together (a result of another kind checks nothing more)."""

    @classmethod
    def _check_provenance(cls, path: Path, provenance: dict) -> None:
        parameters = provenance.get("parameters")
        absent = [key for key in cls.REQUIRED if key not in provenance]
        absent += [
            f"parameters.{key}" for key in cls.PARAMETERS if not isinstance(parameters, dict) or key not in parameters
        ]
        conditions = parameters.get("conditions") if isinstance(parameters, dict) else None
        if "conditions" in cls.PARAMETERS and not (isinstance(conditions, list) and len(conditions) >= 2):
            absent.append("parameters.conditions (two or more)")
        if absent:
            raise InputError(
                f"{path}: lacks {', '.join(absent)}: not the provenance iqmstats {cls.JOB} writes "
                "(edited, or written by another version); re-run the analysis"
            )

    def write_report(self, path, *, overwrite: bool = False, figures: bool = True, form=None) -> Path:
        """Write the HTML report of this result to ``path`` (and its figures as PNGs into a
        ``figures/`` folder beside it, unless ``figures=False``). ``form`` writes the parameters
        the summary advises (default: as Python calls them)."""
        from .errors import python_form
        from .report import write_report

        return write_report(path, self, overwrite=overwrite, figures=figures, form=form or python_form)


@dataclass(frozen=True)
class Comparison(_Result):
    """What ``iqmstats.compare`` found (see the README's ``compare`` for every column).

    ``per_iqm``: per-measure tests; ``multivariate``: Hotelling's T^2 and the other multivariate
    tests (a 'not testable' row says why a test could not run); ``excluded``: measures no test
    uses, with the reason; ``paired``: the values analysed, one row per participant and
    condition; ``equivalence`` (with a margin) and ``decisions``/``decision_flips``: is the
    change negligible for QC; ``pca_*`` with ``reduce='pca'``; ``provenance``: inputs,
    parameters, the pairing audit, who was left out and why.
    """

    JOB = "compare"
    REQUIRED = (
        "parameters",
        "pairing_audit",
        "n_participants",
        "n_iqms_analysed",
        "n_multivariate",
        "notes",
        "participants_dropped",
        "multivariate_left_out",
    )
    PARAMETERS = (
        "conditions",
        "differences",
        "participant",
        "repeats",
        "max_missing_share",
        "max_identical_share",
        "reduce",
        "pca_rule",
        "fit_on",
        "between",
        "permutations",
        "bootstrap",
        "seed",
        "margin",
        "alpha",
        "iqr_k",
    )
    FILES: ClassVar[dict[str, str]] = {
        "paired": "paired_iqms.tsv",
        "excluded": "excluded_iqms.tsv",
        "per_iqm": "per_iqm.tsv",
        "multivariate": "multivariate.tsv",
        "equivalence": "equivalence.tsv",
        "decisions": "decisions.tsv",
        "decision_flips": "decision_flips.tsv",
        "pca_loadings": "pca_loadings.tsv",
        "pca_explained": "pca_explained.tsv",
    }

    per_iqm: pd.DataFrame = None
    multivariate: pd.DataFrame = None
    excluded: pd.DataFrame = None
    paired: pd.DataFrame = None
    equivalence: pd.DataFrame | None = None
    decisions: pd.DataFrame | None = None
    decision_flips: pd.DataFrame | None = None
    pca_loadings: pd.DataFrame | None = None
    pca_explained: pd.DataFrame | None = None

    @property
    def conditions(self) -> list[str]:
        return self.provenance["parameters"]["conditions"]

    def _check_read(self, folder: Path) -> None:
        """Every participant of the paired table under every condition, once."""
        paired = self.paired
        counts = paired.groupby("participant")["condition"].agg(lambda c: tuple(sorted(c)))
        expected = tuple(sorted(self.conditions))
        broken = counts[counts != expected]
        if len(broken):
            raise InputError(
                f"{folder / self.FILES['paired']}: participant {broken.index[0]} has the conditions "
                f"{', '.join(broken.iloc[0])} instead of {', '.join(expected)}: was the file edited? Re-run"
            )

    @property
    def audit(self) -> dict:
        return self.provenance["pairing_audit"]

    def summary(self) -> str:
        """The headline in words (what the command line prints)."""
        from .summaries import comparison_summary

        return "\n".join(map(str, comparison_summary(self)))


@dataclass(frozen=True)
class RatingsResult(_Result):
    """What ``iqmstats.analyse_ratings`` found: ``tidy`` (one row per rating, unblinded),
    ``models`` (mixed models), ``rm_anova``, ``agreement``, ``artifacts``, and the manual QC
    threshold's ``decisions``/``decision_flips`` in the schema of ``compare``."""

    JOB = "ratings"
    REQUIRED = ("parameters", "n_ratings", "n_participants", "n_raters", "rating_decimals", "notes")
    PARAMETERS = ("conditions", "effects", "threshold", "repeats")
    FILES: ClassVar[dict[str, str]] = {
        "models": "ratings_models.tsv",
        "tidy": "ratings_tidy.tsv",
        "rm_anova": "ratings_rm_anova.tsv",
        "agreement": "ratings_agreement.tsv",
        "artifacts": "ratings_artifacts.tsv",
        "decisions": "ratings_decisions.tsv",
        "decision_flips": "ratings_decision_flips.tsv",
    }

    models: pd.DataFrame = None
    tidy: pd.DataFrame = None
    rm_anova: pd.DataFrame = None
    agreement: pd.DataFrame = None
    artifacts: pd.DataFrame = None
    decisions: pd.DataFrame | None = None
    decision_flips: pd.DataFrame | None = None

    @property
    def conditions(self) -> list[str]:
        return self.provenance["parameters"]["conditions"]

    def summary(self) -> str:
        from .summaries import ratings_summary

        return "\n".join(map(str, ratings_summary(self)))


@dataclass(frozen=True)
class PowerResult(_Result):
    """What ``iqmstats.power`` found: ``power`` per test, n and effect (with the type-I error at
    no effect) and ``smallest_n`` reaching the target power."""

    JOB = "power"
    PARAMETERS = ("target", "multiplicative", "simulations")
    FILES: ClassVar[dict[str, str]] = {"power": "power.tsv", "smallest_n": "power_summary.tsv"}

    power: pd.DataFrame = None
    smallest_n: pd.DataFrame = None

    def summary(self) -> str:
        from .summaries import power_summary

        return "\n".join(map(str, power_summary(self)))


RESULT_TYPES = (Comparison, RatingsResult, PowerResult)


def read_results(folder) -> list[_Result]:
    """Every result written into ``folder``: compare's in it, ratings' and power's in it or in its
    ``ratings/`` and ``power/`` sub-folders."""
    folder = Path(folder)
    found = []
    for kind, where in (
        (Comparison, (folder,)),
        (RatingsResult, (folder, folder / "ratings")),
        (PowerResult, (folder, folder / "power")),
    ):
        for place in where:
            if (place / next(iter(kind.FILES.values()))).exists():
                found.append(kind.read(place))
                break
    if not found:
        raise InputError(f"{folder}: no outputs of iqmstats compare, ratings or power to report on")
    return found


def with_provenance(result: _Result, **entries) -> _Result:
    """The same result with entries added to its provenance."""
    return dataclasses.replace(result, provenance={**result.provenance, **entries})
