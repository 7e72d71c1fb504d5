import pytest

from rgro_bench.data import Study
from rgro_bench.errors import ConfigError
from rgro_bench.models import GenerationArgs, GenerationRequest, load_model
from rgro_bench.tasks import get_task
from rgro_bench.tasks.prompts import Prompt

STUDY = Study("1", "Heart size is normal. Small left effusion. No pneumothorax.", "Small left effusion.")


def generate(spec, studies, task=None):
    model = load_model(spec, task=task)
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
    model = load_model("baseline:tfidf-nn", task=task)
    train_ids = {s.id for s in task.studies("train")}
    assert {s.id for s in model.train} <= train_ids
    # a training study's own findings retrieve its own impression
    study = task.studies("train")[5]
    assert generate("baseline:tfidf-nn", [study], task=task) == [study.impression]


def test_tfidf_on_mediqa_excludes_the_evaluated_studies():
    mediqa = get_task("mediqa2021-indiana")
    model = load_model("baseline:tfidf-nn", task=mediqa)
    evaluated = {s.id for s in mediqa.studies()}
    assert not evaluated & {s.id for s in model.train}
    assert len(model.train) > 100
