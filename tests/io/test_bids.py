import pytest

from iqmstats.io.bids import parse_bids_name


def test_entities_are_strings_with_their_zeros():
    assert parse_bids_name("sub-0017_ses-V1_run-01_T1w.json") == {
        "bids_name": "sub-0017_ses-V1_run-01_T1w",
        "subject": "0017",
        "session": "V1",
        "run": "01",
        "suffix": "T1w",
    }


def test_entity_keys_are_spelled_out_and_unknown_keys_kept():
    entities = parse_bids_name("sub-01_task-rest_acq-mb3_rec-norm_dir-AP_echo-2_foo-bar_bold.nii.gz")
    assert entities["acquisition"] == "mb3" and entities["reconstruction"] == "norm"
    assert entities["direction"] == "AP" and entities["echo"] == "2" and entities["foo"] == "bar"
    assert entities["bids_name"] == "sub-01_task-rest_acq-mb3_rec-norm_dir-AP_echo-2_foo-bar_bold"


@pytest.mark.parametrize(
    "name",
    [
        "dataset_description.json",
        "sub-01.json",
        "sub-01_T1w_x.json",
        "ses-1_sub-01_T1w.json",
        "sub-01_ses-_T1w.json",
        "sub-\u00e9_T1w.json",
        "sub-01_T\u00e9w.json",
        "sub-01_ses-a-b_T1w.json",
    ],
)
def test_names_that_are_not_bids(name):
    assert parse_bids_name(name) is None
