import json

import numpy as np
import pytest

from rgro_bench import encoder
from rgro_bench.data import Study
from rgro_bench.data.clean import normalise_findings
from rgro_bench.errors import ConfigError, DataError
from rgro_bench.models import GenerationArgs, GenerationRequest, load_model
from rgro_bench.models.baselines import TfidfNearestNeighbour, retrieval_pool
from rgro_bench.tasks import get_task
from rgro_bench.tasks.prompts import Prompt

STUDY = Study("1", "Heart size is normal. Small left effusion. No pneumothorax.", "Small left effusion.")


def fitted(spec, task):
    model = load_model(spec)
    model.fit(task)
    return model


def generate(spec, studies, task=None):
    model = fitted(spec, task) if task is not None else load_model(spec)
    return model.generate([GenerationRequest(s, Prompt("", ())) for s in studies], GenerationArgs())


def test_lead_k_and_copy_and_constant():
    assert generate("baseline:lead-2", [STUDY]) == ["Heart size is normal. Small left effusion."]
    assert generate("baseline:copy-findings", [STUDY]) == [STUDY.findings]
    assert generate("baseline:constant", [STUDY]) == ["No acute cardiopulmonary abnormality."]


def test_unknown_baseline_has_a_suggestion():
    with pytest.raises(ConfigError, match="Did you mean 'baseline:tfidf-nn'"):
        load_model("baseline:tfidf")


def test_tfidf_retrieves_from_train_and_never_from_the_evaluated_split():
    task = get_task("iu-xray")
    model = fitted("baseline:tfidf-nn", task)
    train_ids = {s.id for s in task.studies("train")}
    assert {s.id for s in model.train} <= train_ids
    # a training study's own findings retrieve its own impression
    study = task.studies("train")[5]
    assert generate("baseline:tfidf-nn", [study], task=task) == [study.impression]


def test_retrieval_is_fitted_by_an_explicit_step_and_refuses_to_generate_before_it():
    model = load_model("baseline:tfidf-nn")
    request = GenerationRequest(STUDY, Prompt("", ()))
    with pytest.raises(ConfigError, match="needs a task to fit on"):
        model.generate([request], GenerationArgs())
    task = get_task("iu-xray")
    model.fit(task)
    pool, source = retrieval_pool(task)
    assert [s.id for s in model.train] == [s.id for s in pool] and model.identity()["fitted_on"] == source
    # built with a pool (as the reference trainers' retrieval does) it is fitted at once, to the same index
    direct = TfidfNearestNeighbour(pool, source)
    assert (direct.matrix != model.matrix).nnz == 0 and direct.generate([request], GenerationArgs()) == model.generate(
        [request], GenerationArgs()
    )


def test_tfidf_on_mediqa_excludes_the_evaluated_studies():
    mediqa = get_task("mediqa2021-indiana")
    model = fitted("baseline:tfidf-nn", mediqa)
    evaluated = {s.id for s in mediqa.studies()}
    assert not evaluated & {s.id for s in model.train}
    assert len(model.train) > 100


