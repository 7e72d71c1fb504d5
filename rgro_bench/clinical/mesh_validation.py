"""Agreement of the extractor with the manual MeSH indexing of IU X-ray reports.

Run: ``python -m rgro_bench.clinical.mesh_validation [--output leaderboards/validation/mesh_agreement.json]``

Each IU report carries MeSH terms assigned by human indexers (``Cardiomegaly/borderline;Pulmonary
Atelectasis/base/left``; ``normal`` for a normal study). For every class the two vocabularies share with
the same meaning we compare the extractor's report-level label (some mention positive in the findings +
impression) with the presence of a mapped MeSH heading, and report precision, recall and F1. Indexers
index what a report asserts, not what it hedges, so uncertain mentions count as absent; the macro-F1 with
uncertain counted as present is reported beside it.

Shared classes and why others are excluded:

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
  are reported but kept out of the macro-F1, since a handful of reports gives no stable F1.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tqdm import tqdm

from rgro_bench.clinical.extractor import extract
from rgro_bench.results.io import atomic_write_text, write_json

DEFAULT_OUTPUT = Path("leaderboards/validation/mesh_agreement.json")
MIN_SUPPORT = 10
MESH_TO_CLASS: dict[str, str] = {
    "Cardiomegaly": "cardiomegaly",
    "Pulmonary Atelectasis": "atelectasis",
    "Pleural Effusion": "pleural_effusion",
    "Pneumothorax": "pneumothorax",
    "Pulmonary Edema": "edema",
    "Pulmonary Congestion": "edema",
    "Consolidation": "consolidation",
    "Pneumonia": "pneumonia",
    "Fractures, Bone": "fracture",
    "Nodule": "nodule",
    "Mass": "mass",
    "Emphysema": "emphysema",
    "Pulmonary Emphysema": "emphysema",
    "Bullous Emphysema": "emphysema",
    "Pulmonary Disease, Chronic Obstructive": "emphysema",
    "Hernia, Hiatal": "hiatal_hernia",
    "Granuloma": "granuloma",
    "Calcified Granuloma": "granuloma",
    "Granulomatous Disease": "granuloma",
    "Scoliosis": "scoliosis",
}
SHARED_CLASSES: tuple[str, ...] = tuple(dict.fromkeys(MESH_TO_CLASS.values()))


def mesh_classes(mesh: str) -> set[str]:
    """Shared classes named by a MeSH field (headings are the text before the first '/')."""
    out = set()
    for term in (mesh or "").split(";"):
        heading = term.split("/", 1)[0].strip()
        if heading in MESH_TO_CLASS:
            out.add(MESH_TO_CLASS[heading])
    return out


def extractor_classes(text: str, accepted: tuple[str, ...] = ("positive",)) -> set[str]:
    return {m.observation for m in extract(text) if m.status in accepted and m.observation in SHARED_CLASSES}


def agreement(pairs: list[tuple[str, str, str]], accepted: tuple[str, ...] = ("positive",)) -> dict:
    """``pairs``: (id, report text, MeSH field). Per-class counts, P/R/F1 and the macro-F1."""
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
    return {
        "n_reports": len(pairs),
        "label_rule": f"extractor: some mention {' or '.join(accepted)} in findings + impression; MeSH: heading present",
        "min_support_for_macro": MIN_SUPPORT,
        "macro_f1": sum(macro) / len(macro) if macro else float("nan"),
        "macro_classes": [c for c, v in per_class.items() if v["support"] >= MIN_SUPPORT],
        "per_class": per_class,
        "mesh_mapping": MESH_TO_CLASS,
        "disagreements": errors,
    }


def markdown(result: dict) -> str:
    lines = [
        "# Extractor vs IU X-ray MeSH indexing",
        "",
        f"{result['n_reports']} reports (findings + impression). {result['label_rule']}.",
        f"Macro-F1 over classes with at least {result['min_support_for_macro']} MeSH positives: "
        f"**{result['macro_f1']:.3f}** (uncertain mentions counted as present: "
        f"{result.get('macro_f1_uncertain_as_present', float('nan')):.3f})",
        "",
        "| class | support | TP | FP | FN | precision | recall | F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c, v in result["per_class"].items():
        lines.append(
            f"| {c} | {v['support']} | {v['tp']} | {v['fp']} | {v['fn']} | {v['precision']:.3f} | "
            f"{v['recall']:.3f} | {v['f1']:.3f} |"
        )
    lines += ["", "Regenerate: `python -m rgro_bench.clinical.mesh_validation`."]
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
        "--output", type=Path, default=DEFAULT_OUTPUT, help="JSON path; a .md summary is written beside it"
    )
    args = parser.parse_args(argv)
    from rgro_bench.tasks import get_task

    studies = get_task("iu-xray").all_studies()
    pairs = [(s.id, f"{s.findings} {s.impression or ''}", str(s.meta.get("MeSH") or "")) for s in studies]
    result = agreement(pairs)
    result["macro_f1_uncertain_as_present"] = agreement(pairs, ("positive", "uncertain"))["macro_f1"]
    write_json(args.output, _finite(result))
    atomic_write_text(args.output.with_suffix(".md"), markdown(result))
    print(markdown(result))
    print(f"wrote {args.output} and {args.output.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
