"""Findings consistency, statement judgement, guideline rules and observation F1."""

from __future__ import annotations

import math

import pytest

from rgro_bench.clinical import (
    consistency,
    extract,
    followup_indication,
    guideline_report,
    judge_statement,
    observation_f1,
)
from rgro_bench.errors import RgroError

FINDINGS = "Heart size is mildly enlarged. Small left pleural effusion. No pneumothorax."


def test_copy_of_findings_is_fully_consistent():
    c = consistency(FINDINGS, FINDINGS)
    assert (c.recall, c.precision, c.contradiction_rate, c.f1) == (1.0, 1.0, 0.0, 1.0)


def test_normal_impression_omits_every_finding():
    c = consistency(FINDINGS, "No acute cardiopulmonary abnormality.")
    assert c.recall == 0.0 and c.precision == 1.0 and c.f1 == 0.0
    omitted = {e["observation"] for e in c.explanations if e["kind"] == "omission"}
    assert omitted == {"cardiomegaly", "pleural_effusion"}
    assert all(e["sentence"] in FINDINGS for e in c.explanations)


def test_hallucination_contradiction_and_laterality_flip():
    c = consistency(
        FINDINGS, "1. Mild cardiomegaly. 2. Small right pleural effusion. 3. Right pneumothorax. 4. Pneumonia."
    )
    kinds = {(e["kind"], e["observation"]) for e in c.explanations}
    assert ("laterality flip", "pleural_effusion") in kinds
    assert ("contradiction", "pneumothorax") in kinds
    assert ("hallucination", "pneumonia") in kinds
    assert c.precision == pytest.approx(1 / 4)  # only cardiomegaly is supported
    assert c.contradiction_rate == pytest.approx(2 / 4)
    for e in c.explanations:
        assert e["sentence"] and e["observation"]


def test_empty_inputs_are_nan_free():
    c = consistency("", "")
    assert not any(math.isnan(x) for x in (c.recall, c.precision, c.contradiction_rate, c.f1))
    assert (c.recall, c.precision, c.contradiction_rate) == (1.0, 1.0, 0.0)


def test_judge_statement():
    mentions = extract(FINDINGS)
    assert judge_statement(mentions, "Mild cardiomegaly.").supported == 1
    v = judge_statement(mentions, "Right pleural effusion and pneumonia.")
    assert (v.supported, v.contradicted, v.unsupported) == (0, 1, 1)
    assert set(v.observations) == {"pleural_effusion", "pneumonia"}
    assert judge_statement(mentions, "Small pneumothorax cannot be excluded.").hedged
    restated = judge_statement(mentions, "No pneumothorax.")
    assert (restated.supported, restated.negatives_restated) == (0, 1)  # repeats the findings, asserts nothing
    assert not judge_statement(mentions, "No pneumothorax.").hedged


def test_guidelines_rules_and_score():
    report = guideline_report(FINDINGS, FINDINGS)
    assert report.rules["concise"].passed is False
    assert report.rules["critical_first"].passed is None  # no critical finding
    applicable = [r.passed for r in report.rules.values() if r.passed is not None]
    assert report.score == pytest.approx(sum(applicable) / len(applicable))
    assert all(r.source for r in report.rules.values())
    hedged = guideline_report(FINDINGS, "Mild cardiomegaly. Clinical correlation recommended.")
    assert hedged.rules["no_hedging"].passed is False
    assert hedged.rules["numbered_list"].passed is False
    assert guideline_report(FINDINGS, "1. Mild cardiomegaly. 2. Small left effusion.").rules["numbered_list"].passed


def test_critical_finding_first_and_communicated():
    findings = "Large right pneumothorax. Small left effusion."
    late = guideline_report(findings, "1. Small left effusion. 2. Large right pneumothorax.")
    assert late.rules["critical_first"].passed is False
    assert late.rules["most_significant_first"].passed is False
    good = guideline_report(
        findings, "1. Large right pneumothorax, discussed with the referring physician. 2. Small left effusion."
    )
    assert good.rules["critical_first"].passed and good.rules["critical_communicated"].passed


