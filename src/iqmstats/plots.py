"""Figures, as pure functions: data in, an Axes (or, for grids, a Figure) out.

Nothing here saves a file or changes matplotlib's global state; the report assembles figures.
Colours are the Okabe-Ito palette, safe for colour-blind readers.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> per_iqm = pd.DataFrame({"iqm": ["cjv", "efc"], "dz": [0.1, -2.5], "dz_ci_lower": [-0.05, -2.7],
...                         "dz_ci_upper": [0.25, -2.3]})
>>> ax = forest(per_iqm)
>>> [tick.get_text() for tick in ax.get_yticklabels()]
['cjv', 'efc']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from . import catalogue

OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "grey": "#999999",
}
_CYCLE = [OKABE_ITO[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow")]


def _axes(ax: Axes | None, size=(6.0, 4.0)) -> Axes:
    return ax if ax is not None else Figure(figsize=size, layout="constrained").add_subplot()


def _spread(centre, low, high) -> list:
    """Error-bar lengths below and above an estimate; a bound that rounding (or an edited table)
    puts on the wrong side of the estimate draws no bar rather than failing."""
    return [
        np.clip(np.asarray(centre) - np.asarray(low), 0, None),
        np.clip(np.asarray(high) - np.asarray(centre), 0, None),
    ]


def _label(iqm: str) -> str:
    unit = catalogue.IQMS[iqm].unit if iqm in catalogue.IQMS else ""
    return f"{iqm} ({unit})" if unit else iqm


def bland_altman(first, second, *, ax: Axes | None = None, title: str = "", ci=None) -> Axes:
    """Bland-Altman plot: difference (first - second) against the mean of the pair, with the bias,
    its CI (``ci`` = (lower, upper), shaded) and the limits of agreement bias +/- 1.96 SD."""
    ax = _axes(ax)
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    present = np.isfinite(a) & np.isfinite(b)  # a pair missing a value is no point
    a, b = a[present], b[present]
    difference, mean = a - b, (a + b) / 2
    bias, sd = difference.mean(), difference.std(ddof=1) if len(difference) > 1 else 0.0
    ax.scatter(mean, difference, s=6, alpha=0.5, color=OKABE_ITO["blue"], linewidths=0, rasterized=True)
    ax.axhline(0, color=OKABE_ITO["grey"], linewidth=0.8)
    ax.axhline(bias, color=OKABE_ITO["vermillion"], linewidth=1.2, label=f"bias {bias:.3g}")
    for limit in (bias - 1.96 * sd, bias + 1.96 * sd):
        ax.axhline(limit, color=OKABE_ITO["orange"], linestyle="--", linewidth=1)
    if ci is not None:
        ax.axhspan(ci[0], ci[1], color=OKABE_ITO["vermillion"], alpha=0.15, linewidth=0)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("mean of the pair", fontsize=8)
    ax.set_ylabel("difference", fontsize=8)
    ax.tick_params(labelsize=7)
    return ax


def bland_altman_grid(paired: pd.DataFrame, per_iqm: pd.DataFrame, conditions, *, columns: int = 4) -> Figure:
    """One Bland-Altman plot per IQM of ``paired_iqms.tsv``; titles of IQMs whose CI of the bias
    excludes zero are marked with * and drawn in vermillion."""
    first, second = conditions
    rows = per_iqm.set_index("iqm")
    iqms = list(rows.index)
    a = paired[paired["condition"] == first].set_index("participant")
    b = paired[paired["condition"] == second].set_index("participant").loc[a.index]
    lines = -(-len(iqms) // columns)
    height = 2.6 * lines + 0.6
    figure = Figure(figsize=(3.2 * columns, height))  # a fixed grid: a layout solver over 50 panels costs seconds
    figure.subplots_adjust(left=0.07, right=0.98, bottom=0.45 / height, top=1 - 0.9 / height, wspace=0.38, hspace=0.55)
    for k, iqm in enumerate(iqms):
        ax = figure.add_subplot(lines, columns, k + 1)
        ci = (rows.loc[iqm, "ci_lower"], rows.loc[iqm, "ci_upper"])
        moved = ci[0] > 0 or ci[1] < 0
        bland_altman(a[iqm], b[iqm], ax=ax, ci=ci, title=_label(iqm) + (" *" if moved else ""))
        ax.set_xlabel("")  # said once for the grid: a label per panel costs more than the panel
        ax.set_ylabel("")
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.yaxis.set_major_locator(MaxNLocator(4))
        if moved:
            ax.title.set_color(OKABE_ITO["vermillion"])
    figure.supxlabel("mean of the pair", fontsize=9, y=0.15 / height)
    figure.supylabel("difference", fontsize=9, x=0.01)
    figure.suptitle(
        f"Bland-Altman, {first} - {second} (* CI of the bias excludes 0, uncorrected)", fontsize=11, y=1 - 0.25 / height
    )
    return figure


def paired_slopes(paired: pd.DataFrame, iqm: str, conditions, *, ax: Axes | None = None) -> Axes:
    """Each participant's line from the first to the second condition, with the means in bold."""
    ax = _axes(ax, (3.0, 4.0))
    first, second = conditions
    a = paired[paired["condition"] == first].set_index("participant")[iqm]
    b = paired[paired["condition"] == second].set_index("participant")[iqm].loc[a.index]
    present = a.notna() & b.notna()
    a, b = a[present], b[present]
    segments = np.stack([np.column_stack([np.zeros(len(a)), a]), np.column_stack([np.ones(len(b)), b])], axis=1)
    lines = LineCollection(list(segments), colors=OKABE_ITO["grey"], alpha=0.25, linewidths=0.6, rasterized=True)
    ax.add_collection(lines)
    ax.autoscale_view()
    ax.plot([0, 1], [a.mean(), b.mean()], color=OKABE_ITO["vermillion"], linewidth=2.5, marker="o")
    ax.set_xticks([0, 1], [first, second])
    ax.set_xlim(-0.2, 1.2)
    ax.set_ylabel(_label(iqm))
    return ax