@pytest.fixture(scope="module")
def small_task(tmp_path_factory):
    """120 IU X-ray reports as a task of their own, split 70/10/20: a retrieval pool that encodes in seconds."""
    folder = tmp_path_factory.mktemp("small-task")
    rows = [{"id": s.id, "findings": s.findings, "impression": s.impression} for s in get_task("iu-xray").studies()]
    (folder / "reports.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:120]))
    (folder / "small.yaml").write_text('id: small\nversion: "1"\ndata: {path: reports.jsonl}\n')
    return get_task(str(folder / "small.yaml"))


@pytest.fixture(scope="module")
def small_dense(small_task):
    pytest.importorskip("transformers")
    return fitted("baseline:dense-nn", small_task)


def test_dense_retrieves_from_train_and_never_an_evaluated_study(small_task, small_dense):
    evaluated = small_task.studies()
    assert small_dense.train and {s.id for s in small_dense.train} <= {s.id for s in small_task.studies("train")}
    assert not {s.id for s in evaluated} & {s.id for s in small_dense.train}
    # a training study's own findings retrieve its own impression (cosine 1)
    study = small_task.studies("train")[5]
    assert generate("baseline:dense-nn", [study], task=small_task) == [study.impression]
    predictions = small_dense.generate([GenerationRequest(s, Prompt("", ())) for s in evaluated], GenerationArgs())
    assert set(predictions) <= {s.impression for s in small_dense.train}


def test_dense_and_tfidf_draw_from_the_same_pool(small_task, small_dense):
    assert [s.id for s in small_dense.train] == [s.id for s in fitted("baseline:tfidf-nn", small_task).train]
    assert small_dense.identity()["weights_sha256"] == encoder.WEIGHTS_SHA256


def test_retrieval_pool_on_mediqa_excludes_the_evaluated_studies_by_id_and_text():
    mediqa = get_task("mediqa2021-indiana")
    pool, source = retrieval_pool(mediqa, "baseline:dense-nn")
    evaluated = mediqa.studies()
    assert source == "iu-xray:train" and len(pool) > 100
    assert not {s.id for s in evaluated} & {s.id for s in pool}
    assert not {normalise_findings(s.findings) for s in evaluated} & {normalise_findings(s.findings) for s in pool}


def test_embeddings_are_unit_length_and_deterministic():
    pytest.importorskip("transformers")
    texts = ["Heart size is normal.", "", "Small left effusion. " * 200, "Lungs are clear.", "Heart size is normal."]
    encoder.forget_embeddings()
    first = encoder.embed(texts, batch_size=2)  # an empty text, a truncated one, a repeated one
    assert first.shape == (5, 384) and np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    encoder.forget_embeddings()
    assert np.array_equal(first, encoder.embed(texts, batch_size=2))  # a fresh encoding: the same numbers
    assert np.array_equal(first[0], first[4])
    # the nearest neighbour of a paraphrase is its source, not an unrelated sentence
    query = encoder.embed(["The heart is of normal size."])[0]
    assert int(np.argmax(first[:4] @ query)) == 0


def test_a_text_is_encoded_once_per_process_and_kept_vectors_match_fresh_ones(monkeypatch):
    pytest.importorskip("transformers")
    encoder.forget_embeddings()
    kept = encoder.embed(["Lungs are clear.", "Mild cardiomegaly."], batch_size=2)
    encoded = []
    real = encoder._encode
    monkeypatch.setattr(encoder, "_encode", lambda texts, *a: encoded.append(list(texts)) or real(texts, *a))
    again = encoder.embed(["Mild cardiomegaly.", "No effusion.", "Lungs are clear."], batch_size=2)
    assert encoded == [["No effusion."]]  # only the new text
    assert np.array_equal(again[[2, 0]], kept)
    encoder.forget_embeddings()
    fresh = encoder.embed(["Mild cardiomegaly.", "No effusion.", "Lungs are clear."], batch_size=2)
    assert np.allclose(fresh, again, atol=1e-6)  # other batch companions: equal up to float rounding
    assert encoder.embed([]).shape == (0, 384)


def test_benchmark_enters_dense_nn_with_the_exact_pool_it_was_fitted_on(small_task, small_dense):
    from rgro_bench.benchmark import baseline_contenders, retrieval_training_data
    from rgro_bench.leaderboard.schema import ModelCard

    contender = next(c for c in baseline_contenders() if c.spec == "baseline:dense-nn")
    ModelCard.model_validate(contender.card)
    assert retrieval_training_data(small_task) == [{"task": "small", "ids": [s.id for s in small_dense.train]}]


def test_dense_refuses_weights_other_than_the_pinned_ones(small_task, monkeypatch):
    monkeypatch.setitem(encoder.PINNED_SHA256, encoder.WEIGHTS, "0" * 64)
    with pytest.raises(DataError, match=rf"model\.safetensors: sha256 {encoder.WEIGHTS_SHA256}, expected 0{{64}}"):
        fitted("baseline:dense-nn", small_task)
