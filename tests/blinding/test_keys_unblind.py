"""Every key format loads, agrees with the study's released tables, and every misuse is named."""

import json

import pandas as pd
import pytest

from iqmstats import load_example
from iqmstats.blinding import read_key, unblind
from iqmstats.blinding.keys import BlindingKey, as_key
from iqmstats.errors import BlindingError
from iqmstats.examples import example_path
from iqmstats.io.write import write_json


@pytest.fixture(scope="module")
def study():
    return load_example("ixi-iqms").data


def _agrees_with_study(unblinded: pd.DataFrame) -> bool:
    """S2's own sub (zeros dropped) and defaced columns against what the key says."""
    same_participant = unblinded["participant"].astype(int) == unblinded["sub"].astype(int)
    same_condition = (unblinded["condition"] == "defaced") == (unblinded["defaced"] == "1")
    return bool((same_participant & same_condition).all())


def test_ixi_key_reproduces_the_released_table(study):
    key = read_key(example_path("ixi-key"))
    assert key.format == "ixi" and len(key.entries) == 1242
    unblinded = unblind(study, key)
    assert len(unblinded) == 1158 and _agrees_with_study(unblinded)
    assert unblinded["participant"].str.len().eq(3).all()  # '002', as the key writes it


def test_iqmstats_key_round_trip_agrees_too(study, tmp_path):
    ixi = read_key(example_path("ixi-key"))
    write_json(ixi.to_document(), tmp_path / "key.json")
    own = read_key(tmp_path / "key.json")
    assert own.format == "iqmstats" and own.entries.equals(ixi.entries)
    assert _agrees_with_study(unblind(study, own))


def test_ratings_unblind_to_their_released_columns():
    ratings = load_example("ixi-ratings")
    unblinded = unblind(ratings, read_key(example_path("ixi-key")), id_column="randomized_id", unique=False)
    assert (unblinded["participant"] == unblinded["subject"]).all()  # S1 keeps the zeros
    assert ((unblinded["condition"] == "defaced") == (unblinded["defaced"] == "1")).all()
    assert set(unblinded["presentation"]) == {1, 2}


def test_pilot_key_with_positions_and_renamed_conditions():
    key = read_key(
        example_path("pilot-key"),
        positions=example_path("pilot-positions"),
        conditions={"non_defaced": "original", "pydeface": "defaced"},
    )
    assert key.format == "pilot" and len(key.entries) == 20
    ratings = pd.DataFrame(
        {"subject": ["sub-16_ses-V1_run-1_T1w", "sub-18_ses-V1_run-1_T1w", "sub-0_ses-V1_run-1_T1w"]}
    )
    back = unblind(ratings, key)
    assert back[["participant", "condition"]].values.tolist() == [
        ["CHUVL504", "defaced"],
        ["CHUVL504", "original"],
        ["CHUVL522", "original"],
    ]


def test_pilot_widget_subjects_all_unblind():
    folder = load_example("pilot-ratings")
    subjects = [json.loads(p.read_text())["subject"] for p in sorted(folder.glob("*/*.json"))]
    back = unblind(pd.DataFrame({"subject": subjects}), read_key(example_path("pilot-key")), unique=False)
    assert back["participant"].nunique() == 10 and back["condition"].nunique() == 2


def test_repeated_presentations_are_numbered_by_blinded_id():
    key = read_key(example_path("ixi-key")).entries
    twice = key[key.participant == key[key.presentation == 2].participant.iloc[0]]
    for _, shown in twice.groupby("condition"):
        ordered = shown.sort_values("blinded_id", key=lambda s: s.astype(int))
        assert ordered["presentation"].tolist() == [1, 2]


def _key_file(tmp_path, document, name="key.json"):
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def test_id_absent_from_the_key(tmp_path):
    key = read_key(_key_file(tmp_path, {"1": "002_defaced", "2": "002_non_defaced"}))
    with pytest.raises(BlindingError, match=r"1 blinded id\(s\) are not in the key \(0007\)"):
        unblind(pd.DataFrame({"subject": ["0001", "0007"]}), key)


