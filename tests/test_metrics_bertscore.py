"""BERTScore: on by default with the packaged all-MiniLM-L6-v2 (sha256-checked, no silent fallback), a
named local model through the environment, empty texts, and unavailability only without bert-score."""

from __future__ import annotations

import shutil
import sys
import zipfile

import numpy as np
import pytest

from rgro_bench import encoder
from rgro_bench.errors import ConfigError, DataError
from rgro_bench.metrics import METRICS, Sample, get_metric, score_samples
from rgro_bench.metrics.bertscore import DEFAULT_LAYER, LAYERS_ENV, MODEL_ENV

SAMPLES = [
    Sample("same", "f", "Small left pleural effusion.", "Small left pleural effusion."),
    Sample("close", "f", "No acute cardiopulmonary abnormality.", "No acute cardiopulmonary disease."),
    Sample("far", "f", "No acute cardiopulmonary abnormality.", "Displaced fracture of the right clavicle."),
    Sample("empty", "f", "", "Cardiomegaly."),
    Sample("unreferenced", "f", "Cardiomegaly.", None),
]


@pytest.fixture(autouse=True)
def _default_settings(monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    monkeypatch.delenv(LAYERS_ENV, raising=False)


@pytest.fixture
def needs_bert_score():
    pytest.importorskip("bert_score")


@pytest.fixture
def packaged_copy(tmp_path):
    """A copy of the extracted model folder, for tampering with."""
    return shutil.copytree(encoder.default_folder(), tmp_path / "minilm")


def flip_a_byte(path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_default_is_the_packaged_model_at_its_layer(needs_bert_score):
    metric = get_metric("bertscore")
    expected = f"2+{encoder.MODEL_ID}@L{DEFAULT_LAYER}"
    # the class (recorded by the leaderboard) and the instance (recorded with each number) agree
    assert metric.version == METRICS.get("bertscore").version == expected
    assert metric.role == "judge"
    out = metric.compute(SAMPLES)
    assert out.unavailable is None
    f1 = out.columns["bertscore_f1"]
    assert f1[0] == pytest.approx(1.0, abs=1e-5)  # identical texts
    assert f1[0] > f1[1] > f1[2]  # a paraphrase scores between an identical and an unrelated text
    assert f1[3] == 0.0  # empty prediction: nothing shared, no model call
    assert np.isnan(f1[4])  # no reference: does not apply


def test_packaged_weights_are_the_pinned_file():
    folder = encoder.default_folder()
    assert folder == encoder.cache_folder()
    assert encoder.file_sha256(folder / encoder.WEIGHTS) == encoder.WEIGHTS_SHA256


def test_extracted_once_into_a_fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RGRO_BENCH_CACHE", str(tmp_path))
    folder = encoder.default_folder()
    assert folder.parent == tmp_path / "encoders"
    assert sorted(p.name for p in folder.iterdir()) == sorted(encoder.PINNED_SHA256)
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no staging folder left behind
    mtime = (folder / encoder.WEIGHTS).stat().st_mtime_ns
    assert encoder.default_folder() == folder and (folder / encoder.WEIGHTS).stat().st_mtime_ns == mtime


def test_a_tampered_archive_is_an_error_and_leaves_no_folder(tmp_path, monkeypatch):
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(encoder.packaged_archive()) as src, zipfile.ZipFile(archive, "w") as dst:
        for name in encoder.PINNED_SHA256:
            data = src.read(name)
            dst.writestr(name, data[:-1] + b"x" if name == "config.json" else data)
    with pytest.raises(DataError, match=r"model\.zip:config\.json: sha256 [0-9a-f]{64}, expected .*; reinstall"):
        encoder.extract(archive, tmp_path / "out")
    assert [p.name for p in tmp_path.iterdir()] == ["model.zip"]


def test_tampered_weights_are_an_error_and_no_number(needs_bert_score, packaged_copy, monkeypatch):
    monkeypatch.setattr(encoder, "cache_folder", lambda: packaged_copy)
    assert encoder.verified(packaged_copy) == packaged_copy  # an intact copy passes
    weights = packaged_copy / encoder.WEIGHTS
    flip_a_byte(weights)
    with pytest.raises(DataError) as caught:
        score_samples(SAMPLES, ["bertscore"], resamples=10)
    message = str(caught.value)
    assert "\n" not in message
    assert str(weights) in message and f"expected {encoder.WEIGHTS_SHA256}" in message


def test_missing_weights_are_an_error(needs_bert_score, packaged_copy, monkeypatch):
    monkeypatch.setattr(encoder, "cache_folder", lambda: packaged_copy)
    (packaged_copy / encoder.WEIGHTS).unlink()
    with pytest.raises(
        DataError, match=rf"model\.safetensors: missing; expected the .* sha256 {encoder.WEIGHTS_SHA256}"
    ):
        get_metric("bertscore").compute(SAMPLES)


def test_a_changed_tokenizer_file_is_an_error_too(packaged_copy):
    flip_a_byte(packaged_copy / "tokenizer.json")
    with pytest.raises(
        DataError, match=r"tokenizer\.json: sha256 [0-9a-f]{64}, expected .*; delete .* to extract it again"
    ):
        encoder.verified(packaged_copy)


def test_unavailable_only_without_bert_score(monkeypatch):
    monkeypatch.setitem(sys.modules, "bert_score", None)  # makes `import bert_score` fail
    run = score_samples(SAMPLES, ["bertscore"], resamples=10)
    value = run.aggregates["bertscore_f1"]
    assert value.value is None and "bert-score is not installed" in value.unavailable
    assert run.per_sample["bertscore_f1"].isna().all()


def test_a_named_model_that_cannot_load_is_an_error(needs_bert_score, tmp_path, monkeypatch):
    monkeypatch.setenv(MODEL_ENV, str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="cannot load BERTScore model"):
        get_metric("bertscore").compute(SAMPLES)


def test_layer_setting_must_be_a_number(monkeypatch):
    monkeypatch.setenv(LAYERS_ENV, "top")
    with pytest.raises(ConfigError, match=f"{LAYERS_ENV}='top': expected a layer number"):
        get_metric("bertscore")


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("bert_score")
    folder = tmp_path_factory.mktemp("tiny-bert")
    words = ["cardiomegaly", "left", "right", "effusion", "pneumonia", "no", "acute", "disease", "normal", "chest"]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "small", *words]
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


def test_environment_names_another_model_and_layer(tiny_bert, monkeypatch):
    monkeypatch.setenv(MODEL_ENV, str(tiny_bert))
    monkeypatch.setenv(LAYERS_ENV, "1")
    metric = get_metric("bertscore")
    assert metric.version == METRICS.get("bertscore").version == f"2+{tiny_bert}@L1"
    long = Sample("long", "f", "small " * 300, "no acute disease")  # longer than the model's 64 positions
    out = metric.compute([SAMPLES[0], long])
    assert out.unavailable is None
    assert out.columns["bertscore_f1"][0] == pytest.approx(1.0, abs=1e-4)
    assert np.isfinite(out.columns["bertscore_f1"][1])  # truncated to the position embeddings, no index error


def test_a_layer_the_model_lacks_is_an_error(tiny_bert):
    with pytest.raises(ConfigError, match="num_layers=3 but it has 2 layers"):
        get_metric("bertscore", model=str(tiny_bert), num_layers=3).compute(SAMPLES)


def test_references_are_encoded_once_and_score_as_bert_score_does(needs_bert_score, monkeypatch):
    import bert_score.utils

    from rgro_bench.metrics.bertscore import _scorer
    from rgro_bench.tasks import get_task

    studies = [s for s in get_task("iu-xray").studies("test") if s.impression][:24]
    refs = [s.impression for s in studies]
    cached = _scorer(str(encoder.default_folder()), DEFAULT_LAYER, None)
    cached.references.clear()
    encoded = []
    original = bert_score.utils.get_bert_embedding
    monkeypatch.setattr(
        bert_score.utils, "get_bert_embedding", lambda texts, *a, **k: encoded.extend(texts) or original(texts, *a, **k)
    )
    for cands in ([s.findings for s in studies], ["Unremarkable chest, per this test."] * len(refs)):
        encoded.clear()
        ours = cached.score(cands, refs, batch_size=8)
        theirs = cached.scorer.score(cands, refs, batch_size=8)  # bert-score itself, every text encoded
        assert all(np.allclose(a.numpy(), b.numpy(), atol=1e-6) for a, b in zip(ours, theirs, strict=True))
        assert set(refs) <= set(cached.references)
    # the second call encoded its one new candidate (and bert-score then everything); the references once
    assert encoded.count(refs[0]) == 1 and encoded.count("Unremarkable chest, per this test.") == 2
