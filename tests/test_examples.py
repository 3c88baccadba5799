import pandas as pd
import pytest

from iqmstats import ParameterError, example_path, load_example
from iqmstats.examples import EXAMPLES


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_example_is_bundled_and_loads(name):
    assert example_path(name).exists()
    assert load_example(name) is not None


def test_bundled_examples_hold_the_studys_numbers():
    assert len(load_example("ixi-key")) == 1242
    ratings = load_example("ixi-ratings")
    assert isinstance(ratings, pd.DataFrame) and len(ratings) == 4 * 450
    assert load_example("pilot-key")["CHUVL504_pydeface"] == 16
    assert load_example("pilot-positions")["0"] == "CHUVL501"
    assert sorted(p.name for p in load_example("pilot-ratings").iterdir()) == ["Celine", "Oscar"]
    assert (example_path("ixi-iqms").parent.parent / "PROVENANCE.md").exists()


def test_unknown_example_gets_a_hint():
    with pytest.raises(ParameterError, match="Did you mean 'ixi-key'"):
        example_path("ixi_key")
