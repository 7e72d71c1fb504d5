"""Validity against IU X-ray's manual MeSH indexing: of the extractor, and of the label-accuracy metric.

Run: ``python -m rgro_bench.clinical.mesh_validation [--output leaderboards/validation/mesh_agreement.json]``
(``nox -s validate``). It writes ``mesh_agreement.json|md`` and ``label_validity.json|md`` in that folder.

**Extractor vs MeSH** (``mesh_agreement``). Each IU report carries MeSH terms assigned by human indexers
(``Cardiomegaly/borderline;Pulmonary Atelectasis/base/left``; ``normal`` for a normal study). For every
class the two vocabularies share with the same meaning we compare the extractor's report-level label
(some mention positive in the findings + impression) with the presence of a mapped MeSH heading, and
report precision, recall and F1, per split of the iu-xray task and over all reports. Indexers index what a
report asserts, not what it hedges, so uncertain mentions count as absent; the macro-F1 with uncertain
counted as present is reported beside it. Lexicon changes are made looking only at train and validation
reports: the disagreements listed are theirs, and the **test split's macro-F1 is the number that
counts** (reported apart). Reports never indexed (``No Indexing``) are left out.

Shared classes (``rgro_bench.clinical.mesh_labels``) and why others are excluded:

- mapped one-to-one or to headings of the same meaning: cardiomegaly, atelectasis, pleural effusion,
  pneumothorax, edema (MeSH Pulmonary Edema and Pulmonary Congestion: CheXpert counts vascular congestion
  as edema), consolidation, pneumonia, fracture, nodule, mass, emphysema (Emphysema, Pulmonary Emphysema,
  COPD), hiatal hernia, granuloma (Granuloma, Calcified Granuloma, Granulomatous Disease), scoliosis;
- excluded: lung opacity (MeSH splits it over Opacity, Density, Infiltrate, Airspace Disease, Markings,
  Lung/hypoinflation..., whose use varies between indexers, so no heading set means "lung opacity");
  support devices (indexed under a dozen headings of varying scope: Surgical Instruments includes
  clips, Medical Device and Implanted Medical Device overlap); enlarged cardiomediastinum, lung lesion
  and pleural other (no MeSH heading of that meaning); no finding (MeSH ``normal`` also covers studies
  with only incidental findings left unindexed). Classes with fewer than ``MIN_SUPPORT`` MeSH positives
  (in the split measured) are reported but kept out of the macro-F1, since a handful of reports gives no
  stable F1.

**The label metric's validity** (``label_validity``). ``label_accuracy`` (``rgro_bench.metrics.labels``)
is scored, per split, with the full reference report (findings + impression: what the indexers read) as
the "prediction": it must agree with the labels (expected: micro-F1 above 0.90 over its classes with
support), or it measures its own misreadings rather than a model's. The reference impression alone is
scored beside it: the radiologists' own impressions under this metric, the value a perfect model of this
data would get. The same for mediqa2021-indiana (its IU ids). ``class_choice`` shows, on train and
validation reports only, how often the reference impression and the full report name each shared MeSH
class positively: the basis for the metric's choice of classes an impression states.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from rgro_bench.clinical.extractor import extract
from rgro_bench.clinical.mesh_labels import MESH_TO_CLASS, SHARED_CLASSES, is_indexed, mesh_classes
from rgro_bench.results.io import atomic_write_text, write_json

__all__ = ["MESH_TO_CLASS", "MIN_SUPPORT", "SHARED_CLASSES", "agreement", "extractor_classes", "main", "mesh_classes"]

DEFAULT_OUTPUT = Path("leaderboards/validation/mesh_agreement.json")
LABEL_VALIDITY_NAME = "label_validity.json"
MIN_SUPPORT = 10
SPLITS = ("train", "validation", "test")
#: the label metric's columns reported in label_validity (per-class ones go in the JSON only)
HEADLINE_COLUMNS = ("abnormal_accuracy", "abnormal_recall", "abnormal_precision", "label_micro_f1", "label_macro_f1")
EXPECTED_MICRO_F1 = 0.90


def extractor_classes(text: str, accepted: tuple[str, ...] = ("positive",)) -> set[str]:
    return {m.observation for m in extract(text) if m.status in accepted and m.observation in SHARED_CLASSES}


def agreement(pairs: list[tuple[str, str, str]], accepted: tuple[str, ...] = ("positive",)) -> dict:
    """``pairs``: (id, report text, MeSH field). Per-class counts, P/R/F1, the macro-F1 over classes with at
    least ``MIN_SUPPORT`` MeSH positives, and the micro-F1 over all shared classes."""
    counts = {c: {"tp": 0, "fp": 0, "fn": 0} for c in SHARED_CLASSES}
    errors: dict[str, list[str]] = {c: [] for c in SHARED_CLASSES}
    for sid, text, mesh in tqdm(pairs, desc="MeSH agreement", unit="report", leave=False):
        gold, found = mesh_classes(mesh), extractor_classes(text, accepted)
        for c in SHARED_CLASSES:
            key = "tp" if c in gold and c in found else "fp" if c in found else "fn" if c in gold else None
            if key:
                counts[c][key] += 1
                if key != "tp":
                    errors[c].append(f"{key} {sid}")
    per_class = {}
    for c, k in counts.items():
        p = k["tp"] / (k["tp"] + k["fp"]) if k["tp"] + k["fp"] else float("nan")
        r = k["tp"] / (k["tp"] + k["fn"]) if k["tp"] + k["fn"] else float("nan")
        f1 = 2 * k["tp"] / (2 * k["tp"] + k["fp"] + k["fn"]) if k["tp"] + k["fp"] + k["fn"] else float("nan")
        per_class[c] = {**k, "support": k["tp"] + k["fn"], "precision": p, "recall": r, "f1": f1}
    macro = [v["f1"] for v in per_class.values() if v["support"] >= MIN_SUPPORT]
    any_support = [v["f1"] for v in per_class.values() if v["support"] > 0]
    tp, fp, fn = (sum(k[key] for k in counts.values()) for key in ("tp", "fp", "fn"))
    return {
        "n_reports": len(pairs),
        "label_rule": f"extractor: some mention {' or '.join(accepted)} in findings + impression; MeSH: heading present",
        "min_support_for_macro": MIN_SUPPORT,
        "macro_f1": sum(macro) / len(macro) if macro else float("nan"),
        "macro_classes": [c for c, v in per_class.items() if v["support"] >= MIN_SUPPORT],
        # every class with a MeSH positive, however few: complete but noisy on a small split
        "macro_f1_any_support": float(np.mean(any_support)) if any_support else float("nan"),
        "micro_f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan"),
        "per_class": per_class,
        "mesh_mapping": MESH_TO_CLASS,
        "disagreements": errors,
    }


def _pairs(studies: list[Any]) -> list[tuple[str, str, str]]:
    """(id, findings + impression, MeSH) of the indexed studies (``No Indexing`` reports carry no label)."""
    return [
        (s.id, f"{s.findings} {s.impression or ''}", str(s.meta.get("MeSH") or ""))
        for s in studies
        if is_indexed(str(s.meta.get("MeSH") or ""))
    ]


def extractor_agreement(splits: dict[str, list[Any]]) -> dict:
    """Agreement over all indexed reports (top level, as before), per split, and the test split apart.
    Disagreements are listed for train and validation reports only: the lexicon is tuned on those."""
    by_split = {name: _pairs(splits[name]) for name in SPLITS}
    everything = [p for name in SPLITS for p in by_split[name]]
    result = agreement(everything)
    result["macro_f1_uncertain_as_present"] = agreement(everything, ("positive", "uncertain"))["macro_f1"]
    result["splits"] = {}
    for name in SPLITS:
        part = agreement(by_split[name])
        part["macro_f1_uncertain_as_present"] = agreement(by_split[name], ("positive", "uncertain"))["macro_f1"]
        del part["mesh_mapping"], part["disagreements"], part["label_rule"]
        result["splits"][name] = part
    result["test_macro_f1"] = result["splits"]["test"]["macro_f1"]
    result["n_not_indexed"] = sum(len(splits[name]) for name in SPLITS) - len(everything)
    result["disagreements"] = agreement(by_split["train"] + by_split["validation"])["disagreements"]
    result["disagreements_from"] = "train and validation reports only (the test split is not looked at)"
    return result


def _values(scored: Any, columns: tuple[str, ...] | None = None) -> dict[str, dict]:
    return {
        column: {"value": v.value, "ci_low": v.ci_low, "ci_high": v.ci_high, "n": v.n}
        for column, v in scored.aggregates.items()
        if columns is None or column in columns
    }


def _score_texts(task: Any, studies: list[Any], texts: list[str], resamples: int) -> dict:
    from rgro_bench.metrics import score_predictions

    scored = score_predictions(task, studies, texts, ["label_accuracy"], resamples=resamples)
    return {"headline": _values(scored, HEADLINE_COLUMNS), "per_class": _values(scored)}


def class_choice(studies: list[Any]) -> dict[str, dict]:
    """Per shared MeSH class, over ``studies`` (train and validation): MeSH support and how often the
    reference impression and the full report name the class positively (recall against MeSH)."""
    out = {c: {"support": 0, "impression_recall": 0.0, "report_recall": 0.0} for c in SHARED_CLASSES}
    for s in studies:
        mesh = str(s.meta.get("MeSH") or "")
        if not is_indexed(mesh):
            continue
        gold = mesh_classes(mesh)
        said = extractor_classes(s.impression or "")
        reported = extractor_classes(f"{s.findings} {s.impression or ''}")
        for c in gold:
            out[c]["support"] += 1
            out[c]["impression_recall"] += c in said
            out[c]["report_recall"] += c in reported
    for v in out.values():
        if v["support"]:
            v["impression_recall"] /= v["support"]
            v["report_recall"] /= v["support"]
        else:
            v["impression_recall"] = v["report_recall"] = float("nan")
    return out


def label_validity(resamples: int = 1000) -> dict:
    """The label metric scored on full reports and on reference impressions, per iu-xray split and on
    mediqa2021-indiana's IU ids; plus the class-choice table (train + validation)."""
    from rgro_bench.metrics.labels import CLASS_NAMES, LABEL_CLASSES, LabelAccuracy
    from rgro_bench.tasks import get_task

    iu = get_task("iu-xray")
    splits = iu.load()
    result: dict[str, Any] = {
        "metric": LabelAccuracy.name,
        "version": LabelAccuracy.version,
        "classes": {c: list(LABEL_CLASSES[c]) for c in CLASS_NAMES},
        "expected_micro_f1_on_full_reports": EXPECTED_MICRO_F1,
        "bootstrap_resamples": resamples,
        "splits": {},
    }
    for name in SPLITS:
        studies = splits[name]
        result["splits"][name] = {
            "n_studies": len(studies),
            "full_report": _score_texts(
                iu, studies, [f"{s.findings} {s.impression or ''}" for s in studies], resamples
            ),
            "reference_impression": _score_texts(iu, studies, [s.impression or "" for s in studies], resamples),
        }
    try:
        mediqa = get_task("mediqa2021-indiana")
        studies = mediqa.all_studies()
    except Exception as exc:  # data missing: report it rather than fail the extractor's validation
        result["mediqa2021-indiana"] = {"unavailable": str(exc)}
    else:
        result["mediqa2021-indiana"] = {
            "n_studies": len(studies),
            "full_report": _score_texts(
                mediqa, studies, [f"{s.findings} {s.impression or ''}" for s in studies], resamples
            ),
            "reference_impression": _score_texts(mediqa, studies, [s.impression or "" for s in studies], resamples),
        }
    result["class_choice"] = {
        "studies": "iu-xray train + validation",
        "per_class": class_choice(splits["train"] + splits["validation"]),
    }
    return result


