"""Label accuracy: the impression against the study's human annotations (IU X-ray's manual MeSH indexing).

Every other clinical metric compares the impression with text (its findings, the reference impression);
this one compares it with labels people assigned to the study, so it is the one judge that does not rest
on the extractor reading *both* sides. It is a ``judge``: no reference trainer's reward reads MeSH.

Where the labels come from (``task_labels``). A sample's ``labels`` field carries its study's
annotations; whoever builds samples from a task fills it through ``task_labels(task)``:

- a task whose data keeps a ``MeSH`` column (``keep_columns: [MeSH, Problems]``, as ``iu-xray`` does)
  labels its own studies;
- otherwise a task borrows the labels of a task it lists under ``overlaps`` for the ids in the recorded
  overlap file: ``mediqa2021-indiana`` takes the IU X-ray rows of its 1,947 IU ids
  (``tasks/mediqa2021-indiana.overlap.txt``: its ``study_id`` is the IU ``uid`` and the report is the
  same one), and its other 53 studies are unlabelled (NaN, not counted);
- a task with neither is *unavailable*, with the reason. Reports never indexed (``No Indexing``) carry no
  label.

What is compared, per labelled study:

- **normal / abnormal.** Gold: the MeSH field is ``normal`` (the indexers assigned no heading at all;
  incidental and chronic findings such as calcified granulomas, degenerative spine, a tortuous aorta,
  sternotomy wires or old fractures are indexed too, so "normal" is narrower than "no acute disease").
  Impression: abnormal when the extractor finds some observation mentioned positively (any observation
  of its vocabulary, support devices included since MeSH indexes devices too; negated and uncertain
  mentions count as absent, as in ``mesh_validation``). Headings outside the extractor's vocabulary
  (degenerative spine, calcinosis, a tortuous aorta, hypoinflation...) cap the agreement: on full reports
  abnormal accuracy is about 0.83 and the reference impressions themselves reach about 0.6. Columns:
  ``abnormal_accuracy``, ``abnormal_recall`` and ``abnormal_precision`` of "abnormal".
- **classes.** ``LABEL_CLASSES``: atelectasis, cardiomegaly, pleural effusion, pneumothorax, edema,
  consolidation, pneumonia and nodule/mass, MeSH headings mapped as in ``rgro_bench.clinical.mesh_labels``
  (edema includes Pulmonary Congestion; nodule and mass merge into ``nodule_mass``: impressions and
  indexers use the two words for the same lesions). The impression's class is present when some mention
  of it is positive (uncertain counts as absent). Columns: per-class recall and precision, and corpus
  micro- and macro-F1 over the classes with at least one MeSH positive among the scored studies (the same
  class set for the point estimate and every bootstrap replicate; a class without support still shows
  its false positives in its precision column and in ``abnormal_precision``).

Which classes, and why. The kept classes are those an impression is expected to state: the acute
cardiopulmonary findings and nodules or masses (a nodule needing follow-up belongs in the impression,
Fleischner 2017), the eight classes of the analysis behind this metric. The other classes the extractor
shares with MeSH are chronic or incidental findings that indexers take from the findings section and
impressions leave out, so they would score the reporting convention, not the model. Measured on train
and validation reports (``leaderboards/validation/label_validity.md``, "Which classes an impression
states"), reference impressions name granuloma in 5%, scoliosis in 10%, fracture (mostly old) in 33% and
hiatal hernia in 52% of the studies MeSH indexes them for, against 48-94% for the kept classes except
nodule (37%; kept for its clinical weight, with mass at 100%). Emphysema/COPD is the judgement call:
named in 75%, but a chronic finding; it is left out of the classes and counts toward "abnormal" only.
On full reports the metric agrees with MeSH at micro-F1 0.93 (train), 0.91 (validation), 0.92 (test).

Corpus values are exact. Recall and precision columns are 1/0 on the samples they apply to and NaN
elsewhere, so their mean *is* the corpus ratio (and the bootstrap's fast path applies); the F1 columns
carry per-sample values for paired tests and aggregate TP/FP/FN over the bootstrap's sample indices, as
``observation_f1`` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from rgro_bench.clinical.extractor import extract, register_derived_cache
from rgro_bench.clinical.mesh_labels import is_indexed, is_normal, mesh_classes
from rgro_bench.metrics.base import Metric, MetricOutput, Sample, register_metric

NAN = float("nan")

#: label class -> the mesh_labels / extractor classes it gathers
LABEL_CLASSES: dict[str, tuple[str, ...]] = {
    "atelectasis": ("atelectasis",),
    "cardiomegaly": ("cardiomegaly",),
    "pleural_effusion": ("pleural_effusion",),
    "pneumothorax": ("pneumothorax",),
    "edema": ("edema",),
    "consolidation": ("consolidation",),
    "pneumonia": ("pneumonia",),
    "nodule_mass": ("nodule", "mass"),
}
CLASS_NAMES: tuple[str, ...] = tuple(LABEL_CLASSES)
_TO_LABEL: dict[str, int] = {obs: i for i, members in enumerate(LABEL_CLASSES.values()) for obs in members}
#: study annotation fields a task's data may keep; MeSH is the one read, Problems travels along
LABEL_FIELDS: tuple[str, ...] = ("MeSH", "Problems")


def _vector(classes: set[str]) -> np.ndarray:
    out = np.zeros(len(CLASS_NAMES), dtype=bool)
    for c in classes:
        if c in _TO_LABEL:
            out[_TO_LABEL[c]] = True
    return out


def gold_labels(labels: Mapping[str, Any] | None) -> tuple[bool, np.ndarray] | None:
    """(abnormal, class vector) from a study's annotations; None when it has no MeSH indexing."""
    mesh = None if labels is None else labels.get("MeSH")
    if mesh is None or not is_indexed(str(mesh)):
        return None
    return not is_normal(str(mesh)), _vector(mesh_classes(str(mesh)))


