"""label_accuracy: the impression against the study's MeSH labels, counts, corpus F1, availability,
and where the labels come from (iu-xray's own rows, mediqa2021-indiana's IU ids)."""

from __future__ import annotations

import numpy as np
import pytest

from rgro_bench.metrics import METRICS, Sample, get_metric, score_samples, task_samples
from rgro_bench.metrics.labels import CLASS_NAMES, gold_labels, task_labels
from rgro_bench.tasks import get_task

CARDIO = {"MeSH": "Cardiomegaly/mild", "Problems": "Cardiomegaly"}
NORMAL = {"MeSH": "normal", "Problems": "normal"}


def sample(sid: str, prediction: str, labels: dict | None) -> Sample:
    return Sample(sid, "findings", prediction, "reference", labels)


def counts(out, column: str) -> list[float]:
    return out.columns[column].tolist()


def test_cardiomegaly_said_is_a_true_positive_and_left_out_a_false_negative():
    out = get_metric("label_accuracy").compute(
        [sample("tp", "Cardiomegaly.", CARDIO), sample("fn", "No acute abnormality.", CARDIO)]
    )
    assert counts(out, "label_cardiomegaly_recall") == [1.0, 0.0]
    assert counts(out, "abnormal_accuracy") == [1.0, 0.0]
    assert counts(out, "abnormal_recall") == [1.0, 0.0]
    assert out.columns["abnormal_precision"][0] == 1.0 and np.isnan(out.columns["abnormal_precision"][1])
    assert counts(out, "label_micro_f1") == [1.0, 0.0]
    assert out.explanations[1]["missed"] == ["cardiomegaly"] and out.explanations[1]["mesh"] == ["cardiomegaly"]
    assert np.isnan(out.columns["label_pneumonia_recall"]).all()  # no support, no value


def test_normal_agreement_and_what_mesh_normal_means():
    out = get_metric("label_accuracy").compute(
        [
            sample("n-ok", "No acute cardiopulmonary abnormality.", NORMAL),
            sample("n-fp", "Right pneumothorax.", NORMAL),
            sample("hedged", "Possible right pneumothorax.", NORMAL),  # uncertain counts as absent
            # incidental findings are indexed: MeSH is not "normal", so "no acute disease" disagrees
            sample("incidental", "No acute disease.", {"MeSH": "Calcified Granuloma/lung/upper lobe/left"}),
        ]
    )
    assert counts(out, "abnormal_accuracy") == [1.0, 0.0, 1.0, 0.0]
    assert out.columns["abnormal_precision"][1] == 0.0 and np.isnan(out.columns["abnormal_precision"][0])
    assert out.columns["abnormal_recall"][3] == 0.0
    assert out.columns["label_pneumothorax_precision"][1] == 0.0


def test_unindexed_and_unlabelled_studies_do_not_count():
    assert gold_labels({"MeSH": "No Indexing"}) is None and gold_labels(None) is None
    run = score_samples(
        [
            sample("a", "Cardiomegaly.", CARDIO),
            sample("b", "Cardiomegaly.", None),
            sample("c", "x", {"MeSH": "No Indexing"}),
        ],
        ["label_accuracy"],
        resamples=20,
    )
    assert run.aggregates["abnormal_accuracy"].n == 1 and run.aggregates["label_micro_f1"].value == 1.0


def test_corpus_f1_pools_counts_over_classes_with_support_and_has_intervals():
    effusion_and_cardio = {"MeSH": "Pleural Effusion/left;Cardiomegaly"}
    samples = [
        sample("1", "Cardiomegaly. Small left pleural effusion.", effusion_and_cardio),  # 2 TP
        sample("2", "Cardiomegaly.", effusion_and_cardio),  # 1 TP, 1 FN (effusion)
        sample("3", "Pneumonia.", NORMAL),  # FP of a class without support: outside the F1s
        sample("4", "Cardiomegaly.", NORMAL),  # 1 FP cardiomegaly
        sample("5", "No acute disease.", {"MeSH": "Mass/lung/right"}),  # 1 FN nodule_mass
    ]
    run = score_samples(samples, ["label_accuracy"], resamples=200)
    micro = run.aggregates["label_micro_f1"]
    # supported: cardiomegaly (TP 2, FP 1), effusion (TP 1, FN 1), nodule_mass (FN 1)
    assert micro.value == pytest.approx(2 * 3 / (2 * 3 + 1 + 2))
    per_sample_mean = np.nanmean(run.per_sample["label_micro_f1"])
    assert micro.value != pytest.approx(per_sample_mean)  # not a mean of per-sample F1
    macro = run.aggregates["label_macro_f1"]
    assert macro.value == pytest.approx((2 * 2 / (4 + 1) + 2 * 1 / (2 + 1) + 0.0) / 3)
    assert micro.ci_low is not None and micro.ci_low <= micro.value <= micro.ci_high
    assert run.aggregates["label_pneumonia_precision"].value == 0.0  # the FP still shows in its own column
    assert run.aggregates["label_cardiomegaly_precision"].value == pytest.approx(2 / 3)
    assert run.aggregates["label_pleural_effusion_recall"].value == pytest.approx(1 / 2)
    assert run.aggregates["abnormal_recall"].value == pytest.approx(2 / 3)
    assert run.aggregates["abnormal_precision"].value == pytest.approx(2 / 4)
    assert all(v.ci_low is not None for k, v in run.aggregates.items() if v.value is not None)


