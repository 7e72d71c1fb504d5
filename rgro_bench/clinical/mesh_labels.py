"""IU X-ray's manual MeSH indexing as class labels, shared by the extractor's validation
(``rgro_bench.clinical.mesh_validation``) and the label-accuracy metric (``rgro_bench.metrics.labels``).

A report's ``MeSH`` field lists the headings human indexers assigned, ``;``-separated, each optionally
qualified after ``/`` (``Cardiomegaly/borderline;Pulmonary Atelectasis/base/left``). ``normal`` means the
indexers assigned no heading at all. It does **not** mean "no acute disease": incidental and chronic
findings are indexed as well (calcified granulomas, degenerative spine, a tortuous aorta, sternotomy
wires, old rib fractures, scoliosis...), so a study with only those is not normal in MeSH. A few reports
were never indexed (``No Indexing``); they carry no label.
"""

from __future__ import annotations

#: MeSH heading -> extractor observation class, for headings of the same meaning (see mesh_validation)
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
#: the classes MeSH and the extractor share, in table order
SHARED_CLASSES: tuple[str, ...] = tuple(dict.fromkeys(MESH_TO_CLASS.values()))

NORMAL = "normal"
NOT_INDEXED = "no indexing"


def mesh_headings(mesh: str | None) -> set[str]:
    """The headings of a MeSH field (the text of each term before its first '/')."""
    return {term.split("/", 1)[0].strip() for term in (mesh or "").split(";") if term.strip()}


def mesh_classes(mesh: str | None) -> set[str]:
    """Shared classes named by a MeSH field (headings are the text before the first '/')."""
    return {MESH_TO_CLASS[h] for h in mesh_headings(mesh) if h in MESH_TO_CLASS}


def is_indexed(mesh: str | None) -> bool:
    """Whether the field is a label at all: empty, missing and ``No Indexing`` are not."""
    text = (mesh or "").strip().lower()
    return bool(text) and text not in (NOT_INDEXED, "nan", "none")


def is_normal(mesh: str | None) -> bool:
    """MeSH ``normal``: the indexers assigned no heading (incidental and chronic findings are indexed,
    so this is narrower than "no acute disease")."""
    return {h.lower() for h in mesh_headings(mesh)} == {NORMAL}
