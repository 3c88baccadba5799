"""Render ``report.html`` from the tables ``compare`` and ``ratings`` wrote into a folder.

The report reads only the output folder, so ``iqmstats report OUTDIR`` re-renders it and every
number it shows is a number of the TSVs. Figures are PNG data URIs: the file needs no network,
no external CSS or JavaScript. Each numeric cell carries its exact value in ``data-value``.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import __version__, plots
from ..errors import InputError
from ..io.write import check_writable, write_bytes
from ..stats.multivariate import headline

_FIGURE_DPI = 110


#: The tables each analysis writes (the report reads nothing else).
COMPARE_TABLES = ("per_iqm.tsv", "multivariate.tsv", "excluded_iqms.tsv", "paired_iqms.tsv", "pca_explained.tsv",
                  "pca_loadings.tsv")
RATINGS_TABLES = ("ratings_tidy.tsv", "ratings_models.tsv", "ratings_rm_anova.tsv", "ratings_agreement.tsv",
                  "ratings_artifacts.tsv")


def _load(path: Path):
    if not path.exists():
        return None
    if path.suffix == ".json":
        return json.loads(path.read_text())
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["n/a"], dtype={"participant": str})


def outputs_of(folder: Path) -> dict:
    """The tables of a folder: ``compare`` outputs in it, ``ratings`` outputs in it or in its
    ``ratings/`` sub-folder, each with its own provenance (``compare``/``ratings`` keys)."""
    found = {}
    if (folder / "per_iqm.tsv").exists():
        found["compare"] = {name: _load(folder / name) for name in (*COMPARE_TABLES, "provenance.json")}
    for where in (folder, folder / "ratings"):
        if (where / "ratings_models.tsv").exists():
            found["ratings"] = {name: _load(where / name) for name in (*RATINGS_TABLES, "provenance.json")}
            break
    for where in (folder, folder / "power"):
        if (where / "power.tsv").exists():
            found["power"] = {name: _load(where / name) for name in ("power.tsv", "power_summary.tsv", "provenance.json")}
            break
    if not found:
        raise InputError(f"{folder}: no outputs of iqmstats compare, ratings or power to report on")
    return found


def render_report(folder) -> tuple[str, dict[str, bytes]]:
    """The HTML text and the figures (name -> PNG bytes) for the outputs in ``folder``."""
    outputs = outputs_of(Path(folder))
    if "compare" in outputs:
        compare = outputs["compare"]
        per_iqm = compare["per_iqm.tsv"]
        compare["per_iqm_view"] = per_iqm.iloc[per_iqm["dz"].abs().sort_values(ascending=False).index]
        differences = compare["provenance.json"]["parameters"]["differences"]
        compare["first_pair"] = compare["per_iqm_view"][compare["per_iqm_view"]["comparison"] == differences]
    figures = dict(_figures(outputs))
    context = {
        "version": __version__,
        "compare": outputs.get("compare"),
        "ratings": outputs.get("ratings"),
        "power": outputs.get("power"),
        "provenance_json": {part: json.dumps(tables["provenance.json"], indent=2, default=str)
                            for part, tables in outputs.items()},
        "summary": _summary(outputs),
        "figures": {name: base64.b64encode(data).decode() for name, data in figures.items()},
    }
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("iqmstats.report", "templates"), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    environment.filters["num"] = _number
    environment.tests["number"] = lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and v == v
    return environment.get_template("report.html.j2").render(**context), figures


def write_report(folder, *, overwrite: bool = False) -> Path:
    """Write ``report.html`` and ``figures/*.png`` into ``folder`` (refusing to replace them
    unless ``overwrite``)."""
    folder = Path(folder)
    html, figures = render_report(folder)
    (folder / "figures").mkdir(exist_ok=True)
    targets = [folder / "report.html"] + [folder / "figures" / f"{name}.png" for name in figures]
    for target in targets:
        check_writable(target, overwrite=overwrite)
    for name, data in figures.items():
        write_bytes(data, folder / "figures" / f"{name}.png", overwrite=overwrite)
    return write_bytes(html.encode(), folder / "report.html", overwrite=overwrite)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_FIGURE_DPI)
    return buffer.getvalue()


def _figures(outputs: dict):
    makers = []
    compare = outputs.get("compare")
    if compare is not None:
        conditions = compare["provenance.json"]["parameters"]["conditions"][:2]
        first_pair, paired = compare["first_pair"], compare["paired_iqms.tsv"]
        makers += [
            ("forest", lambda: plots.forest(first_pair).figure),
            ("bland_altman", lambda: plots.bland_altman_grid(paired, first_pair.sort_index(), conditions)),  # IQM order
            ("paired_slopes", lambda: _slopes(paired, first_pair, conditions)),
        ]
        if len(compare["excluded_iqms.tsv"]):
            makers.append(("excluded", lambda: plots.excluded_summary(compare["excluded_iqms.tsv"]).figure))
        if compare["pca_explained.tsv"] is not None:
            makers.append(("scree", lambda: plots.scree(compare["pca_explained.tsv"]).figure))
            makers.append(("loadings", lambda: plots.loadings_heatmap(compare["pca_loadings.tsv"]).figure))
    ratings = outputs.get("ratings")
    if ratings is not None:
        tidy, conditions = ratings["ratings_tidy.tsv"], ratings["provenance.json"]["parameters"]["conditions"]
        makers.append(("rating_distributions", lambda: plots.rating_distributions(tidy, conditions).figure))
        makers.append(("rating_bland_altman", lambda: _rating_bland_altman(tidy, conditions)))
    power = outputs.get("power")
    if power is not None:
        target = power["provenance.json"]["parameters"]["target"]
        tests = ["hotelling", "any IQM (Holm)", "ratings LME (LRT)"]
        makers.append(("power", lambda: plots.power_curves(power["power.tsv"], target=target, tests=tests).figure))
    for name, make in makers:
        yield name, _png(make())


def _slopes(paired, by_size, conditions) -> Figure:
    """Paired lines of the four IQMs that moved most (``by_size``: per-IQM rows sorted by |dz|)."""
    top = by_size["iqm"].head(4)
    figure = Figure(figsize=(3.0 * len(top), 3.6), layout="constrained")
    for k, iqm in enumerate(top):
        plots.paired_slopes(paired, iqm, conditions, ax=figure.add_subplot(1, len(top), k + 1))
    figure.suptitle("The four IQMs that moved most (|dz|): each line is one participant", fontsize=10)
    return figure


def _rating_bland_altman(ratings, conditions) -> Figure:
    means = ratings.groupby(["participant", "condition"])["rating"].mean().unstack("condition")
    first, second = (str(c) for c in conditions)
    means.columns = means.columns.astype(str)
    ax = plots.bland_altman(means[first], means[second], title=f"ratings, {first} - {second} (participants' means)")
    return ax.figure


def _number(value, digits: int = 3) -> str:
    """Format for reading: 3 significant digits, small p-values in scientific notation."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e6):
        return f"{int(value)}"
    if isinstance(value, (float, np.floating)):
        return f"{value:.{digits}g}"
    return str(value)


def _summary(outputs: dict) -> list[str]:
    """The report's first paragraph, in plain words."""
    lines = []
    compare = outputs.get("compare")
    if compare is not None:
        provenance, multivariate = compare["provenance.json"], compare["multivariate.tsv"]
        parameters = provenance["parameters"]
        lines.append(
            f"Compared {' and '.join(map(str, parameters['conditions']))} in {provenance['n_participants']} participants "
            f"on {provenance['n_iqms_analysed']} IQMs ({len(compare['excluded_iqms.tsv'])} excluded, with reasons below; "
            f"differences are {parameters['differences']})."
        )
        row = headline(multivariate)
        verdict = "changed" if row["p_value"] < 0.05 else "did not detectably change"
        lines.append(
            f"The paired multivariate test says the condition {verdict} the IQMs: Hotelling's T² = "
            f"{_number(row['value'])}, F({_number(row['df1'])}, {_number(row['df2'])}) = {_number(row['f'])}, "
            f"p = {_number(row['p_value'])}, sign-flip permutation p = {_number(row['p_resampled'])}."
        )
        top = compare["first_pair"].head(3)
        lines.append("The IQMs that moved most: " + ", ".join(f"{r.iqm} (dz = {_number(r.dz)})" for r in top.itertuples()) + ".")
        audit = provenance["pairing_audit"]
        word = "passed" if audit.get("verdict") == "aligned" else "FAILED: the pairs look misaligned"
        lines.append(f"The pairing audit {word} (median within-pair correlation {_number(audit.get('observed'))}; "
                     f"random pairs {_number(audit.get('shuffled_mean'))}).")
    ratings = outputs.get("ratings")
    if ratings is not None:
        provenance, row = ratings["provenance.json"], ratings["ratings_models.tsv"].iloc[0]
        lines.append(
            f"Ratings: {provenance['n_ratings']} ratings of {provenance['n_participants']} participants by "
            f"{provenance['n_raters']} raters. {provenance['parameters']['effects']} = {_number(row['estimate'])} rating "
            f"points (SE {_number(row['se'])}), likelihood-ratio χ²({_number(row['df'])}) = {_number(row['chi2'])}, "
            f"p = {_number(row['p_value'])}."
        )
    for part in ("compare", "ratings"):
        registration = (outputs.get(part) or {}).get("provenance.json", {}).get("registration")
        if registration:
            detail = "; ".join(registration["deviations"]) or f"sha256 {registration['sha256']}"
            lines.append(f"{part.capitalize()}: {registration['status']} ({detail}).")
    power = outputs.get("power")
    if power is not None:
        parameters = power["provenance.json"]["parameters"]
        null = power["power.tsv"][power["power.tsv"]["delta"] == 0]
        lines.append(
            f"Power: {parameters['simulations']} simulated studies per n and delta; at delta 0, "
            f"{int((null['type_i'] == 'calibrated').sum())} of {len(null)} tests are calibrated."
        )
    return lines