@lru_cache(maxsize=65536)
def _text_labels(text: str) -> tuple[bool, tuple[bool, ...]]:
    positive = {m.observation for m in extract(text) if m.status == "positive"}
    return bool(positive), tuple(_vector(positive))


register_derived_cache(_text_labels.cache_clear)


def text_labels(text: str) -> tuple[bool, np.ndarray]:
    """(abnormal, class vector) of a text: some observation positive; the classes mentioned positively."""
    abnormal, vector = _text_labels(text or "")
    return abnormal, np.array(vector, dtype=bool)


def confusion(predicted: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Per-class (TP, FP, FN), shape (classes, 3): additive over studies."""
    return np.stack([predicted & gold, predicted & ~gold, ~predicted & gold], axis=1).astype(np.int64)


def f1_scores(counts: np.ndarray, classes: np.ndarray) -> tuple[float, float]:
    """Micro- and macro-F1 over the selected classes of summed (classes, 3) counts; NaN when undefined
    (macro: mean over the selected classes whose F1 is defined in these counts)."""
    tp, fp, fn = (counts[classes, k].astype(float) for k in range(3))
    denom = 2 * tp + fp + fn
    micro = float(2 * tp.sum() / denom.sum()) if denom.sum() else NAN
    defined = denom > 0
    macro = float(np.mean(2 * tp[defined] / denom[defined])) if defined.any() else NAN
    return micro, macro


def recall_column(name: str) -> str:
    return f"label_{name}_recall"


def precision_column(name: str) -> str:
    return f"label_{name}_precision"


def task_labels(task: Any) -> dict[str, dict[str, str]]:
    """Study id -> annotations (``LABEL_FIELDS`` present, plus ``source``: ``<task>:<id>`` they come from)
    for the studies of ``task`` that have any: its own data's MeSH column, else that of a task listed in
    its ``overlaps``, for the recorded shared ids (the first such task that has labels). Empty when none."""
    own = _own_labels(task)
    if own:
        return own
    from rgro_bench.errors import RgroError
    from rgro_bench.tasks.overlap import read_overlap
    from rgro_bench.tasks.registry import get_task

    for other_id in task.spec.overlaps if task.yaml_path is not None else ():  # overlap files sit by the YAML
        try:
            theirs = _own_labels(get_task(other_id))
            shared = read_overlap(task, other_id) if theirs else []
        except (RgroError, OSError):  # the other task's data or the overlap file is missing
            continue
        borrowed = {i: theirs[i] for i in shared if i in theirs}
        if borrowed:
            return borrowed
    return {}


def _own_labels(task: Any) -> dict[str, dict[str, str]]:
    if "MeSH" not in task.spec.data.keep_columns:
        return {}
    out = {}
    for study in task.all_studies():
        fields = {k: str(study.meta[k]) for k in LABEL_FIELDS if study.meta.get(k) is not None}
        if "MeSH" in fields:
            out[study.id] = {**fields, "source": f"{task.id}:{study.id}"}
    return out


@register_metric
class LabelAccuracy(Metric):
    name = "label_accuracy"
    version = "1"
    columns = {
        "label_micro_f1": True,
        "label_macro_f1": True,
        "abnormal_accuracy": True,
        "abnormal_recall": True,
        "abnormal_precision": True,
        **{recall_column(c): True for c in CLASS_NAMES},
        **{precision_column(c): True for c in CLASS_NAMES},
    }
    description = (
        "The impression against the study's human labels: IU X-ray's manual MeSH indexing (mediqa2021-indiana "
        "through its 1,947 IU ids; unavailable where a task has no labels). Normal/abnormal per study: MeSH "
        "'normal' means the indexers assigned no heading, and incidental and chronic findings (calcified "
        "granuloma, degenerative spine, sternotomy wires, old fractures) are indexed too, so it is narrower "
        "than 'no acute disease'; the impression is abnormal when the extractor finds any observation "
        "mentioned positively (negated and uncertain mentions count as absent). Classes: atelectasis, "
        "cardiomegaly, pleural effusion, pneumothorax, edema (with MeSH Pulmonary Congestion), consolidation, "
        "pneumonia, nodule/mass; MeSH headings mapped as in mesh_validation, the impression's class present "
        "when some mention is positive (uncertain counts as absent). Per-class recall/precision; corpus "
        "micro/macro-F1 over the classes with MeSH support among the scored studies."
    )
    needs_reference = False
    role = "judge"
    # the 16 per-class columns stay in the CSV/JSON; a table of every entry shows the corpus figures
    shown_columns = ("label_micro_f1", "label_macro_f1", "abnormal_accuracy", "abnormal_recall", "abnormal_precision")

    def compute(self, samples: Sequence[Sample]) -> MetricOutput:
        n, k = len(samples), len(CLASS_NAMES)
        out = {c: np.full(n, np.nan) for c in self.columns}
        counts = np.zeros((n, k, 3), dtype=np.int64)
        gold_vectors = np.zeros((n, k), dtype=bool)
        labelled = np.zeros(n, dtype=bool)
        explanations: list[Any] = [None] * n
        for i, sample in enumerate(samples):
            gold = gold_labels(sample.labels)
            if gold is None:
                continue
            labelled[i] = True
            gold_abnormal, gold_vector = gold
            abnormal, vector = text_labels(sample.prediction)
            gold_vectors[i] = gold_vector
            counts[i] = confusion(vector, gold_vector)
            out["abnormal_accuracy"][i] = float(abnormal == gold_abnormal)
            if gold_abnormal:
                out["abnormal_recall"][i] = float(abnormal)
            if abnormal:
                out["abnormal_precision"][i] = float(gold_abnormal)
            for j, name in enumerate(CLASS_NAMES):
                if gold_vector[j]:
                    out[recall_column(name)][i] = float(vector[j])
                if vector[j]:
                    out[precision_column(name)][i] = float(gold_vector[j])
            explanations[i] = {
                "mesh": "normal" if not gold_abnormal else sorted(CLASS_NAMES[j] for j in np.flatnonzero(gold_vector)),
                "impression_abnormal": abnormal,
                "missed": [CLASS_NAMES[j] for j in np.flatnonzero(gold_vector & ~vector)],
                "extra": [CLASS_NAMES[j] for j in np.flatnonzero(vector & ~gold_vector)],
                "source": (sample.labels or {}).get("source"),
            }
        if not labelled.any():
            return self.unavailable(
                "no human labels for these studies: label_accuracy needs IU X-ray's manual MeSH indexing "
                "(a task whose data keeps a MeSH column, or whose ids overlap such a task through `overlaps`)",
                n,
            )
        supported = gold_vectors[labelled].any(axis=0)  # classes with MeSH support among the scored studies
        for i in np.flatnonzero(labelled):
            out["label_micro_f1"][i], out["label_macro_f1"][i] = f1_scores(counts[i], supported)

        def corpus(which: int):
            def aggregate(indices: np.ndarray) -> float:
                # TP/FP/FN add up over samples: weight each sample by how often the replicate drew it
                weights = np.bincount(indices, minlength=n) * labelled
                if not weights.any():
                    return NAN
                return f1_scores(np.tensordot(weights, counts, axes=1), supported)[which]

            return aggregate

        return MetricOutput(
            columns=out,
            explanations=explanations,
            aggregators={"label_micro_f1": corpus(0), "label_macro_f1": corpus(1)},
        )
