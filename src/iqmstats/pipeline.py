"""The one place that composes the steps: unblinded tables -> pairing -> statistics -> output folders.

``compare_conditions`` and ``analyse_ratings`` run the analyses, ``write_comparison``,
``write_ratings_analysis`` and ``write_power`` write their tables and ``provenance.json``;
``summarise_study`` says who is in a table and which IQMs could be analysed.

Examples
--------
>>> from iqmstats.examples import load_example
>>> summary = summarise_study(load_example("ixi-iqms"), participant="sub", condition="defaced")
>>> summary["n_participants"], summary["conditions"], summary["complete_participants"]
(579, {'0': 579, '1': 579}, 579)
>>> int(summary["screen"].kept.sum())
53
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .errors import InputError, ParameterError, did_you_mean
from .io import IQMTable
from .io.write import check_writable, write_json, write_tsv
from .pairing import audit_pairing, pair_iqms
from .stats import screen_iqms
from .stats.multivariate import between_manova, preregistered_manova, repeated_measures
from .stats.preprocess import PreparedIQMs, prepare_iqms
from .stats.ratings import agreement, artifact_tests, rating_models, rm_anova
from .stats.univariate import per_iqm_tests
from .stats.wts_mats import wts_mats


def summarise_study(table: IQMTable, *, participant: str, condition: str) -> dict:
    """Who is in the table, under which conditions, and which IQMs could be analysed.

    Returns a dict with ``n_images``, ``n_participants``, ``conditions`` (images per condition),
    ``complete_participants`` (participants seen under every condition) and ``screen`` (the
    :func:`iqmstats.stats.screen_iqms` table).
    """
    for column in (participant, condition):
        if column not in table.id_columns:
            raise InputError(f"no column {column!r} in {table.source}. {did_you_mean(column, table.id_columns)}")
    data = table.data
    per_participant = data.groupby(participant)[condition].nunique()
    n_conditions = data[condition].nunique()
    return {
        "n_images": len(data),
        "n_participants": int(data[participant].nunique()),
        "conditions": data[condition].value_counts().sort_index().to_dict(),
        "complete_participants": int((per_participant == n_conditions).sum()),
        "screen": screen_iqms(table.values, modality=table.modality),
    }


def join_participants(table: IQMTable, participants: pd.DataFrame, *, participant: str = "participant") -> IQMTable:
    """Add participant-level columns (e.g. site) to every image row, matched by participant id;
    participants missing from ``participants`` are refused by name."""
    if participant not in table.data:
        raise InputError(f"no column {participant!r} to join participants on. {did_you_mean(participant, table.id_columns)}")
    ids = table.data[participant].astype(str).str.removeprefix("sub-")
    unknown = sorted(set(ids) - set(participants.index))
    if unknown:
        raise InputError(f"{len(unknown)} participant(s) are not in the participants table, e.g. {', '.join(unknown[:3])}")
    clash = [c for c in participants.columns if c in table.data]
    if clash:
        raise InputError(f"the participants table repeats column(s) {', '.join(clash)} of the IQM table")
    extra = participants.loc[ids.to_numpy()].reset_index(drop=True)
    at = len(table.id_columns)
    data = pd.concat([table.data.iloc[:, :at], extra, table.data.iloc[:, at:]], axis=1)
    return dataclasses.replace(table, data=data)


@dataclass(frozen=True)
class Comparison:
    """Everything ``iqmstats compare`` computes; ``write_comparison`` writes it to a folder."""

    prepared: PreparedIQMs
    per_iqm: pd.DataFrame
    multivariate: pd.DataFrame
    audit: dict
    parameters: dict


def compare_conditions(
    table,
    *,
    participant: str = "participant",
    condition: str = "condition",
    conditions=None,
    iqms=None,
    between: str | None = None,
    reduce: str = "none",
    pca_rule="kaiser",
    fit_on: str | None = None,
    standardise_within: bool = False,
    repeats: str = "first",
    drop_unpaired: bool = False,
    max_missing_share: float = 0.1,
    max_identical_share: float = 0.95,
    permutations: int = 10_000,
    bootstrap: int = 10_000,
    random_state: int = 0,
) -> Comparison:
    """Pair, audit, prepare and test: the analysis behind ``iqmstats compare``.

    ``table`` is an IQMTable (or a DataFrame plus ``iqms``) with participant and condition
    columns. Differences are first minus second of ``conditions``. Returns a :class:`Comparison`.
    """
    frame, names, modality = (table.data, table.iqms, table.modality) if isinstance(table, IQMTable) else (table, iqms, None)
    if names is None:
        raise ParameterError("name the IQM columns (iqms=...) when passing a DataFrame")
    paired = pair_iqms(frame, iqms=names, participant=participant, condition=condition, conditions=conditions,
                       repeats=repeats, between=between, drop_unpaired=drop_unpaired, random_state=random_state)
    audit = audit_pairing(paired, random_state=random_state)
    prepared = prepare_iqms(paired, modality=modality, selected=iqms if isinstance(table, IQMTable) else None,
                            max_missing_share=max_missing_share, max_identical_share=max_identical_share,
                            reduce=reduce, fit_on=fit_on, pca_rule=pca_rule, standardise_within=standardise_within)
    data = prepared.paired
    per_iqm = pd.concat([
        per_iqm_tests(data.condition(first), data.condition(second), bootstrap=bootstrap, random_state=random_state)
        .assign(comparison=f"{first} - {second}")
        for first, second in _pairs(data.conditions)
    ], ignore_index=True)
    stacked = data.values.transpose(1, 0, 2).reshape(-1, len(data.iqms))
    labels = np.repeat(data.conditions, data.n)
    tests = [
        preregistered_manova(stacked, labels),
        repeated_measures(data.values, data.conditions, permutations=permutations, random_state=random_state),
    ]
    if between is not None:
        if len(data.conditions) != 2:
            raise ParameterError("--between needs exactly two conditions")
        tests.append(between_manova(data.values, data.between.to_numpy(), factor=between))
        tests.append(wts_mats(data.values, data.between.to_numpy(), factor=between, resamples=permutations,
                              random_state=random_state))
    parameters = {
        "participant": participant, "condition": condition, "conditions": list(data.conditions),
        "differences": f"{data.conditions[0]} - {data.conditions[1]}", "iqms": list(iqms) if iqms else "all",
        "between": between, "reduce": reduce, "pca_rule": pca_rule, "fit_on": fit_on,
        "standardise_within": standardise_within, "repeats": repeats, "drop_unpaired": drop_unpaired,
        "max_missing_share": max_missing_share, "max_identical_share": max_identical_share,
        "permutations": permutations, "bootstrap": bootstrap, "random_state": random_state,
    }
    return Comparison(prepared, per_iqm, pd.concat(tests, ignore_index=True), audit, parameters)


def _pairs(conditions):
    first = conditions[0]
    return [(first, other) for other in conditions[1:]] + [
        (a, b) for i, a in enumerate(conditions[1:], 1) for b in conditions[i + 1 :]
    ]


def write_comparison(result: Comparison, out, *, inputs: dict, registration: dict | None = None,
                     overwrite: bool = False) -> list[Path]:
    """Write the five outputs of ``iqmstats compare`` into folder ``out`` (created if needed).

    Every output is checked before the first is written, so nothing is half replaced.
    """
    tables = {
        "paired_iqms.tsv": result.prepared.paired.to_frame(),
        "excluded_iqms.tsv": result.prepared.excluded,
        "per_iqm.tsv": result.per_iqm,
        "multivariate.tsv": result.multivariate,
    }
    if result.prepared.reduction:
        tables["pca_loadings.tsv"] = result.prepared.reduction["loadings"].rename_axis("iqm").reset_index()
        tables["pca_explained.tsv"] = result.prepared.reduction["explained"]
    return _write_outputs(Path(out), tables, {**_provenance(result, inputs), "registration": registration}, overwrite)


def _write_outputs(out: Path, tables: dict, provenance: dict, overwrite: bool) -> list[Path]:
    """Write TSVs and ``provenance.json`` into ``out``, checking every path before the first write."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / name for name in [*tables, "provenance.json"]]
    for path in paths:
        check_writable(path, overwrite=overwrite)
    for name, frame in tables.items():
        write_tsv(frame, out / name, overwrite=overwrite)
    write_json(provenance, out / "provenance.json", overwrite=overwrite)
    return paths


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _software() -> dict:
    import platform

    import scipy
    import statsmodels

    return {"python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__,
            "scipy": scipy.__version__, "statsmodels": statsmodels.__version__}