@pytest.mark.parametrize(
    ("size", "impression", "passed"),
    [
        ("4 mm", "Small nodule.", True),
        ("4 mm", "4 mm nodule, follow-up CT in 3 months.", False),
        ("7 mm", "7 mm nodule.", False),
        ("7 mm", "7 mm nodule. Recommend follow-up CT in 6 to 12 months.", True),
        ("7 mm", "7 mm nodule. Recommend CT in 3 months.", False),
        ("1.2 cm", "Nodule. Recommend CT in 3 months or PET/CT.", True),
        ("1.2 cm", "Nodule. Follow-up CT in 12 months.", False),
    ],
)
def test_fleischner(size: str, impression: str, passed: bool):
    findings = f"A {size} nodule in the right upper lobe."
    assert guideline_report(findings, impression).rules["fleischner_followup"].passed is passed


def test_fleischner_ignores_calcified_nodules():
    rule = guideline_report("A 7 mm calcified nodule.", "Granuloma.").rules["fleischner_followup"]
    assert rule.passed is None


def test_observation_f1_conventions():
    refs = ["Cardiomegaly. Small left effusion.", "No acute disease.", "Possible pneumonia."]
    preds = ["Cardiomegaly.", "No acute disease.", "Pneumonia."]
    out = observation_f1(preds, refs)
    # positive only: TP cardiomegaly + no_finding; FN effusion; pneumonia predicted while the reference only hedges
    pos = out["positive"]
    assert pos["per_class"]["cardiomegaly"] == 1.0 and pos["per_class"]["pleural_effusion"] == 0.0
    # TP 2 (cardiomegaly, no_finding), FP 1 (pneumonia), FN 1 (effusion); "possible" blocks no_finding
    assert pos["micro_f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    # with uncertain as positive, "possible pneumonia" becomes a match
    assert out["with_uncertain"]["per_class"]["pneumonia"] == 1.0
    with pytest.raises(RgroError):
        observation_f1(["a"], [])


def test_concise_rule_matches_trigram_sets():
    """The concise rule skips splitting the findings where it cannot matter: its verdicts must equal the
    plain computation (every word, every trigram) on impressions that copy the findings to any degree."""
    import random
    import re

    from rgro_bench.clinical.guidelines import Pair, rule_concise

    def plain(findings: str, impression: str) -> tuple[bool | None, str]:
        f_words, i_words = re.findall("[a-z0-9]+", findings.lower()), re.findall("[a-z0-9]+", impression.lower())
        if not f_words:
            return None, "no findings to compare with"
        limit = max(15, 0.6 * len(f_words))
        if len(i_words) > limit:
            return False, f"{len(i_words)} words, more than {limit:.0f} (findings: {len(f_words)})"
        trigrams = list(zip(i_words, i_words[1:], i_words[2:], strict=False))
        if trigrams:
            f_trigrams = set(zip(f_words, f_words[1:], f_words[2:], strict=False))
            copied = sum(t in f_trigrams for t in trigrams) / len(trigrams)
            if copied > 0.6 and len(i_words) > 6:
                return False, f"{copied:.0%} of the impression's trigrams are copied from the findings"
        return True, f"{len(i_words)} words, synthesised"

    rng = random.Random(0)
    words = re.findall(
        r"\S+", "no acute left pleural effusion is seen the heart size normal lungs clear mild 4 mm nodule"
    )
    for _ in range(2000):
        f_words = [rng.choice(words) for _ in range(rng.randint(0, 40))]
        start = rng.randint(0, len(f_words))
        copied = f_words[start : start + rng.randint(0, 20)]
        i_words = [w if rng.random() < 0.8 else rng.choice(words) for w in copied] + [
            rng.choice(words) for _ in range(rng.randint(0, 8))
        ]
        findings, impression = ", ".join(f_words).capitalize() + ".", " ".join(i_words) + "."
        result = rule_concise(Pair.of(findings, impression))
        assert (result.passed, result.reason) == plain(findings, impression), (findings, impression)


@pytest.mark.parametrize(
    ("findings", "called_for"),
    [
        ("Heart size is normal. No pneumothorax.", None),
        ("Large right pneumothorax.", "pneumothorax: communicate"),
        ("There is a 7 mm nodule in the right upper lobe.", "7 mm nodule: CT follow-up"),
        ("There is a 4 mm nodule in the right upper lobe.", None),  # low risk, < 6 mm: no routine follow-up
        ("Smoking history. There is a 4 mm nodule in the right upper lobe.", "4 mm nodule, high-risk patient"),
        ("There is a 9 mm calcified nodule in the right upper lobe.", None),  # calcified: benign
    ],
)
def test_followup_indication(findings: str, called_for: str | None):
    indication = followup_indication(findings)
    assert indication == called_for if called_for is None else indication.startswith(called_for)
