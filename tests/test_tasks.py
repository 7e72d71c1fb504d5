import json

import pytest

from rgro_bench.data import clean_text
from rgro_bench.errors import DataError, UnknownNameError
from rgro_bench.tasks import build_prompts, get_task, task_names
from rgro_bench.tasks.overlap import read_overlap, render_overlap


def test_registry_lists_the_shipped_tasks():
    assert {"iu-xray", "mediqa2021-indiana", "mimic-cxr-rrs", "mimic-iii-rrs"} <= set(task_names())


def test_unknown_task_suggests_the_closest_name():
    with pytest.raises(UnknownNameError, match="Did you mean 'iu-xray'"):
        get_task("iu_xray")


def test_iu_xray_has_the_3331_complete_reports_and_a_stable_hash():
    task = get_task("iu-xray")
    assert len(task.all_studies()) == 3331
    fresh = get_task(str(task.yaml_path))  # another Task object, its data loaded and hashed again
    assert fresh is not task and fresh.data_hash == task.data_hash
    assert len(task.data_hash) == 64


def test_mediqa_is_evaluation_only_with_2000_pairs():
    assert get_task("mediqa2021-indiana").split_sizes() == {"test": 2000}


def test_recorded_overlap_is_what_the_data_says():
    mediqa, iu = get_task("mediqa2021-indiana"), get_task("iu-xray")
    assert len(read_overlap(mediqa, "iu-xray")) == 1947
    assert (mediqa.yaml_path.parent / "mediqa2021-indiana.overlap.txt").read_text() == render_overlap(mediqa, iu)


def test_cleaning_maps_both_anonymisation_styles_to_one_token():
    assert clean_text("Normal chest x-XXXX.  Seen  on XXXX XXXX") == "Normal chest x-[ANON]. Seen on [ANON] [ANON]"
    assert clean_text("Chest radiographs from ____.\n") == "Chest radiographs from [ANON]."
    assert not any("XXXX" in s.findings for s in get_task("iu-xray").all_studies())
    assert not any("____" in s.findings for s in get_task("mediqa2021-indiana").all_studies())


def test_shipped_file_is_verified_against_its_hash(tmp_path):
    task = get_task("iu-xray")
    copy = tmp_path / "indiana_reports.csv"
    copy.write_bytes(task.data_path().read_bytes().replace(b"Borderline cardiomegaly", b"Borderline", 1))
    with pytest.raises(DataError, match="differs from the task's"):
        get_task("iu-xray", data_path=copy).load()


def test_prompt_renders_findings_and_fewshot_is_deterministic():
    task = get_task("iu-xray")
    studies = task.studies()[:3]
    prompts = build_prompts(task.spec.prompt, studies, [], seed=0)
    assert studies[0].findings in prompts[0].text
    assert prompts[0].messages[-1]["role"] == "user" and prompts[0].messages[0]["role"] == "system"
    spec = task.spec.prompt.model_copy(update={"fewshot": 2})
    a = build_prompts(spec, studies, task.studies("train"), seed=1)
    b = build_prompts(spec, studies, task.studies("train"), seed=1)
    assert a == b and len(a[0].messages) == 1 + 2 * 2 + 1


def test_radsum_layout_loads_line_aligned_files(tmp_path, monkeypatch):
    (tmp_path / "test.findings.tok").write_text("Small left effusion .\nNo acute findings .\n")
    (tmp_path / "test.impression.tok").write_text("Left effusion .\nNormal .\n")
    monkeypatch.setenv("RGRO_MIMIC_CXR_DIR", str(tmp_path))
    task = get_task("mimic-cxr-rrs")
    studies = task.studies()
    assert [s.id for s in studies] == ["test-1", "test-2"] and studies[0].impression == "Left effusion ."


def test_radsum_misaligned_files_are_refused(tmp_path):
    (tmp_path / "test.findings.tok").write_text("a\nb\n")
    (tmp_path / "test.impression.tok").write_text("a\n")
    with pytest.raises(DataError, match=r"1 lines but test\.findings\.tok has 2"):
        get_task("mimic-iii-rrs", data_path=tmp_path).load()


def test_generation_arguments_resolve_in_one_place_task_then_model_then_explicit():
    from rgro_bench.errors import ConfigError
    from rgro_bench.models import GenerationArgs

    task = get_task("iu-xray")
    g = task.spec.generation
    assert task.generation_args(3) == GenerationArgs(g.max_new_tokens, g.temperature, g.top_p, 3, tuple(g.stop))
    model_options, explicit = {"temperature": 0.5, "max_new_tokens": 7}, {"temperature": None, "max_new_tokens": 9}
    args = task.generation_args(0, model_options, explicit)
    assert (args.temperature, args.max_new_tokens, args.top_p) == (0.5, 9, g.top_p)  # None is "not given"
    with pytest.raises(ConfigError, match=r"generation option top_p=2\.0"):
        task.generation_args(0, {"top_p": 2.0})


def test_requests_keep_split_order_then_filter_by_ids_then_limit():
    task = get_task("iu-xray")
    test = task.studies("test")
    requests = task.requests("test", ids=[test[7].id, test[2].id, test[4].id], limit=2)
    assert [r.study.id for r in requests] == [test[2].id, test[4].id]
    assert requests[1].prompt == build_prompts(task.spec.prompt, [test[4]], [])[0]
    assert [r.study for r in task.requests()] == task.studies(task.spec.split.eval_split)


def test_fewshot_examples_from_another_task_come_through_the_registry(tmp_path):
    rows = [
        {"id": f"x{i}", "findings": f"Finding {i}. Heart normal.", "impression": f"Impression {i}."} for i in range(3)
    ]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "t.yaml").write_text(
        'id: fewshot-from-iu\nversion: "1"\ndata: {path: r.jsonl}\nsplit: {method: none}\n'
        "prompt: {fewshot: 2, fewshot_source: 'iu-xray:train'}\n"
    )
    requests = get_task(str(tmp_path / "t.yaml")).requests(limit=1, seed=4)
    examples = [m["content"] for m in requests[0].prompt.messages if m["role"] == "assistant"]
    train = {s.impression for s in get_task("iu-xray").studies("train")}
    assert len(examples) == 2 and set(examples) <= train
