import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
T1W_JSON = DATA / "sub-0001_T1w.json"
BOLD_JSON = DATA / "sub-0001_task-restingstate_acq-mb3_bold.json"


def place(source: Path, root: Path, relative: str) -> Path:
    """Copy a real example file to ``root/relative`` (creating folders) and return the new path."""
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


@pytest.fixture
def mriqc_output(tmp_path) -> Path:
    """An MRIQC output folder as MRIQC lays it out, built from the real example JSONs."""
    place(T1W_JSON, tmp_path, "sub-0001/anat/sub-0001_T1w.json")
    place(T1W_JSON, tmp_path, "sub-0002/ses-1/anat/sub-0002_ses-1_T1w.json")
    place(BOLD_JSON, tmp_path, "sub-0001/func/sub-0001_task-restingstate_acq-mb3_bold.json")
    (tmp_path / "dataset_description.json").write_text('{"Name": "MRIQC output", "BIDSVersion": "1.4.0"}')
    (tmp_path / "sub-0001_T1w.html").write_text("<html></html>")
    (tmp_path / "sub-0001" / "figures").mkdir()
    (tmp_path / "sub-0001" / "figures" / "sub-0001_T1w_mosaic.svg").write_text("<svg/>")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "sub-9_T1w.json").write_text("{}")
    return tmp_path


@pytest.fixture(scope="session")
def ixi_unblinded():
    """The bundled study table, unblinded with the study's own key (an IQMTable)."""
    from iqmstats import load_example, unblind

    return unblind(load_example("ixi-iqms"), load_example("ixi-key"), key_map={"non_defaced": "original"})


@pytest.fixture(scope="session")
def ixi_paired(ixi_unblinded):
    from iqmstats.pairing import pair_iqms
    from iqmstats.selection import select_images

    chosen = select_images(
        ixi_unblinded.data,
        measures=ixi_unblinded.iqms,
        participant="participant",
        condition="condition",
        conditions=("original", "defaced"),
        between="site",
    )
    return pair_iqms(
        chosen.rows, measures=ixi_unblinded.iqms, conditions=chosen.conditions, between="site", dropped=chosen.dropped
    )


@pytest.fixture(scope="session")
def ixi_ratings():
    """The study's ratings, read and unblinded with the study's key (S1's own answers dropped)."""
    from iqmstats import read_key
    from iqmstats.blinding import unblind
    from iqmstats.examples import example_path
    from iqmstats.io.ratings import read_ratings

    ratings = read_ratings(example_path("ixi-ratings")).data.drop(columns=["subject", "defaced"])
    key = read_key(example_path("ixi-key"), conditions={"non_defaced": "original"})
    return unblind(ratings, key, id_column="blinded_id", unique=False)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``iqmstats demo`` once for the session (few resamples): its folder and its --json summary."""
    import contextlib
    import io
    import json

    from iqmstats.cli import main

    out = tmp_path_factory.mktemp("demo") / "study"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["demo", "--out", str(out), "--resamples", "200", "--quiet", "--json"]) == 0
    return out, json.loads(printed.getvalue())
