import numpy as np
import pytest
from sacrebleu.metrics import BLEU

from rgro_bench.errors import UnknownNameError
from rgro_bench.metrics import Sample, get_metric, score_samples
from rgro_bench.metrics.bootstrap import bootstrap_interval, paired_bootstrap

PAIRS = [
    ("No acute cardiopulmonary abnormality.", "No acute cardiopulmonary abnormality."),
    ("Small left pleural effusion.", "Left pleural effusion, small."),
    ("Cardiomegaly without edema.", "Enlarged heart. No pulmonary edema."),
    ("Normal chest.", "Right upper lobe pneumonia."),
]


def samples():
    return [Sample(str(i), "findings text", p, r) for i, (p, r) in enumerate(PAIRS)]


def test_rouge_is_one_for_identical_and_zero_for_disjoint():
    out = get_metric("rouge").compute(samples())
    assert out.columns["rougeL"][0] == pytest.approx(1.0)
    assert out.columns["rouge1"][3] == pytest.approx(0.0)


def test_corpus_bleu_equals_sacrebleu_on_the_same_corpus():
    run = score_samples(samples(), ["bleu"], resamples=50)
    expected = BLEU().corpus_score([p for p, _ in PAIRS], [[r for _, r in PAIRS]]).score / 100
    assert run.aggregates["bleu"].value == pytest.approx(expected)


def test_unknown_metric_suggests_a_name():
    with pytest.raises(UnknownNameError, match="Did you mean 'rouge'"):
        get_metric("rogue")


def test_missing_reference_is_not_applicable_not_zero():
    s = [*samples(), Sample("x", "f", "anything", None)]
    run = score_samples(s, ["rouge"], resamples=50)
    assert np.isnan(run.per_sample.loc["x", "rougeL"])
    assert run.aggregates["rougeL"].n == 4


def test_bootstrap_interval_brackets_the_mean_and_is_seeded():
    values = np.random.default_rng(0).random(500)
    a = bootstrap_interval(None, values, 500, seed=7)
    b = bootstrap_interval(None, values, 500, seed=7)
    assert a == b and a.low < a.value < a.high and a.value == pytest.approx(values.mean())


def test_generic_statistic_path_matches_vectorised_mean():
    values = np.random.default_rng(1).random(200)
    fast = bootstrap_interval(None, values, 200, seed=3, resamples=200)
    slow = bootstrap_interval(lambda idx: float(values[idx].mean()), None, 200, seed=3, resamples=200)
    assert fast.low == pytest.approx(slow.low) and fast.high == pytest.approx(slow.high)


def test_paired_bootstrap_separates_a_real_difference_from_noise():
    rng = np.random.default_rng(0)
    a = rng.random(400)
    assert paired_bootstrap(a + 0.1, a).p_value < 0.01
    assert paired_bootstrap(a + rng.normal(0, 0.01, 400), a).p_value > 0.05


def test_rouge_with_the_cached_tokenizer_equals_plain_rouge_score():
    from rouge_score import rouge_scorer

    from rgro_bench.tasks import get_task

    studies = get_task("iu-xray").studies("test")[:200]
    plain = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    samples = [Sample(s.id, s.findings, s.findings.split(".")[0], s.impression) for s in studies]
    ours = get_metric("rouge").compute(samples + samples)  # the second half hits the cache
    for i, s in enumerate(samples + samples):
        expected = plain.score(s.reference, s.prediction)
        for column in ("rouge1", "rouge2", "rougeL"):
            assert ours.columns[column][i] == pytest.approx(expected[column].fmeasure, abs=1e-12)


def test_paired_statistic_bootstrap_tests_a_corpus_ratio_not_a_mean():
    import numpy as np

    from rgro_bench.metrics.bootstrap import paired_statistic_bootstrap

    # corpus recall = sum(hits) / sum(positives): model a finds 8 of 10 positives on one long sample and
    # nothing on nine short ones, b the reverse; their per-sample means differ, their corpus ratios tie
    positives = np.array([10] + [1] * 9 + [0] * 10, dtype=float)
    hits_a = np.array([8] + [0] * 9 + [0] * 10, dtype=float)
    hits_b = np.array([0] + [1] * 8 + [0] + [0] * 10, dtype=float)

    def recall(hits):
        return lambda i: hits[i].sum() / positives[i].sum() if positives[i].sum() else float("nan")

    tie = paired_statistic_bootstrap(recall(hits_a), recall(hits_b), len(positives), resamples=2000)
    assert tie.difference == 0.0 and tie.p_value == 1.0
    many = np.ones(200)
    often, seldom = (np.arange(200) % 10 < 9).astype(float), (np.arange(200) % 2 == 0).astype(float)
    test = paired_statistic_bootstrap(
        lambda i: often[i].sum() / many[i].sum(), lambda i: seldom[i].sum() / many[i].sum(), 200, resamples=2000
    )
    assert test.difference == pytest.approx(0.4)
    assert test.p_value < 0.05
