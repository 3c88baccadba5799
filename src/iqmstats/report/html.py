"""Render ``report.html`` from result objects: one self-contained file.

The report renders results in memory (``result.write_report(path)``); ``iqmstats report
FOLDER`` reads a folder back with the typed reader that pairs with the writers
(:func:`iqmstats.results.read_results`) and renders the same way, so labels such as ``01`` stay
strings and every number shown is a number of the tables. Figures are PNG data URIs: no network,
no external CSS or JavaScript. Each numeric cell carries its exact value in ``data-value``.
"""

from __future__ import annotations

import base64
import io
import json
import warnings
from pathlib import Path

from .. import __version__
from ..errors import python_form
from ..io.write import check_writable, write_bytes
from ..summaries import comparison_summary, number, p_text, power_summary, ratings_summary

_FIGURE_DPI = 110


def _parts(results) -> dict:
    from ..results import Comparison, PowerResult, RatingsResult

    parts = {}
    for result in results:
        kind = {Comparison: "compare", RatingsResult: "ratings", PowerResult: "power"}[type(result)]
        if kind in parts:
            from ..errors import ParameterError

            raise ParameterError(f"one report shows one result of each kind; got two {kind} results")
        parts[kind] = result
    if not parts:
        from ..errors import ParameterError

        raise ParameterError("nothing to report: give at least one result")
    return parts


def figures(*results) -> dict:
    """The report's figures (name -> matplotlib Figure) for ``results``."""
    from .. import plots

    parts = _parts(results)
    made = {}
    compare = parts.get("compare")
    if compare is not None:
        conditions = compare.conditions[:2]
        first = _first_comparison(compare)
        made["forest"] = plots.forest(first).figure
        made["paired_slopes"] = _slopes(compare.paired, first, conditions)
        made["bland_altman"] = plots.bland_altman_grid(compare.paired, first.sort_index(), conditions)
        if compare.equivalence is not None:
            differences = compare.provenance["parameters"]["differences"]
            made["equivalence"] = plots.equivalence(
                compare.equivalence[compare.equivalence["comparison"] == differences]
            ).figure
        if len(compare.excluded):
            made["excluded"] = plots.excluded_summary(compare.excluded).figure
        if compare.pca_explained is not None:
            made["scree"] = plots.scree(compare.pca_explained).figure
            made["loadings"] = plots.loadings_heatmap(compare.pca_loadings).figure
    ratings = parts.get("ratings")
    if ratings is not None:
        made["rating_distributions"] = plots.rating_distributions(ratings.tidy, ratings.conditions).figure
        made["rating_bland_altman"] = _rating_bland_altman(ratings.tidy, ratings.conditions)
    power = parts.get("power")
    if power is not None:
        target = power.provenance["parameters"]["target"]
        tests = ["hotelling", "any IQM (Holm)", "TOST: all (Holm)", "ratings LME (LRT)"]
        parameters = power.provenance["parameters"]
        margin = None if parameters.get("multiplicative") else parameters.get("margin")
        made["power"] = plots.power_curves(power.power, target=target, tests=tests, margin=margin).figure
    return made