def forest(per_iqm: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Cohen's dz with its CI for every IQM, sorted by size (largest |dz| at the top)."""
    rows = per_iqm.assign(size=per_iqm["dz"].abs()).sort_values("size")
    ax = _axes(ax, (6.0, max(2.5, 0.22 * len(rows) + 1)))
    y = np.arange(len(rows))
    ax.errorbar(
        rows["dz"],
        y,
        xerr=_spread(rows["dz"], rows["dz_ci_lower"], rows["dz_ci_upper"]),
        fmt="o",
        color=OKABE_ITO["blue"],
        ecolor=OKABE_ITO["sky"],
        markersize=4,
        capsize=0,
    )
    ax.axvline(0, color=OKABE_ITO["grey"], linewidth=0.8)
    ax.set_yticks(y, rows["iqm"], fontsize=7)
    ax.set_xlabel("Cohen's dz (95% CI)")
    return ax


def equivalence(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Each measure's bias with its 1 - 2 alpha CI in margin units (bias / margin), against the
    equivalence band [-1, 1], sorted by the bias; colour by verdict (equivalent blue, beyond the
    margin vermillion, inconclusive grey)."""
    scale = table["margin_upper"].to_numpy(dtype=float)
    rows = table.assign(
        centre=table["bias"] / scale, low=table["ci90_lower"] / scale, high=table["ci90_upper"] / scale
    ).sort_values("centre")
    ax = _axes(ax, (6.0, max(2.5, 0.22 * len(rows) + 1)))
    ax.axvspan(-1, 1, color=OKABE_ITO["green"], alpha=0.12, linewidth=0, label="equivalence margin")
    ax.axvline(0, color=OKABE_ITO["grey"], linewidth=0.8)
    colours = {
        "equivalent": OKABE_ITO["blue"],
        "beyond_margin": OKABE_ITO["vermillion"],
        "inconclusive": OKABE_ITO["grey"],
    }
    y = np.arange(len(rows))
    for verdict, colour in colours.items():
        chosen = (rows["verdict"] == verdict).to_numpy()
        if chosen.any():
            part = rows[chosen]
            ax.errorbar(
                part["centre"],
                y[chosen],
                xerr=_spread(part["centre"], part["low"], part["high"]),
                fmt="o",
                color=colour,
                markersize=4,
                capsize=0,
                label=verdict.replace("_", " "),
            )
    ax.set_yticks(y, rows["iqm"], fontsize=7)
    ax.set_xlabel("bias in margin units (90% CI); the band is the equivalence margin")
    ax.legend(frameon=False, fontsize=7, loc="lower right")
    return ax


def scree(explained: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Eigenvalues of the PCA, the kept components in blue, the Kaiser line at 1."""
    ax = _axes(ax)
    colours = [OKABE_ITO["blue"] if kept else OKABE_ITO["grey"] for kept in explained["kept"].astype(bool)]
    ax.bar(np.arange(1, len(explained) + 1), explained["eigenvalue"].astype(float), color=colours)
    ax.axhline(1, color=OKABE_ITO["vermillion"], linestyle="--", linewidth=1, label="Kaiser (eigenvalue 1)")
    ax.set_xlabel("component")
    ax.set_ylabel("eigenvalue")
    ax.legend(frameon=False, fontsize=8)
    return ax


def loadings_heatmap(loadings: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Loadings of each IQM (rows) on each kept component (columns)."""
    values = loadings.set_index("iqm") if "iqm" in loadings else loadings
    ax = _axes(ax, (0.6 * values.shape[1] + 3, 0.18 * len(values) + 1.5))
    limit = float(np.abs(values.to_numpy()).max())
    image = ax.imshow(values.to_numpy(dtype=float), cmap="PuOr", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_yticks(range(len(values)), values.index, fontsize=6)
    ax.set_xticks(range(values.shape[1]), values.columns, fontsize=7)
    ax.figure.colorbar(image, ax=ax, shrink=0.6, label="loading")
    return ax


def excluded_summary(excluded: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """How many IQMs were excluded for each reason."""
    ax = _axes(ax, (5.0, 2.5))
    counts = excluded["reason"].value_counts().sort_values()
    ax.barh(counts.index, counts.to_numpy(), color=OKABE_ITO["orange"])
    ax.set_xlabel("IQMs excluded")
    return ax


def rating_distributions(ratings: pd.DataFrame, conditions, *, ax: Axes | None = None) -> Axes:
    """Box plots of the ratings per rater and condition."""
    ax = _axes(ax, (7.0, 3.5))
    raters = sorted(ratings["rater"].unique())
    for j, condition in enumerate(conditions):
        data = [
            ratings.loc[(ratings["rater"] == r) & (ratings["condition"].astype(str) == condition), "rating"].astype(
                float
            )
            for r in raters
        ]
        positions = np.arange(len(raters)) * 3 + j
        box = ax.boxplot(
            data, positions=positions, widths=0.8, patch_artist=True, showfliers=False, medianprops={"color": "black"}
        )
        for patch in box["boxes"]:
            patch.set_facecolor(_CYCLE[j])
            patch.set_alpha(0.6)
        ax.plot([], [], color=_CYCLE[j], linewidth=6, alpha=0.6, label=condition)
    ax.set_xticks(np.arange(len(raters)) * 3 + 0.5, raters)
    ax.set_ylabel("rating")
    ax.legend(frameon=False, fontsize=8)
    return ax


def power_curves(
    power: pd.DataFrame, *, target: float = 0.8, tests=None, margin: float | None = None, ax: Axes | None = None
) -> Axes:
    """Power against n, one line per test and delta, with Monte-Carlo CIs and the target power: the
    difference tests at delta != 0, TOST (power to show equivalence) at deltas inside ``margin``."""
    from .stats.power import power_rows

    ax = _axes(ax, (6.5, 4.0))
    shown = power_rows(power, margin)
    tests = tests or ["hotelling", "any IQM (Holm)"]
    styles = ["-", "--", ":", "-."]
    for j, (delta, rows) in enumerate(shown.groupby("delta")):
        for k, test in enumerate(tests):
            line = rows[rows["test"] == test].sort_values("n")
            if line.empty:
                continue
            ax.errorbar(
                line["n"],
                line["power"],
                yerr=_spread(
                    line["power"], line["ci_lower"], line["ci_upper"]
                ),  # Wilson bounds round inside at 0 and 1
                color=_CYCLE[j % len(_CYCLE)],
                linestyle=styles[k % len(styles)],
                marker="o",
                markersize=3,
                capsize=2,
                label=f"{test}, delta {delta:g}",
            )
    ax.axhline(target, color=OKABE_ITO["grey"], linestyle=":", linewidth=1)
    ax.set_ylim(0, 1.02)
    ax.set_xticks(sorted(set(shown["n"])))  # the planned numbers of pairs, not fractions between them
    ax.set_xlabel("participants (pairs)")
    ax.set_ylabel("power")
    ax.legend(frameon=False, fontsize=7)
    return ax
