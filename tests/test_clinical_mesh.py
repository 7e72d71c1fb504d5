"""The MeSH agreement script: mapping, counting, and its files."""

from __future__ import annotations

import json

from rgro_bench.clinical import mesh_validation as mv


def test_mesh_headings_map_to_shared_classes():
    assert mv.mesh_classes("Cardiomegaly/borderline;Pulmonary Atelectasis/base/left") == {"cardiomegaly", "atelectasis"}
    assert mv.mesh_classes("normal") == set()
    assert mv.mesh_classes("Opacity/lung/base") == set()  # excluded: no single heading means lung opacity


def test_mesh_normal_and_unindexed_reports():
    from rgro_bench.clinical.mesh_labels import is_indexed, is_normal

    assert is_normal("normal") and not is_normal("Calcified Granuloma/lung") and not is_normal("")
    assert not is_indexed("No Indexing") and not is_indexed("") and is_indexed("normal")


def test_agreement_counts_and_macro():
    pairs = [
        ("1", "Mild cardiomegaly. Small left effusion.", "Cardiomegaly/mild;Pleural Effusion/left/small"),
        ("2", "No effusion. Possible pneumonia.", "Pneumonia"),  # uncertain counts as absent: FN
        ("3", "Left lower lobe pneumonia.", "normal"),  # FP
    ]
    result = mv.agreement(pairs)
    pc = result["per_class"]
    assert (pc["cardiomegaly"]["tp"], pc["pleural_effusion"]["tp"]) == (1, 1)
    assert (pc["pneumonia"]["tp"], pc["pneumonia"]["fp"], pc["pneumonia"]["fn"]) == (0, 1, 1)
    assert mv.agreement(pairs, ("positive", "uncertain"))["per_class"]["pneumonia"]["tp"] == 1


def test_main_writes_both_validations_per_split(tmp_path, monkeypatch):
    monkeypatch.setattr(mv, "MIN_SUPPORT", 1)
    out = tmp_path / "agreement.json"
    assert mv.main(["--output", str(out), "--resamples", "20"]) == 0
    data = json.loads(out.read_text())
    assert data["n_reports"] <= 3331 and 0 <= data["macro_f1"] <= 1
    assert set(data["macro_classes"]) <= set(mv.SHARED_CLASSES)
    splits = data["splits"]
    assert list(splits) == ["train", "validation", "test"]
    assert sum(v["n_reports"] for v in splits.values()) == data["n_reports"]
    assert data["test_macro_f1"] == splits["test"]["macro_f1"]
    # the disagreements (what lexicon work looks at) never name a test report
    from rgro_bench.tasks import get_task

    test_ids = {s.id for s in get_task("iu-xray").studies("test")}
    listed = {entry.split()[1] for entries in data["disagreements"].values() for entry in entries}
    assert listed and not listed & test_ids
    markdown = out.with_suffix(".md").read_text()
    assert "| cardiomegaly |" in markdown and "Test split" in markdown

    validity = json.loads((tmp_path / "label_validity.json").read_text())
    for name in ("train", "validation", "test"):
        full = validity["splits"][name]["full_report"]["headline"]
        assert 0 <= full["abnormal_accuracy"]["value"] <= 1 and full["label_micro_f1"]["ci_low"] is not None
    # mediqa2021-indiana: its 1,947 IU ids, less the 25 IU never indexed
    assert validity["mediqa2021-indiana"]["full_report"]["headline"]["abnormal_accuracy"]["n"] == 1922
    assert "| test |" in (tmp_path / "label_validity.md").read_text()
