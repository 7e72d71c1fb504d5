"""The MeSH agreement script: mapping, counting, and its files."""

from __future__ import annotations

import json

from rgro_bench.clinical import mesh_validation as mv


def test_mesh_headings_map_to_shared_classes():
    assert mv.mesh_classes("Cardiomegaly/borderline;Pulmonary Atelectasis/base/left") == {"cardiomegaly", "atelectasis"}
    assert mv.mesh_classes("normal") == set()
    assert mv.mesh_classes("Opacity/lung/base") == set()  # excluded: no single heading means lung opacity


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


def test_main_writes_json_and_markdown(tmp_path, monkeypatch):
    monkeypatch.setattr(mv, "MIN_SUPPORT", 1)
    out = tmp_path / "agreement.json"
    assert mv.main(["--output", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["n_reports"] == 3331
    assert 0 <= data["macro_f1"] <= 1 and set(data["macro_classes"]) <= set(mv.SHARED_CLASSES)
    assert "| cardiomegaly |" in out.with_suffix(".md").read_text()
