"""The clinical metrics in the registry: columns, NaN conventions, corpus aggregation, explanations,
BERTScore with a tiny local model and its clean unavailability, the radeval adapter."""

from __future__ import annotations

import numpy as np
import pytest

from rgro_bench.metrics import Sample, get_metric, score_samples

SAMPLES = [
    Sample("a", "Heart is enlarged. Small left effusion.", "Cardiomegaly. Pneumonia.", "Cardiomegaly. Left effusion."),
    Sample("b", "The lungs are clear. No pneumothorax.", "No acute disease.", "Normal chest."),
    Sample("c", "Right pneumothorax.", "", None),
]


def test_consistency_metric_columns_and_explanations():
    out = get_metric("consistency").compute(SAMPLES)
    assert out.columns["fc_recall"][0] == 0.5 and np.isnan(out.columns["fc_recall"][1])
    assert out.columns["fc_precision"][0] == 0.5 and np.isnan(out.columns["fc_precision"][2])
    assert out.columns["fc_recall"][2] == 0.0  # an empty impression omits the pneumothorax
    first = out.explanations[0]
    assert {(e["kind"], e["observation"]) for e in first} == {
        ("omission", "pleural_effusion"),
        ("hallucination", "pneumonia"),
    }
    assert all(e["sentence"] for e in first)


def test_observation_f1_is_a_corpus_micro_average():
    run = score_samples(SAMPLES, ["observation_f1"], resamples=50)
    # a: TP cardiomegaly, FP pneumonia, FN effusion; b: TP no_finding; c: no reference
    assert run.aggregates["obs_f1"].value == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert run.aggregates["obs_f1"].n == 2
    assert run.explanations["observation_f1"][2] is None
    assert {e["observation"] for e in run.explanations["observation_f1"][0]} == {
        "cardiomegaly",
        "pneumonia",
        "pleural_effusion",
    }


def test_guidelines_metric_has_one_column_per_rule():
    metric = get_metric("guidelines")
    out = metric.compute(SAMPLES)
    assert set(out.columns) == set(metric.columns)
    assert out.columns["g_numbered_list"][0] == 0.0  # two items, not numbered
    assert np.isnan(out.columns["g_critical_first"][0]) and out.columns["g_critical_first"][2] == 0.0
    assert ((out.columns["guideline_score"] >= 0) & (out.columns["guideline_score"] <= 1)).all()


def test_bertscore_unavailable_without_model(monkeypatch):
    monkeypatch.delenv("RGRO_BERTSCORE_MODEL", raising=False)
    run = score_samples(SAMPLES, ["bertscore"], resamples=10)
    value = run.aggregates["bertscore_f1"]
    assert value.value is None and "RGRO_BERTSCORE_MODEL" in value.unavailable


def test_bertscore_unavailable_for_missing_folder(tmp_path):
    out = get_metric("bertscore", model=str(tmp_path / "nope"), num_layers=2).compute(SAMPLES)
    assert out.unavailable and "cannot load" in out.unavailable
    assert np.isnan(out.columns["bertscore_f1"]).all()


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("bert_score")
    folder = tmp_path_factory.mktemp("tiny-bert")
    words = [
        "cardiomegaly",
        "left",
        "right",
        "effusion",
        "pneumonia",
        "no",
        "acute",
        "disease",
        "normal",
        "chest",
        "small",
        "heart",
        "lungs",
        "clear",
    ]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", *words]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = transformers.BertTokenizer(str(folder / "vocab.txt"))  # saved without a model_max_length
    tokenizer.save_pretrained(folder)
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    import torch

    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(folder)
    return folder


def test_bertscore_with_a_local_model(tiny_bert):
    same = [Sample("x", "f", "Small left effusion.", "Small left effusion."), *SAMPLES]
    long = Sample("y", "f", "small " * 300, "no acute disease")  # longer than the model's 64 positions
    empty = Sample("e", "f", "", "Cardiomegaly.")
    out = get_metric("bertscore", model=str(tiny_bert), num_layers=2).compute([*same, long, empty])
    assert out.unavailable is None
    f1 = out.columns["bertscore_f1"]
    assert f1[0] == pytest.approx(1.0, abs=1e-4)  # identical texts
    assert np.isnan(f1[3])  # no reference
    assert np.isfinite(f1[4])  # truncated to the position embeddings, not an index error
    assert f1[5] == 0.0  # empty prediction: nothing shared, no model call


def test_radeval_reports_unavailable_when_missing():
    try:
        import RadEval  # noqa: F401
    except ImportError:
        out = get_metric("radeval").compute(SAMPLES)
        assert out.unavailable and "RadEval" in out.unavailable
    else:
        pytest.skip("RadEval is installed here")