def _f(x: float | None, digits: int = 3) -> str:
    return "—" if x is None or x != x else f"{x:.{digits}f}"


def markdown(result: dict) -> str:
    """The extractor's agreement: per split, the test split first, then the per-class table of the test
    split and of all reports."""
    test = result["splits"]["test"]
    lines = [
        "# Extractor vs IU X-ray MeSH indexing",
        "",
        f"{result['n_reports']} indexed reports (findings + impression; the {result['n_not_indexed']} marked "
        f"`No Indexing` carry no label and are left out). {result['label_rule']}.",
        "Lexicon changes are made looking only at train and validation reports; the test split is the number "
        "that counts.",
        "",
        f"**Test split ({test['n_reports']} reports): macro-F1 {_f(test['macro_f1'])}** over the classes with at "
        f"least {result['min_support_for_macro']} MeSH positives in the split "
        f"({', '.join(test['macro_classes'])}); micro-F1 {_f(test['micro_f1'])}.",
        "",
        f"Macro-F1 averages the classes with at least {result['min_support_for_macro']} MeSH positives in the "
        "split, so its class set varies by split; the macro over every class with a positive (noisy where "
        "support is 1 to 5) and the micro-F1 over all shared classes are beside it.",
        "",
        "| split | reports | macro-F1 | classes in macro | macro-F1, any support | micro-F1 | "
        "macro-F1, uncertain as present |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [(name, result["splits"][name]) for name in SPLITS] + [("all", result)]
    for name, part in rows:
        lines.append(
            f"| {name} | {part['n_reports']} | {_f(part['macro_f1'])} | {len(part['macro_classes'])} | "
            f"{_f(part['macro_f1_any_support'])} | {_f(part['micro_f1'])} | "
            f"{_f(part.get('macro_f1_uncertain_as_present'))} |"
        )
    for title, part in (("Test split", test), ("All reports", result)):
        lines += [
            "",
            f"## {title}",
            "",
            "| class | support | TP | FP | FN | precision | recall | F1 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for c, v in part["per_class"].items():
            lines.append(
                f"| {c} | {v['support']} | {v['tp']} | {v['fp']} | {v['fn']} | {_f(v['precision'])} | "
                f"{_f(v['recall'])} | {_f(v['f1'])} |"
            )
    lines += ["", "Regenerate: `python -m rgro_bench.clinical.mesh_validation` (`nox -s validate`)."]
    return "\n".join(lines) + "\n"


def _interval(v: dict) -> str:
    if v["value"] is None:
        return "—"
    if v["ci_low"] is None:
        return _f(v["value"])
    return f"{_f(v['value'])} [{_f(v['ci_low'])}, {_f(v['ci_high'])}]"


def label_markdown(result: dict) -> str:
    """The label metric on full reports (its validity) and on reference impressions, per split."""
    classes = ", ".join(f"{c} ({' + '.join(m)})" if m != [c] else c for c, m in result["classes"].items())
    lines = [
        "# Validity of the label_accuracy metric",
        "",
        f"`{result['metric']}` v{result['version']} scored with the **full reference report** (findings + impression, "
        "what the MeSH indexers read) as the prediction must agree with IU X-ray's MeSH labels: expected "
        f"micro-F1 above {result['expected_micro_f1_on_full_reports']:.2f} over its classes with support. The "
        "**reference impression** alone is scored beside it: what the radiologists' own impressions get, the "
        "value a model that writes them would get. Values with 95% bootstrap intervals "
        f"({result['bootstrap_resamples']} resamples). Classes: {classes}.",
        "",
        "| split | studies | labelled | text | abnormal accuracy | abnormal recall | abnormal precision | micro-F1 | macro-F1 |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    parts = [(name, result["splits"][name]) for name in SPLITS]
    if "full_report" in result.get("mediqa2021-indiana", {}):
        parts.append(("mediqa2021-indiana (IU ids)", result["mediqa2021-indiana"]))
    for name, part in parts:
        for text in ("full_report", "reference_impression"):
            h = part[text]["headline"]
            lines.append(
                f"| {name} | {part['n_studies']} | {h['abnormal_accuracy']['n']} | {text.replace('_', ' ')} | "
                + " | ".join(_interval(h[c]) for c in HEADLINE_COLUMNS)
                + " |"
            )
    below = [
        name
        for name, part in parts
        if (part["full_report"]["headline"]["label_micro_f1"]["value"] or 0.0)
        <= result["expected_micro_f1_on_full_reports"]
    ]
    lines += [
        "",
        "Full reports at or below the expected micro-F1: " + (", ".join(below) if below else "none") + ".",
        "",
        "## Which classes an impression states",
        "",
        f"Over {result['class_choice']['studies']} only: MeSH support of each class the extractor shares with "
        "MeSH, and how often the reference impression and the full report name it positively (recall "
        "against MeSH). Classes indexers take from the findings and impressions leave out would score the "
        "convention, not the model; the metric keeps the classes listed above.",
        "",
        "| class | support | impression names it | full report names it |",
        "|---|---:|---:|---:|",
    ]
    for c, v in result["class_choice"]["per_class"].items():
        lines.append(f"| {c} | {v['support']} | {_f(v['impression_recall'])} | {_f(v['report_recall'])} |")
    lines += ["", "Regenerate: `python -m rgro_bench.clinical.mesh_validation` (`nox -s validate`)."]
    return "\n".join(lines) + "\n"


def _finite(obj):
    """JSON has no NaN: classes without predictions or support get null."""
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    return obj


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"extractor agreement JSON; a .md summary is written beside it, and {LABEL_VALIDITY_NAME} (.md) too",
    )
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples of the label metric")
    args = parser.parse_args(argv)
    from rgro_bench.tasks import get_task

    result = extractor_agreement(get_task("iu-xray").load())
    write_json(args.output, _finite(result))
    atomic_write_text(args.output.with_suffix(".md"), markdown(result))
    print(markdown(result))
    validity = label_validity(args.resamples)
    labels_path = args.output.parent / LABEL_VALIDITY_NAME
    write_json(labels_path, _finite(validity))
    atomic_write_text(labels_path.with_suffix(".md"), label_markdown(validity))
    print(label_markdown(validity))
    print(f"wrote {args.output}, {labels_path} and their .md summaries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
