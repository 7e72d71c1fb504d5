"""Retrieval-augmented prompts (model option retrieve=tfidf) and the training prompts that match them."""

from collections.abc import Sequence

import pytest

from reference.data import rl_dataset, sft_dataset
from rgro_bench.data.records import Study
from rgro_bench.errors import ConfigError, DataError
from rgro_bench.models.backend import Backend, BackendOptions
from rgro_bench.models.base import Generation, GenerationArgs, GenerationRequest
from rgro_bench.models.retrieval import HINT, RetrievalAugmented, TfidfRetriever, training_hints, with_hint
from rgro_bench.models.spec import load_model
from rgro_bench.tasks import build_prompts, get_task
from rgro_bench.tasks.prompts import Prompt

POOL = [
    Study("a", "Mild cardiomegaly. Lungs are clear.", "Cardiomegaly."),
    Study("b", "Mild  cardiomegaly.  Lungs are clear.", "Enlarged heart."),  # same findings group as "a"
    Study("c", "Small right pleural effusion. Heart size normal.", "Right effusion."),
    Study("d", "Lungs are clear. No pneumothorax.", "Normal chest."),
]


class Recorder(Backend):
    kind = "hf"
    spec = "hf:recorder"

    def __init__(self) -> None:
        self.seen: list[GenerationRequest] = []
        self.options = BackendOptions()
        self.generation_overrides = {"max_new_tokens": 7}

    def iter_batches(self, requests: Sequence[GenerationRequest], args: GenerationArgs):
        self.seen += requests
        yield [(i, Generation("x")) for i in range(len(requests))]


def test_the_hint_heads_the_user_turn_in_both_prompt_forms():
    prompt = Prompt(
        text="SYSTEM\n\nFINDINGS: f\nIMPRESSION:",
        messages=({"role": "system", "content": "SYSTEM"}, {"role": "user", "content": "FINDINGS: f\nIMPRESSION:"}),
    )
    hinted = with_hint(prompt, POOL[2])
    line = HINT.format(impression="Right effusion.")
    assert hinted.text == f"SYSTEM\n\n{line}\nFINDINGS: f\nIMPRESSION:"
    assert hinted.messages[-1]["content"] == f"{line}\nFINDINGS: f\nIMPRESSION:"
    assert hinted.messages[0] == prompt.messages[0]


def test_the_neighbour_is_the_nearest_study_outside_the_querys_findings_group():
    retriever = TfidfRetriever(POOL, "pool")
    # "a"'s own group ("a" and "b", same findings once normalised) is never returned for it
    assert [s.id for s in retriever.nearest(["Mild cardiomegaly. Lungs are clear."])] != ["a"]
    assert retriever.nearest(["Mild cardiomegaly. Lungs are clear."])[0].id not in {"a", "b"}
    assert retriever.nearest(["Large right pleural effusion."])[0].id == "c"
    assert retriever.nearest([]) == []


def test_training_hints_draw_each_neighbour_from_the_other_groups():
    prompts = [Prompt(text=s.findings, messages=({"role": "user", "content": s.findings},)) for s in POOL]
    hinted = training_hints(POOL, prompts)
    assert not hinted[0].text.startswith(HINT.format(impression="Cardiomegaly."))
    assert not hinted[0].text.startswith(HINT.format(impression="Enlarged heart."))
    assert all(h.text.endswith(s.findings) for h, s in zip(hinted, POOL, strict=True))


def test_the_wrapper_hints_every_request_and_names_itself_apart_from_the_bare_model():
    inner = Recorder()
    model = RetrievalAugmented(inner, TfidfRetriever(POOL[2:], "pool"))
    request = GenerationRequest(
        Study("q", "Small left pleural effusion.", None),
        Prompt(text="FINDINGS: q", messages=({"role": "user", "content": "FINDINGS: q"},)),
    )
    assert model.generate([request], GenerationArgs()) == ["x"]
    assert inner.seen[0].prompt.text == HINT.format(impression="Right effusion.") + "\nFINDINGS: q"
    assert model.identity() != inner.identity()
    assert model.identity()["retrieve"] == "tfidf"
    assert model.generation_overrides == {"max_new_tokens": 7}  # the wrapped backend's options still apply


def test_an_unfitted_wrapper_names_the_missing_step_and_fit_draws_from_the_tasks_pool():
    model = RetrievalAugmented(Recorder())
    with pytest.raises(ConfigError, match=r"call fit\(task\) first"):
        model.identity()
    task = get_task("iu-xray")
    model.fit(task)
    evaluated = {s.id for s in task.studies()}
    assert model.identity()["retrieved_from"] == "iu-xray:train"
    assert evaluated.isdisjoint(s.id for s in model.retriever.index.train)


def test_the_option_is_refused_for_baselines_and_unknown_retrievers():
    with pytest.raises(ConfigError, match="generative models"):
        load_model("baseline:constant", {"retrieve": "tfidf"})
    with pytest.raises(ConfigError, match="expected one of tfidf"):
        load_model("baseline:constant", {"retrieve": "bm25"})


def test_training_prompts_are_the_evaluated_prompts_with_the_hint():
    task = get_task("iu-xray")
    studies = [s for s in task.studies("train") if s.impression][:20]
    plain = build_prompts(task.spec.prompt, studies, [], seed=0)
    data = sft_dataset("iu-xray", limit=20, retrieve="tfidf")
    assert [p.text for p in training_hints(studies, plain)] == data["prompt"]
    assert all(h.endswith(p.text.split("\n\n")[-1]) for h, p in zip(data["prompt"], plain, strict=True))
    with pytest.raises(DataError, match="retrieve='bm25'"):
        sft_dataset("iu-xray", limit=5, retrieve="bm25")


def test_rl_prompts_keep_hints_drawn_from_the_whole_split():
    whole = sft_dataset("iu-xray", retrieve="tfidf")["prompt"]
    assert rl_dataset("iu-xray", retrieve="tfidf")["prompt"] == whole
    balanced = rl_dataset("iu-xray", abnormal_fraction=0.5, retrieve="tfidf")["prompt"]
    assert len(balanced) < len(whole) and set(balanced) <= set(whole)


def test_a_retrieval_run_goes_through_the_store_under_its_own_identity(tiny_model_dir, tmp_path):
    from rgro_bench.runner import evaluate

    def run(**options):
        model_args = {"max_tokens": "4", **options}
        return evaluate(
            f"hf:{tiny_model_dir}",
            "iu-xray",
            split="validation",
            limit=3,
            metrics=["length"],
            output_dir=tmp_path,
            model_args=model_args,
        ).generation

    first = run(retrieve="tfidf")
    assert (first.generated, first.reused) == (3, 0)
    assert run(retrieve="tfidf").reused == 3  # a rerun generates nothing
    assert run().reused == 0  # the bare model is another model: no hinted text is handed to it
