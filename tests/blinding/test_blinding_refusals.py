"""blind and audit never succeed silently on bad input, never leave a half-written run, never
give a false all-clear."""

import shutil

from iqmstats.cli import main

from .conftest import write_image


def _blind(sources, tmp_path, *extra, out="blinded", key="key.json"):
    return [
        "blind",
        *map(str, sources),
        "--conditions",
        "original,defaced",
        "--out",
        str(tmp_path / out),
        "--key",
        str(tmp_path / key),
        "--seed",
        "1",
        *extra,
    ]


def test_a_condition_without_images_is_refused(bids_pair, tmp_path, capsys):
    _, defaced = bids_pair
    for image in defaced.rglob("*.nii.gz"):
        image.unlink()
    assert main(_blind(bids_pair, tmp_path)) == 1
    assert f"no image of condition 'defaced' in {defaced}" in capsys.readouterr().err
    assert not (tmp_path / "key.json").exists() and not (tmp_path / "blinded").exists()


def test_the_same_source_for_both_conditions_is_refused(bids_pair, tmp_path, capsys):
    original, _ = bids_pair
    assert main(_blind([original, original], tmp_path)) == 1
    assert "are the same dataset" in capsys.readouterr().err
    assert not (tmp_path / "key.json").exists()


def test_out_inside_a_source_is_refused(bids_pair, tmp_path, capsys):
    original, _ = bids_pair
    assert main(_blind(bids_pair, tmp_path, out="ixi/derivatives/blinded")) == 1
    assert "must not lie inside a source dataset" in capsys.readouterr().err
    assert not (original / "derivatives").exists() and not (tmp_path / "key.json").exists()


def test_a_participant_under_one_condition_only_is_named(bids_pair, tmp_path, capsys):
    _, defaced = bids_pair
    shutil.rmtree(defaced / "sub-03")
    assert main(_blind(bids_pair, tmp_path)) == 0
    assert "1 participant(s) have images under some conditions only" in capsys.readouterr().err
    assert '"unpaired_participants": {\n    "03": [\n      "original"' in (tmp_path / "key.json").read_text()


def test_a_bad_image_is_refused_before_anything_is_written(bids_pair, tmp_path, capsys):
    _, defaced = bids_pair
    (defaced / "sub-02" / "anat" / "sub-02_T1w.nii.gz").write_bytes(b"not an image")
    assert main(_blind(bids_pair, tmp_path)) == 1
    assert "sub-02_T1w.nii.gz: not a readable NIfTI image" in capsys.readouterr().err
    assert not (tmp_path / "key.json").exists() and not (tmp_path / "blinded").exists()
    write_image(defaced / "sub-02" / "anat" / "sub-02_T1w.nii.gz", __import__("numpy").ones((6, 6, 5), "int16"))
    assert main(_blind(bids_pair, tmp_path)) == 0  # the same command now runs: nothing was left behind


def test_a_write_that_fails_removes_only_what_the_run_created(bids_pair, tmp_path, monkeypatch):
    from iqmstats.blinding import blind as module

    (tmp_path / "blinded").mkdir()  # existed before, empty: it stays, empty
    calls = []

    def failing(source, target, link):
        calls.append(target)
        if len(calls) == 3:
            raise OSError("disk full")
        shutil.copyfile(source, target)

    monkeypatch.setattr(module, "_place_image", failing)
    assert main(_blind(bids_pair, tmp_path)) == 1
    assert (tmp_path / "blinded").is_dir() and not list((tmp_path / "blinded").iterdir())
    assert not (tmp_path / "key.json").exists()


def test_audit_refuses_to_audit_nothing(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["audit", str(tmp_path / "empty")]) == 1
    assert "no images to audit" in capsys.readouterr().err


def test_audit_refuses_a_key_of_another_dataset(bids_pair, tmp_path, capsys):
    assert main(_blind(bids_pair, tmp_path)) == 0
    assert main(_blind(bids_pair, tmp_path, "--seed", "2", out="other", key="other.json")) == 0
    capsys.readouterr()
    assert main(["audit", str(tmp_path / "blinded"), "--key", str(tmp_path / "key.json")]) == 0
    assert "no leak found in 18 file(s), 8 image(s) with the key" in capsys.readouterr().out
    assert main(["audit", str(tmp_path / "blinded"), "--key", str(tmp_path / "other.json")]) == 1
    assert "blinded ids are not in the key" in capsys.readouterr().err  # (one id of 8 coincides by chance)
