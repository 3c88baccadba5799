import pandas as pd

from iqmstats.cli import main
from iqmstats.examples import example_path


def _blind_args(bids_pair, tmp_path, *extra):
    return [
        "blind",
        *map(str, bids_pair),
        "--conditions",
        "original,defaced",
        "--out",
        str(tmp_path / "blinded"),
        "--key",
        str(tmp_path / "key.json"),
        "--seed",
        "1",
        "--repeat",
        "1",
        *extra,
    ]


def test_blind_then_audit(bids_pair, tmp_path, capsys):
    assert main(_blind_args(bids_pair, tmp_path)) == 0
    out = capsys.readouterr().out
    assert "blinded 10 images of 4 participants under original, defaced (1 shown twice)" in out
    assert "found identifying in these data: AcquisitionTime, ScannerSessionCode, SeriesNumber" in out
    assert main(["audit", str(tmp_path / "blinded"), "--key", str(tmp_path / "key.json")]) == 0
    assert "no leak found" in capsys.readouterr().out


def test_existing_key_refused_with_exit_1(bids_pair, tmp_path, capsys):
    (tmp_path / "key.json").write_text("keep me")
    assert main(_blind_args(bids_pair, tmp_path)) == 1
    assert "key.json exists" in capsys.readouterr().err
    assert (tmp_path / "key.json").read_text() == "keep me"


def test_leaky_links_need_an_explicit_flag_and_warn(bids_pair, tmp_path, capsys):
    assert main(_blind_args(bids_pair, tmp_path, "--link", "symlink")) == 2
    assert "--allow-leaky-links" in capsys.readouterr().err
    assert main(_blind_args(bids_pair, tmp_path, "--link", "symlink", "--allow-leaky-links")) == 0
    assert "warning: --link symlink" in capsys.readouterr().err
    assert main(["audit", str(tmp_path / "blinded")]) == 1
    assert capsys.readouterr().out.count("symlink: ") == 10


def test_unblind_mriqc_table_and_ratings(tmp_path):
    key = str(example_path("ixi-key"))
    out = tmp_path / "iqms.tsv"
    assert (
        main(
            ["unblind", str(example_path("ixi-iqms")), "--key", key, "--map", "non_defaced=original", "--out", str(out)]
        )
        == 0
    )
    table = pd.read_csv(out, sep="\t", dtype=str)
    assert table.columns[:5].tolist() == ["bids_name", "subject", "participant", "condition", "presentation"]
    assert sorted(table["condition"].unique()) == ["defaced", "original"]
    ratings = tmp_path / "ratings.tsv"
    assert (
        main(
            [
                "unblind",
                str(example_path("ixi-ratings")),
                "--key",
                key,
                "--id-column",
                "randomized_id",
                "--out",
                str(ratings),
            ]
        )
        == 0
    )
    assert len(pd.read_csv(ratings, sep="\t")) == 1800
    assert main(["unblind", str(example_path("ixi-iqms")), "--key", key, "--out", str(out)]) == 1  # exists
    assert main(["unblind", str(example_path("ixi-iqms")), "--key", key, "--map", "oops", "--out", "x.tsv"]) == 2