def test_unavailable_with_a_reason_without_labels(tmp_path):
    run = score_samples([sample("a", "Cardiomegaly.", None)], ["label_accuracy"], resamples=10)
    value = run.aggregates["label_micro_f1"]
    assert value.value is None and "no human labels" in value.unavailable

    import rgro_bench

    (tmp_path / "reports.jsonl").write_text(
        '{"id": "1", "findings": "Heart is enlarged.", "impression": "Cardiomegaly."}\n'
        '{"id": "2", "findings": "Lungs are clear.", "impression": "Normal."}\n'
    )
    (tmp_path / "task.yaml").write_text(
        'id: my-reports\nversion: "1"\ndata: {path: reports.jsonl}\nsplit: {method: none}\n'
    )
    evaluation = rgro_bench.evaluate(
        "baseline:constant", str(tmp_path / "task.yaml"), metrics=["label_accuracy"], output_dir=None, store=False
    )
    assert "no human labels" in evaluation.result.metrics["abnormal_accuracy"].unavailable


def test_iu_xray_studies_carry_their_own_mesh():
    iu = get_task("iu-xray")
    labels = task_labels(iu)
    assert len(labels) == 3331
    assert labels["2"]["MeSH"] == "Cardiomegaly/borderline;Pulmonary Artery/enlarged"
    assert labels["2"]["source"] == "iu-xray:2"


def test_mediqa_ids_map_to_the_iu_rows_of_the_same_id():
    from rgro_bench.tasks.overlap import read_overlap

    mediqa, iu = get_task("mediqa2021-indiana"), get_task("iu-xray")
    labels, shared = task_labels(mediqa), read_overlap(mediqa, "iu-xray")
    assert len(shared) == 1947 and set(labels) == set(shared)
    iu_mesh = {s.id: s.meta["MeSH"] for s in iu.all_studies()}
    assert all(labels[i]["MeSH"] == iu_mesh[i] and labels[i]["source"] == f"iu-xray:{i}" for i in shared)
    studies = mediqa.studies()
    samples = task_samples(mediqa, studies, [s.impression for s in studies])
    assert sum(s.labels is not None for s in samples) == 1947
    outside = next(s for s in samples if s.id not in labels)
    assert outside.labels is None


def test_runner_passes_labels_and_the_metric_is_a_registered_judge_in_both_tasks():
    import rgro_bench

    evaluation = rgro_bench.evaluate(
        "baseline:constant", "iu-xray", metrics=["label_accuracy"], limit=40, output_dir=None, store=False, resamples=20
    )
    metrics = evaluation.result.metrics
    indexed = [s for s in get_task("iu-xray").studies()[:40] if s.meta["MeSH"] != "No Indexing"]
    assert metrics["abnormal_accuracy"].unavailable is None and metrics["abnormal_accuracy"].n == len(indexed) > 30
    # "No acute cardiopulmonary abnormality." asserts nothing: no class predicted, never abnormal
    assert metrics["abnormal_recall"].value == 0.0 and metrics["label_micro_f1"].value == 0.0
    assert METRICS.get("label_accuracy").role == "judge"
    assert {f"label_{c}_recall" for c in CLASS_NAMES} <= set(METRICS.get("label_accuracy").columns)
    for task in ("iu-xray", "mediqa2021-indiana"):
        assert "label_accuracy" in get_task(task).spec.metrics
