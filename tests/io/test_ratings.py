"""Reading ratings: the study's table, the pilot's widget JSONs, and every bad input."""

import json

import pandas as pd
import pytest

from iqmstats import InputError, ParameterError, read_key
from iqmstats.blinding import unblind
from iqmstats.examples import example_path
from iqmstats.io.ratings import read_ratings


def test_study_table():
    ratings = read_ratings(example_path("ixi-ratings"))
    raw = pd.read_csv(example_path("ixi-ratings"), sep="\t", dtype=str, keep_default_na=False)
    assert len(ratings.data) == 1800 and ratings.merged == 0 and ratings.notes == []
    assert ratings.data["rating"].tolist() == raw["rating"].astype(float).tolist()
    assert ratings.data["time_sec"].iloc[0] == 314.549
    assert set(ratings.data.columns) >= {"subject", "defaced"}  # the table's other columns are kept


def test_pilot_widget_jsons_load_and_unblind():
    ratings = read_ratings(example_path("pilot-ratings")).data
    assert ratings.groupby("rater").size().to_dict() == {"Celine": 20, "Oscar": 20}
    first = json.loads((example_path("pilot-ratings") / "Celine" / "_unset__sub-0_ses-V1_run-1_T1w.json").read_text())
    assert ratings.loc[0, "rating"] == float(first["rating"]) and ratings.loc[0, "artifacts"] == ";".join(
        first["artifacts"]
    )
    key = read_key(example_path("pilot-key"), conditions={"non_defaced": "original", "pydeface": "defaced"})
    back = unblind(ratings, key, id_column="blinded_id", unique=False)
    assert back.groupby("rater")["participant"].nunique().to_dict() == {"Celine": 10, "Oscar": 10}
    assert back.groupby(["rater", "condition"]).size().unique().tolist() == [10]


def _table(tmp_path, rows, name="ratings.tsv"):
    frame = pd.DataFrame(rows, columns=["rater_id", "randomized_id", "rating", "time_sec", "artifacts"])
    frame.to_csv(tmp_path / name, sep="\t", index=False)
    return tmp_path / name


def test_ratings_outside_the_scale_or_not_numbers(tmp_path):
    path = _table(tmp_path, [("r1", "sub-0001_T1w", "3.5", 10, "[]"), ("r1", "sub-0002_T1w", "5", 10, "[]")])
    with pytest.raises(
        InputError,
        match=r"1 rating\(s\) outside the scale 1-4, e.g. ratings.tsv line 3: 5. Declare the scale the raters used, e.g. scale=\(1, 5\)",
    ):
        read_ratings(path)
    assert read_ratings(path, scale=(1, 5)).data["rating"].tolist() == [3.5, 5.0]
    path = _table(tmp_path, [("r1", "sub-0001_T1w", "good", 10, "[]")])
    with pytest.raises(InputError, match=r"1 rating\(s\) are not numbers, e.g. ratings.tsv line 2: 'good'"):
        read_ratings(path)
    with pytest.raises(ParameterError, match="lowest rating must be below"):
        read_ratings(path, scale=(4, 1))


def test_a_rater_rating_an_image_twice_keeps_the_last_and_sums_the_time(tmp_path):
    path = _table(
        tmp_path,
        [
            ("r1", "sub-0001_T1w", "2.0", 30, "[]"),
            ("r2", "sub-0001_T1w", "3.0", 5, "[]"),
            ("r1", "sub-0001_T1w", "2.5", 12, '["inu"]'),
        ],
    )
    ratings = read_ratings(path)
    assert ratings.merged == 1 and "1 repeated rating(s) of 1 image(s)" in ratings.notes[0]
    kept = ratings.data.set_index("rater").loc["r1"]
    assert (kept["rating"], kept["time_sec"], kept["artifacts"]) == (2.5, 42, "inu")


def test_unknown_blinded_ids_and_bad_artifacts(tmp_path):
    path = _table(tmp_path, [("r1", "sub-9999_T1w", "3", 1, "[]")])
    with pytest.raises(Exception, match=r"not in the key \(9999\)"):
        unblind(read_ratings(path).data, read_key(example_path("ixi-key")), id_column="blinded_id", unique=False)
    path = _table(tmp_path, [("r1", "sub-0001_T1w", "3", 1, "inu, noise")])
    with pytest.raises(InputError, match="artifacts 'inu, noise' is not a JSON list"):
        read_ratings(path)


def test_generic_table_with_named_columns(tmp_path):
    (tmp_path / "mine.csv").write_text("who,image,score\nA,sub-01_T1w,3\nB,sub-01_T1w,2\n")
    ratings = read_ratings(tmp_path / "mine.csv", columns={"rater": "who", "blinded_id": "image", "rating": "score"})
    assert ratings.data[["rater", "blinded_id", "rating"]].values.tolist() == [
        ["A", "sub-01_T1w", 3.0],
        ["B", "sub-01_T1w", 2.0],
    ]
    with pytest.raises(ParameterError, match="rater_column='rater_id': mine.csv has no column 'rater_id'"):
        read_ratings(tmp_path / "mine.csv")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no rating files"):
        read_ratings(tmp_path / "empty")


def test_a_column_named_twice_is_refused_in_any_table(tmp_path):
    (tmp_path / "twice.tsv").write_text("rater_id\trandomized_id\trating\trating\nr1\tsub-01_T1w\t3\t2\n")
    with pytest.raises(InputError, match="columns appear twice: rating"):
        read_ratings(tmp_path / "twice.tsv")