def render_report(*results, form=python_form) -> tuple[str, dict[str, bytes]]:
    """The HTML text and the figures (name -> PNG bytes) of ``results`` (at most one of each
    kind: a Comparison, a RatingsResult, a PowerResult). ``form`` renders the parameters the
    summary advises (Python's ``reduce='pca'`` by default; the CLI passes its flags)."""
    import jinja2
    import numpy as np

    parts = _parts(results)
    pngs = {name: _png(figure) for name, figure in figures(*results).items()}
    compare = parts.get("compare")
    context = {
        "version": __version__,
        "compare": compare,
        "ratings": parts.get("ratings"),
        "power": parts.get("power"),
        "per_iqm_view": _by_effect(compare.per_iqm) if compare is not None else None,
        "aligned": compare is None or compare.audit.get("verdict") == "aligned",
        "provenance_json": {
            kind: json.dumps(result.provenance, indent=2, default=str) for kind, result in parts.items()
        },
        "summary": [line.render(form) for line in _summary(parts)],
        "figures": {name: base64.b64encode(data).decode() for name, data in pngs.items()},
    }
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("iqmstats.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["num"] = number
    environment.filters["cell"] = _cell
    environment.globals["zip"] = zip
    environment.filters["text"] = _text
    environment.tests["number"] = lambda v: (
        isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and v == v
    )
    return environment.get_template("report.html.j2").render(**context), pngs


def write_report(path, *results, overwrite: bool = False, figures: bool = True, form=python_form) -> Path:
    """Write the report of ``results`` to ``path`` and, with ``figures``, its figures as PNGs
    into ``figures/`` beside it; every file is checked before the first is written."""
    path = Path(path)
    html, pngs = render_report(*results, form=form)
    targets = {path: html.encode()}
    if figures:
        (path.parent / "figures").mkdir(parents=True, exist_ok=True)
        targets.update({path.parent / "figures" / f"{name}.png": data for name, data in pngs.items()})
    for target in targets:
        check_writable(target, overwrite=overwrite)
    for target, data in targets.items():
        write_bytes(data, target, overwrite=overwrite)
    return path


def _cell(value, column: str) -> str:
    """A number of a table: p-values that underflow to 0 as < 1e-300, the rest to 3 digits."""
    return p_text(value) if column.startswith("p_") else number(value)


def _text(value) -> str:
    """A non-numeric cell: missing values (None, NaN, pandas' NA) as n/a."""
    import pandas as pd

    return "n/a" if value is None or pd.isna(value) else str(value)


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # extreme values can squeeze the axes; the figure still renders, unannotated
        warnings.filterwarnings("ignore", message="constrained_layout not applied", category=UserWarning)
        figure.savefig(buffer, format="png", dpi=_FIGURE_DPI)
    return buffer.getvalue()


def _by_effect(per_iqm):
    """Per-measure rows, largest |dz| first."""
    return per_iqm.iloc[per_iqm["dz"].abs().sort_values(ascending=False, kind="stable").index]


def _first_comparison(compare):
    """The per-measure rows of the first comparison (A - B), largest |dz| first."""
    differences = compare.provenance["parameters"]["differences"]
    view = _by_effect(compare.per_iqm)
    return view[view["comparison"] == differences]


def _slopes(paired, by_size, conditions):
    """Paired lines of the four measures that moved most (``by_size``: rows sorted by |dz|)."""
    from matplotlib.figure import Figure

    from .. import plots

    top = by_size["iqm"].head(4)
    figure = Figure(figsize=(3.0 * max(len(top), 1), 3.6), layout="constrained")
    for k, iqm in enumerate(top):
        plots.paired_slopes(paired, iqm, conditions, ax=figure.add_subplot(1, len(top), k + 1))
    figure.suptitle("The four measures that moved most (|dz|): each line is one participant", fontsize=10)
    return figure


def _rating_bland_altman(ratings, conditions):
    from .. import plots

    means = ratings.groupby(["participant", "condition"])["rating"].mean().unstack("condition")
    first, second = (str(c) for c in conditions)
    means = means.dropna(subset=[first, second])
    ax = plots.bland_altman(means[first], means[second], title=f"ratings, {first} - {second} (participants' means)")
    return ax.figure


def _summary(parts: dict) -> list:
    from ..errors import Message

    lines = list(comparison_summary(parts["compare"])) if "compare" in parts else []
    if "ratings" in parts:
        lines += [Message("Ratings: " + line.template, *line.params) for line in ratings_summary(parts["ratings"])]
    if "power" in parts:
        lines += [Message("Power: " + line.template, *line.params) for line in power_summary(parts["power"])]
    for kind, result in parts.items():
        registration = result.provenance.get("registration")
        if registration:
            detail = "; ".join(registration["deviations"]) or f"sha256 {registration['sha256']}"
            lines.append(Message(f"{kind.capitalize()}: {registration['status']} ({detail})."))
    return lines
