"""The clinical metrics in the registry: columns, NaN conventions, corpus aggregation, explanations,
the radeval adapter (BERTScore: test_metrics_bertscore.py)."""

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


def test_radeval_reports_unavailable_when_missing():
    try:
        import RadEval  # noqa: F401
    except ImportError:
        out = get_metric("radeval").compute(SAMPLES)
        assert out.unavailable and "RadEval" in out.unavailable
    else:
        pytest.skip("RadEval is installed here")