def test_entry_without_a_recognisable_condition(tmp_path):
    path = _key_file(tmp_path, {"1": "002_defaced", "2": "002_blurred"})
    with pytest.raises(BlindingError, match=r"key entry '002_blurred' \(blinded id 2\) has no recognisable condition"):
        read_key(path)
    assert set(read_key(path, conditions={"blurred": "blurred"}).entries["condition"]) == {"defaced", "blurred"}


@pytest.mark.parametrize("kind", ["ixi", "iqmstats", "loaded"])
def test_a_condition_map_naming_no_condition_of_the_key_is_refused(tmp_path, kind):
    """A typo in the map (defacd) would otherwise rename nothing and leave the conditions unexpected."""
    if kind == "ixi":
        key = example_path("ixi-key")
    else:
        loaded = read_key(example_path("ixi-key"))
        write_json(loaded.to_document(), tmp_path / "key.json")
        key = tmp_path / "key.json" if kind == "iqmstats" else loaded
    with pytest.raises(BlindingError, match=r"key_map=\{'defacd': 'x'\} names condition 'defacd', which no key entry"):
        as_key(key, conditions={"defacd": "x"})
    renamed = as_key(key, conditions={"defaced": "pydeface"}).entries["condition"]
    assert set(renamed) == {"pydeface", "non_defaced"}


def test_one_blinded_id_for_two_originals(tmp_path):
    with pytest.raises(BlindingError, match=r"blinded id 4 stands for two originals \(A_pydeface and B_pydeface\)"):
        read_key(_key_file(tmp_path, {"A_pydeface": 4, "B_pydeface": 4, "A_non_defaced": 1}))
    with pytest.raises(BlindingError, match="'4' appears twice in the key"):
        read_key(_key_file(tmp_path, '{"4": "002_defaced", "4": "003_defaced"}'))


def test_record_whose_blinded_id_appears_twice(tmp_path):
    key = read_key(_key_file(tmp_path, {"1": "002_defaced", "2": "002_non_defaced"}))
    with pytest.raises(BlindingError, match="blinded id 0001 appears 2 times in the records"):
        unblind(pd.DataFrame({"subject": ["0001", "0001", "0002"]}), key)
    assert len(unblind(pd.DataFrame({"subject": ["0001", "0001"]}), key, unique=False)) == 2


def test_ambiguous_numeric_ids_only_match_exactly(tmp_path):
    key = read_key(_key_file(tmp_path, {"01": "002_defaced", "1": "003_defaced"}))
    assert unblind(pd.DataFrame({"subject": ["01", "1"]}), key)["participant"].tolist() == ["002", "003"]
    with pytest.raises(BlindingError, match="not in the key"):
        unblind(pd.DataFrame({"subject": ["001"]}), key)


def test_files_that_are_not_keys(tmp_path):
    with pytest.raises(BlindingError, match="not a blinding key iqmstats knows"):
        read_key(_key_file(tmp_path, [1, 2]))
    with pytest.raises(BlindingError, match="not valid JSON"):
        read_key(_key_file(tmp_path, "{oops"))
    with pytest.raises(BlindingError, match="no such key file"):
        read_key(tmp_path / "missing.json")
    with pytest.raises(BlindingError, match="version 99"):
        read_key(_key_file(tmp_path, {"format": "iqmstats-blinding-key", "version": 99, "entries": []}))


def test_positions_must_cover_the_key(tmp_path):
    positions = _key_file(tmp_path, {"0": "CHUVL501"}, "positions.json")
    with pytest.raises(BlindingError, match="participants CHUVL504 are not in the position file"):
        read_key(_key_file(tmp_path, {"CHUVL504_pydeface": 1}), positions=positions)


def test_records_already_unblinded_or_without_ids(study):
    key = read_key(example_path("ixi-key"))
    once = unblind(study, key)
    with pytest.raises(BlindingError, match="already have participant, condition, presentation"):
        unblind(once, key)
    with pytest.raises(BlindingError, match="no column 'blinded'"):
        unblind(study, key, id_column="blinded")
    assert isinstance(read_key(example_path("ixi-key")), BlindingKey)