def _provenance(result: Comparison, inputs: dict) -> dict:
    dropped = result.prepared.paired.dropped
    return {
        "iqmstats_version": __version__,
        "created": _now(),
        "inputs": inputs,
        "parameters": result.parameters,
        "n_participants": result.prepared.paired.n,
        "n_iqms_analysed": len(result.prepared.paired.iqms),
        "participants_dropped": dropped.to_dict("records"),
        "pairing_audit": result.audit,
        "software": _software(),
    }


def file_checksum(path) -> str:
    """sha256 of a file, or of a folder's files (relative paths and contents, in sorted order)."""
    path = Path(path)
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        if file != path:
            digest.update(file.relative_to(path).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class RatingsAnalysis:
    """Everything ``iqmstats ratings`` computes; ``write_ratings_analysis`` writes it to a folder."""

    tidy: pd.DataFrame
    models: pd.DataFrame
    rm_anova: pd.DataFrame
    agreement: pd.DataFrame
    artifacts: pd.DataFrame
    parameters: dict


def analyse_ratings(ratings: pd.DataFrame, *, conditions, threshold: float = 2.45) -> RatingsAnalysis:
    """Mixed models, rm-ANOVA, agreement and artifact tests of unblinded ratings (one row per
    rating with ``rater, participant, condition, rating``). Without a ``presentation`` column,
    repeated ratings of one participant and condition by one rater are numbered in file order."""
    tidy = ratings.copy()
    if "presentation" not in tidy:
        tidy["presentation"] = tidy.groupby(["rater", "participant", "condition"]).cumcount() + 1
    conditions = [str(c) for c in conditions]
    return RatingsAnalysis(
        tidy=tidy,
        models=rating_models(tidy, conditions, threshold=threshold),
        rm_anova=rm_anova(tidy, conditions),
        agreement=agreement(tidy, conditions, threshold=threshold),
        artifacts=artifact_tests(tidy, conditions),
        parameters={"conditions": conditions, "effects": f"{conditions[0]} - {conditions[1]}", "threshold": threshold},
    )


def write_ratings_analysis(result: RatingsAnalysis, out, *, inputs: dict, registration: dict | None = None,
                           overwrite: bool = False) -> list[Path]:
    """Write ``ratings_tidy.tsv``, ``ratings_models.tsv``, ``ratings_rm_anova.tsv``,
    ``ratings_agreement.tsv``, ``ratings_artifacts.tsv`` and ``provenance.json`` into ``out``."""
    tables = {
        "ratings_tidy.tsv": result.tidy,
        "ratings_models.tsv": result.models,
        "ratings_rm_anova.tsv": result.rm_anova,
        "ratings_agreement.tsv": result.agreement,
        "ratings_artifacts.tsv": result.artifacts,
    }
    return _write_outputs(Path(out), tables, {
        "iqmstats_version": __version__, "created": _now(), "inputs": inputs, "parameters": result.parameters,
        "n_ratings": len(result.tidy), "n_raters": int(result.tidy["rater"].nunique()),
        "n_participants": int(result.tidy["participant"].nunique()), "software": _software(),
        "registration": registration,
    }, overwrite)


def write_power(power: pd.DataFrame, summary: pd.DataFrame, out, *, inputs: dict, parameters: dict,
                overwrite: bool = False) -> list[Path]:
    """Write ``power.tsv``, ``power_summary.tsv`` (smallest n reaching the target) and
    ``provenance.json`` into ``out``."""
    return _write_outputs(Path(out), {"power.tsv": power, "power_summary.tsv": summary}, {
        "iqmstats_version": __version__, "created": _now(), "inputs": inputs, "parameters": parameters,
        "software": _software(),
    }, overwrite)
