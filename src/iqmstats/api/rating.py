"""``iqmstats.analyse_ratings``: did blinded raters judge one condition differently?"""

from __future__ import annotations

from ..errors import Param, ParameterError
from ..validation import validate
from .common import load_key, provenance, record_file


def analyse_ratings(
    data,
    *,
    conditions=None,
    key=None,
    key_map=None,
    participant: str | None = None,
    condition: str | None = None,
    rater_column: str = "rater_id",
    id_column: str = "randomized_id",
    rating_column: str = "rating",
    scale=(1, 4),
    threshold: float = 2.45,
    repeats: str = "first",
    seed: int = 0,
):
    """Mixed models, rm-ANOVA, agreement, artifacts and QC decisions of blinded ratings.

    Parameters
    ----------
    data : path or DataFrame
        Ratings: the study's export (``S1_Data.tsv``), any table (name its columns with
        ``rater_column``, ``id_column``, ``rating_column``), or a folder with one sub-folder per
        rater of MRIQC rating-widget JSONs.
    conditions : list of two str, optional
        The conditions, in order (effects are first minus second); without it, ratings of
        exactly two conditions are compared in sorted order (the provenance says which first).
    key, key_map : optional
        Unblind the ratings by their blinded ids (key file, document or BlindingKey).
    participant, condition : str, optional
        Instead of a key: the participant and condition columns of an unblinded table.
    scale, threshold : optional
        The rating scale (lowest, highest); ratings at or below ``threshold`` mean poor/exclude.
    repeats : {'first', 'random', 'mean', 'all'}
        Repeated presentations of an image: keep presentation 1 (the study's published
        analysis), a seeded random one, the mean rating, or every rating. Presentations are
        numbered in the order the ratings appear in the input, with a key or with columns alike.
    seed : int
        Seed of ``repeats='random'``.

    Examples
    --------
    >>> import iqmstats
    >>> result = iqmstats.analyse_ratings(iqmstats.example_path("ixi-ratings"), key=iqmstats.load_example("ixi-key"),
    ...                                   key_map={"non_defaced": "original"}, conditions=["original", "defaced"])
    >>> row = result.models.iloc[0]
    >>> round(float(row.chi2), 2), round(float(row.p_value), 3)
    (6.28, 0.012)
    """
    arguments = validate("analyse_ratings", locals())
    if arguments["key"] is None and (arguments["participant"] is None or arguments["condition"] is None):
        raise ParameterError(
            "the ratings are blinded: give {0} to unblind them, or name the columns of an unblinded "
            "table with {1} and {2}",
            Param("key"),
            Param("participant"),
            Param("condition"),
        )
    if arguments["key"] is not None and (arguments["participant"] is not None or arguments["condition"] is not None):
        raise ParameterError(
            "give {0} or the columns {1} and {2} of an unblinded table, not both",
            Param("key"),
            Param("participant", participant),
            Param("condition", condition),
        )
    return _analyse(**arguments)


def _analyse(
    *,
    data,
    conditions,
    key,
    key_map,
    participant,
    condition,
    rater_column,
    id_column,
    rating_column,
    scale,
    threshold,
    repeats,
    seed,
):
    import pandas as pd

    from ..blinding import UNBLINDED_COLUMNS, unblind
    from ..io.ratings import read_ratings
    from ..results import RatingsResult
    from ..selection import choose_conditions
    from ..stats import ratings as stats

    inputs = {}
    if not isinstance(data, pd.DataFrame):
        record_file(inputs, "data", data)
    else:
        inputs["data"] = f"a DataFrame of {len(data)} rows"
    table = read_ratings(
        data, scale=scale, columns={"rater": rater_column, "blinded_id": id_column, "rating": rating_column}
    )
    ratings = table.data
    if key is not None:
        found = load_key(key, key_map, inputs)
        stale = [column for column in UNBLINDED_COLUMNS if column in ratings]
        ratings = unblind(ratings.drop(columns=stale), found, id_column="blinded_id", unique=False)
    else:
        for parameter, column in (("participant", participant), ("condition", condition)):
            if column not in ratings:
                from ..errors import did_you_mean

                raise ParameterError(
                    f"{{0}}: the ratings have no column {column!r}. {did_you_mean(column, ratings.columns)}",
                    Param(parameter, column),
                )
        ratings = ratings.rename(columns={participant: "participant", condition: "condition"})
    ratings = ratings.assign(participant=ratings["participant"].astype(str), condition=ratings["condition"].astype(str))
    ratings = ratings.assign(presentation=_presentations(ratings))
    chosen_conditions, notes = choose_conditions(ratings["condition"].unique(), conditions, column="condition")
    tidy = ratings[ratings["condition"].isin(chosen_conditions)]
    chosen = stats.choose_presentations(tidy, repeats, seed=seed)
    decisions, flips = stats.threshold_decisions(chosen, chosen_conditions, threshold=threshold)
    repeated = int((tidy["presentation"].astype(int) > 1).sum())
    if repeated:
        kept = {
            "first": "the first presentation of each image is kept",
            "random": "one presentation of each image, drawn at random, is kept",
            "mean": "the ratings of an image's presentations are averaged",
            "all": "every presentation counts as a rating",
        }[repeats]
        notes.append(f"{repeated} rating(s) are of repeated presentations: {kept}")
    parameters = dict(
        conditions=list(chosen_conditions),
        effects=f"{chosen_conditions[0]} - {chosen_conditions[1]}",
        key_map=key_map,
        participant=participant,
        condition=condition,
        rater_column=rater_column,
        id_column=id_column,
        rating_column=rating_column,
        scale=list(scale),
        threshold=threshold,
        repeats=repeats,
        seed=seed,
    )
    record = provenance(
        "ratings",
        inputs,
        parameters,
        n_ratings=len(chosen),
        n_ratings_read=len(tidy),
        n_raters=int(chosen["rater"].nunique()),
        n_participants=int(chosen["participant"].nunique()),
        notes=[*table.notes, *notes],
        rating_decimals=stats.RATING_DECIMALS,
    )
    return RatingsResult(
        provenance=record,
        models=stats.rating_models(chosen, chosen_conditions, threshold=threshold),
        tidy=tidy,
        rm_anova=stats.rm_anova(chosen, chosen_conditions),
        agreement=stats.agreement(chosen, chosen_conditions, retest=tidy),
        artifacts=stats.artifact_tests(chosen, chosen_conditions),
        decisions=decisions,
        decision_flips=flips,
    )


def _presentations(ratings):
    """Presentations of one image to one rater, numbered in the order the ratings appear in the
    input (an export lists each rater's ratings in the order they were made; a widget folder in
    file-name order), with a key or with columns alike. The study's published analysis kept
    these first presentations."""
    keys = [ratings["rater"], ratings["participant"], ratings["condition"]]
    return ratings.groupby(keys, sort=False).cumcount() + 1
