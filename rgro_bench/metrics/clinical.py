"""Clinical metrics in the registry: findings consistency, observation F1, guideline adherence.

All rule-based and offline (rgro_bench.clinical); each sample carries an explanation naming the
sentence and observation concerned.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rgro_bench.clinical import consistency, guideline_report
from rgro_bench.clinical.guidelines import RULES
from rgro_bench.clinical.lexicon import CHEXPERT_CLASSES
from rgro_bench.clinical.observation_f1 import class_sentences, confusion, f1_from_counts
from rgro_bench.metrics.base import Metric, MetricOutput, Sample, register_metric, says_nothing

NAN = float("nan")


@register_metric
class FindingsConsistency(Metric):
    name = "consistency"
    #: 2: an impression that says nothing ("", ".") scores fc_f1 0, not the 1 of a normal study
    version = "2"
    columns = {"fc_recall": True, "fc_precision": True, "fc_contradiction": False, "fc_f1": True}
    description = (
        "Impression vs its own findings: recall of the findings' positive observations (NaN when there are "
        "none), precision of the impression's positive assertions (NaN when it asserts none), contradiction "
        "rate (status or side flips; lower is better), and their F1 on every sample (a study with no positive "
        "findings whose impression asserts none is fully consistent: F1 1)."
    )
    needs_reference = False
    role = "reward"
    rewards = (
        "naming the findings' own positive observations and not contradicting them (the RL reward's recall "
        "term, weight 4; RGRO's stage credit); it never reads the reference, and a study it reads as normal "
        "scores F1 1 whatever is missed, so copying the findings scores 100"
    )

    def compute(self, samples: Sequence[Sample]) -> MetricOutput:
        out = {c: np.full(len(samples), np.nan) for c in self.columns}
        explanations = []
        for k, s in enumerate(samples):
            result = consistency(s.findings, s.prediction)
            if says_nothing(s.prediction):  # would read as "normal", fully consistent with normal findings
                out["fc_recall"][k] = 0.0 if result.n_findings_positive else NAN
                out["fc_f1"][k] = 0.0
                explanations.append([{"kind": "empty impression"}])
                continue
            out["fc_recall"][k] = result.recall if result.n_findings_positive else NAN
            out["fc_precision"][k] = result.precision if result.n_impression_positive else NAN
            out["fc_contradiction"][k] = result.contradiction_rate if result.n_impression_observations else NAN
            out["fc_f1"][k] = result.f1
            explanations.append([e for e in result.explanations if e["kind"] != "supported"])
        return MetricOutput(columns=out, explanations=explanations)


@register_metric
class ObservationF1(Metric):
    name = "observation_f1"
    version = "1"
    columns = {"obs_f1": True, "obs_f1_macro": True, "obs_f1_top5": True, "obs_f1_uncertain": True}
    description = (
        "Rule-based F1-CheXbert counterpart: 14 CheXpert classes of the impression vs the reference; corpus "
        "micro-F1 (positive only), macro-F1, top-5 micro-F1, and micro-F1 with uncertain counted positive."
    )

    def compute(self, samples: Sequence[Sample]) -> MetricOutput:
        n, c = len(samples), len(CHEXPERT_CLASSES)
        counts = {u: np.zeros((n, c, 3), dtype=np.int64) for u in (False, True)}
        applicable = np.array([s.reference is not None for s in samples], dtype=bool)
        out = {col: np.full(n, np.nan) for col in self.columns}
        explanations: list = []
        for k, s in enumerate(samples):
            if s.reference is None:
                explanations.append(None)
                continue
            for u in (False, True):
                counts[u][k] = confusion(s.prediction, s.reference, uncertain_positive=u)
            own = f1_from_counts(counts[False][k])
            out["obs_f1"][k], out["obs_f1_macro"][k], out["obs_f1_top5"][k] = (
                own["micro_f1"],
                own["macro_f1"],
                own["micro_f1_top5"],
            )
            out["obs_f1_uncertain"][k] = f1_from_counts(counts[True][k])["micro_f1"]
            explanations.append(self._explain(s, counts[False][k]))

        def corpus(key: str, uncertain: bool):
            def aggregate(indices: np.ndarray) -> float:
                chosen = indices[applicable[indices]]
                if chosen.size == 0:
                    return NAN
                # TP/FP/FN add up over samples, so a bootstrap replicate costs one sum
                return f1_from_counts(counts[uncertain][chosen].sum(axis=0))[key]

            return aggregate

        aggregators = {
            "obs_f1": corpus("micro_f1", False),
            "obs_f1_macro": corpus("macro_f1", False),
            "obs_f1_top5": corpus("micro_f1_top5", False),
            "obs_f1_uncertain": corpus("micro_f1", True),
        }
        return MetricOutput(columns=out, explanations=explanations, aggregators=aggregators)

    @staticmethod
    def _explain(sample: Sample, counts: np.ndarray) -> list[dict]:
        """One entry per class that is labelled in either text: the observation and the sentence that says it."""
        predicted, referenced = class_sentences(sample.prediction), class_sentences(sample.reference or "")
        entries = []
        for i, kind in zip(*np.nonzero(counts), strict=True):
            cls = CHEXPERT_CLASSES[i]
            label = ("matched", "extra in prediction", "missing from prediction")[kind]
            sentence = (predicted if kind < 2 else referenced).get(cls)
            entries.append({"kind": label, "observation": cls, "sentence": sentence})
        return entries


@register_metric
class Guidelines(Metric):
    name = "guidelines"
    #: 2: an impression that says nothing scores 0, and rules it passes only vacuously do not apply
    version = "2"
    columns = {"guideline_score": True, **{f"g_{rule}": True for rule in RULES}}
    description = (
        "Guideline adherence: per-rule pass (1) / fail (0) / not applicable (NaN) and guideline_score, the "
        "pass rate over applicable rules (ACR 2020, Fleischner 2017, Hartung et al. 2020, hedging lexicon)."
    )
    needs_reference = False
    role = "reward"
    rewards = "the style rules it checks (the RL reward's guideline term, weight 0.25; RGRO's recommendation stage)"

    def compute(self, samples: Sequence[Sample]) -> MetricOutput:
        out = {c: np.full(len(samples), np.nan) for c in self.columns}
        explanations = []
        for k, s in enumerate(samples):
            report = guideline_report(s.findings, s.prediction)
            empty = says_nothing(s.prediction)  # passes a style rule only vacuously: such a pass does not apply
            out["guideline_score"][k] = 0.0 if empty else report.score
            for rule, result in report.rules.items():
                if result.passed is not None and not (empty and result.passed):
                    out[f"g_{rule}"][k] = float(result.passed)
            explanations.append(
                {
                    rule: {"passed": r.passed, "reason": r.reason}
                    for rule, r in report.rules.items()
                    if r.passed is False
                }
            )
        return MetricOutput(columns=out, explanations=explanations)
