"""Pair each participant's images across conditions by key, never by row order, and audit the pairs.

:func:`pair_iqms` turns one row per participant and condition (see :mod:`iqmstats.selection`)
into :class:`PairedIQMs`: one matrix per condition, rows aligned by participant id; a measure
missing for an image stays missing (each test decides what it needs). Unpaired participants are
refused, or dropped and reported on request.

:func:`audit_pairing` checks that the pairs look like pairs: is a participant's own image under
the other condition the nearest one, more often than chance?

Examples
--------
>>> from iqmstats import load_example, unblind
>>> study = unblind(load_example("ixi-iqms"), load_example("ixi-key"), key_map={"non_defaced": "original"})
>>> paired = pair_iqms(study.data, measures=study.iqms, conditions=("original", "defaced"), between="site")
>>> paired.n, paired.conditions, paired.values.shape
(579, ('original', 'defaced'), (579, 2, 62))
>>> audit = audit_pairing(paired.complete(["cjv", "cnr", "efc", "fwhm_x", "icvs_gm", "inu_med", "snr_gm", "snr_wm",
...                                        "summary_wm_mean", "wm2max"]))
>>> audit["verdict"], round(audit["identified"], 2), round(audit["chance"], 4), audit["p_value"]
('aligned', 0.83, 0.0017, 0.001)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import PairingError, Param

#: The audit calls pairs aligned when random re-pairings identify as many images this rarely.
AUDIT_ALPHA = 0.01
AUDIT_PERMUTATIONS = 999
#: Up to this many participants the audit's null distribution is enumerated exactly (n!).
AUDIT_EXACT_UP_TO = 7
#: Beyond this many participants the audit uses a seeded random subset of this size (the
#: distances cost n^2; identification among 2,000 candidates is already a sharp test).
AUDIT_MAX_PARTICIPANTS = 2000


@dataclass(frozen=True)
class PairedIQMs:
    """Measures of the same participants under every condition.

    Attributes
    ----------
    participants : tuple of str
        Row order of ``values`` (sorted participant ids).
    conditions : tuple of str
        Condition order; differences are first minus second (A - B).
    iqms : tuple of str
        Column order of ``values`` (IQMs or other measures).
    values : ndarray, shape (n participants, n conditions, n measures)
        NaN where a measure is missing for an image.
    between : Series or None
        A between-participant factor (e.g. site), indexed by participant.
    dropped : DataFrame
        Participants or rows left out, with the reason (columns ``participant``, ``reason``).
    n_images : ndarray (n participants, n conditions) or None
        How many images each value averages (with ``average_over``).
    """

    participants: tuple[str, ...]
    conditions: tuple[str, ...]
    iqms: tuple[str, ...]
    values: np.ndarray
    between: pd.Series | None = None
    dropped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["participant", "reason"]))
    n_images: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.participants)

    def condition(self, name: str) -> pd.DataFrame:
        """The participants x measures table of one condition."""
        return pd.DataFrame(
            self.values[:, self.conditions.index(name)], index=list(self.participants), columns=list(self.iqms)
        )

    def differences(self, first: str | None = None, second: str | None = None) -> pd.DataFrame:
        """``first - second`` per participant (default: the first two conditions, A - B)."""
        first, second = first or self.conditions[0], second or self.conditions[1]
        return self.condition(first) - self.condition(second)

    def with_values(self, values: np.ndarray, iqms) -> PairedIQMs:
        """The same pairing with other columns (e.g. after dropping measures or a PCA)."""
        return PairedIQMs(
            self.participants, self.conditions, tuple(iqms), values, self.between, self.dropped, self.n_images
        )

    def subset(self, keep: np.ndarray) -> PairedIQMs:
        """The participants where ``keep`` (a boolean mask over participants) is true."""
        return PairedIQMs(
            tuple(p for p, k in zip(self.participants, keep) if k),
            self.conditions,
            self.iqms,
            self.values[keep],
            None if self.between is None else self.between[keep],
            self.dropped,
            None if self.n_images is None else self.n_images[keep],
        )

    def complete(self, measures=None) -> PairedIQMs:
        """Participants with every one of ``measures`` (default: all) under every condition."""
        measures = list(self.iqms if measures is None else measures)
        columns = [self.iqms.index(name) for name in measures]
        values = self.values[:, :, columns]
        return self.with_values(values, measures).subset(~np.isnan(values).any(axis=(1, 2)))

    def to_frame(self) -> pd.DataFrame:
        """Tidy: one row per participant and condition (``paired_iqms.tsv``)."""
        frames = []
        for j, condition in enumerate(self.conditions):
            frame = pd.DataFrame(self.values[:, j], columns=list(self.iqms))
            frame.insert(0, "condition", condition)
            frame.insert(0, "participant", list(self.participants))
            if self.between is not None:
                frame.insert(1, self.between.name, self.between.loc[list(self.participants)].to_numpy())
            if self.n_images is not None and (self.n_images != 1).any():
                frame.insert(frame.columns.get_loc("condition") + 1, "n_images", self.n_images[:, j])
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)


def pair_iqms(
    rows: pd.DataFrame,
    *,
    measures,
    participant: str = "participant",
    condition: str = "condition",
    conditions,
    between: str | None = None,
    drop_unpaired: bool = False,
    dropped=(),
) -> PairedIQMs:
    """Pair ``rows`` (one per participant and condition) by participant id across ``conditions``.

    ``between`` is a between-participant factor (e.g. site); it must not change within a
    participant. ``drop_unpaired`` leaves out participants lacking a condition (listed in
    ``dropped``) instead of refusing; ``dropped`` carries earlier (participant, reason) records.
    """
    measures, conditions = list(measures), [str(c) for c in conditions]
    rows = rows[rows[condition].astype(str).isin(conditions)].assign(
        **{participant: lambda r: r[participant].astype(str), condition: lambda r: r[condition].astype(str)}
    )
    if rows.duplicated([participant, condition]).any():
        raise PairingError("pair_iqms needs one row per participant and condition: select the images first")
    counts = rows.groupby(participant)[condition].nunique()
    unpaired = counts.index[counts < len(conditions)].tolist()
    if unpaired and not drop_unpaired:
        raise PairingError(
            f"{len(unpaired)} participant(s) lack an image under some condition ({', '.join(unpaired[:5])}"
            f"{', ...' if len(unpaired) > 5 else ''}). Leave them out with {{0}} (they are listed in the outputs)",
            Param("drop_unpaired", True),
        )
    dropped = [
        *dropped,
        *((p, f"unpaired: not seen under every condition of {', '.join(conditions)}") for p in unpaired),
    ]
    rows = rows[~rows[participant].isin(unpaired)]
    if rows.empty:
        raise PairingError("no participant has an image under every condition")
    participants = sorted(rows[participant].unique())
    wide = rows.set_index([participant, condition])
    values = np.stack(
        [wide.xs(c, level=condition).loc[participants, measures].to_numpy(dtype=float) for c in conditions], axis=1
    )
    n_images = None
    if "n_images" in rows:
        n_images = np.stack(
            [wide.xs(c, level=condition).loc[participants, "n_images"].to_numpy(dtype=int) for c in conditions], axis=1
        )
    return PairedIQMs(
        tuple(participants),
        tuple(conditions),
        tuple(measures),
        values,
        _between(rows, participant, between, participants) if between else None,
        pd.DataFrame(dropped, columns=["participant", "reason"]),
        n_images,
    )


def _between(rows, participant, between, participants) -> pd.Series:
    levels = rows.groupby(participant)[between].nunique()
    changing = levels.index[levels > 1].tolist()
    if changing:
        raise PairingError(
            f"{between!r} changes within participant(s) {', '.join(changing[:5])}; it must be one value per participant"
        )
    return rows.groupby(participant)[between].first().astype(str).loc[participants].rename(between)


def audit_pairing(
    paired: PairedIQMs, *, permutations: int = AUDIT_PERMUTATIONS, alpha: float = AUDIT_ALPHA, seed: int = 0
) -> dict:
    """Do the labelled pairs identify each other? (Complete values only: see ``PairedIQMs.complete``.)

    Statistic: each measure is ranked over all images of the two conditions (a rank transform
    makes it robust to scales and outliers) and standardised; each image's nearest image under
    the other condition (Euclidean distance) is found, both ways. ``identified`` is the share of
    images whose nearest image is the same participant's (ties share the credit), against
    ``chance`` = 1/n for pairs made at random. Null: the pairing re-drawn at random
    (``permutations`` times; every one of the n! pairings up to n = 7); ``p_value`` is the share
    of re-pairings identifying at least as many images. Verdict: 'aligned' when p <= ``alpha``;
    'not testable' when even a perfect identification could not reach ``alpha`` (n! < 1/alpha)
    or no measure varies; else 'misaligned' (rows paired by position, or measures that do not
    tell participants apart). With three or more conditions each is checked against the first.
    """
    checks = []
    for j, other in enumerate(paired.conditions[1:], start=1):
        check = _identification(paired.values[:, 0], paired.values[:, j], permutations, alpha, seed)
        checks.append({"conditions": f"{paired.conditions[0]} - {other}", **check})
    worst = max(checks, key=lambda c: (c["verdict"] != "aligned", c.get("p_value", 1.0)))
    audit = {
        "statistic": "share of images whose nearest image under the other condition is the same participant's "
        "(measures ranked over both conditions, standardised, Euclidean distance)",
        **{k: v for k, v in worst.items() if k != "conditions"},
        "alpha": alpha,
        "seed": seed,
    }
    if len(checks) > 1:
        audit["pairs"] = checks
    return audit


def _identification(first: np.ndarray, second: np.ndarray, permutations: int, alpha: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    subset = ""
    if len(first) > AUDIT_MAX_PARTICIPANTS:
        chosen = np.sort(rng.choice(len(first), AUDIT_MAX_PARTICIPANTS, replace=False))
        first, second = first[chosen], second[chosen]
        subset = f"a random {AUDIT_MAX_PARTICIPANTS} of the participants (seed {seed})"
    n = len(first)
    pooled = np.vstack([first, second])
    ranks = pd.DataFrame(pooled).rank().to_numpy()
    spread = ranks.std(axis=0)
    usable = spread > 0
    base = {
        "n": n,
        "measures": int(usable.sum()),
        "chance": 1 / n if n else float("nan"),
        **({"subset": subset} if subset else {}),
    }
    if n < 2 or not usable.any():
        reason = "fewer than two participants" if n < 2 else "no measure varies"
        return {**base, "verdict": "not testable", "reason": reason}
    z = (ranks[:, usable] - ranks[:, usable].mean(axis=0)) / spread[usable]
    a, b = z[:n], z[n:]
    distance = np.sqrt(np.maximum((a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T, 0))
    tolerance = 1e-9 * max(float(distance.max()), 1.0)
    nearest_b = distance <= distance.min(axis=1, keepdims=True) + tolerance  # A_i's nearest B images
    nearest_a = distance <= distance.min(axis=0, keepdims=True) + tolerance  # B_l's nearest A images
    credit = nearest_b / nearest_b.sum(axis=1, keepdims=True) + nearest_a / nearest_a.sum(axis=0, keepdims=True)
    observed = float(np.trace(credit))
    smallest = 1 / math.factorial(n) if n <= 20 else 0.0
    if n <= AUDIT_EXACT_UP_TO:
        orders = np.array(list(itertools.permutations(range(n))))
        null = credit[np.arange(n), orders].sum(axis=1)
        p_value, method = float(np.mean(null >= observed - 1e-9)), f"all {len(orders)} re-pairings (exact)"
    else:
        orders = np.argsort(rng.random((permutations, n)), axis=1)
        null = credit[np.arange(n), orders].sum(axis=1)
        p_value = float((1 + np.sum(null >= observed - 1e-9)) / (1 + permutations))
        method, smallest = f"{permutations} random re-pairings", max(smallest, 1 / (1 + permutations))
    result = {**base, "identified": observed / (2 * n), "p_value": p_value, "null": method}
    if smallest > alpha:
        return {
            **result,
            "verdict": "not testable",
            "reason": f"{n} participants: even a perfect identification has p = {smallest:.3g} > {alpha:g}",
        }
    return {**result, "verdict": "aligned" if p_value <= alpha else "misaligned"}
