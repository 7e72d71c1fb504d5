"""Phrase lists: observations, negation/uncertainty triggers, attribute words (see LEXICON_SOURCES.md).

Every pattern is a regular expression over lower-cased text. Order matters: at one position the first
listed group that matches wins, so more specific phrases (and phrases to ignore) come first.
"""

from __future__ import annotations


def gap(n: int) -> str:
    """Up to ``n`` intervening words, no punctuation: keeps a predicate inside its own clause."""
    return rf"(?:\s+[\w/-]+){{0,{n}}}?\s+"


_HEART = r"(?:heart|cardiac)(?:\s+(?:size|silhouette|shadow|contours?|dimensions?))?"
_CARDIOMEDIASTINUM = r"(?:cardiomediastinal|cardiomediastinum|mediastinal|mediastinum)(?:\s+(?:silhouette|contours?|shadow|structures?|width|size))?"
_LUNGS = r"(?:(?:both|the)\s+)?(?:lungs?|lung fields?|lung parenchyma)"
_NORMAL = r"(?:normal|within normal limits|unremarkable|not enlarged|normal in size)"
_ENLARGED = r"(?:enlarged|enlargement|large|prominent|borderline)"
# "upper limits of normal" is a normal size, said with care: not cardiomegaly
_UPPER_NORMAL = r"(?:(?:at|near|on) )?(?:the )?(?:upper limits? of normal|upper limits?|upper normal|top normal|top-normal|high normal)"

#: (group name, observations it yields, forced status or None, patterns). Observations None: ignore.
OBSERVATION_GROUPS: list[tuple[str, tuple[str, ...] | None, str | None, list[str]]] = [
    (
        "ignore",
        None,
        None,
        [
            r"pericardial effusions?",
            r"joint effusions?",
            r"subcutaneous emphysema",
            r"(?:soft tissue|subcutaneous) edema",
            r"bone (?:mineral )?densit(?:y|ies)",
            r"(?:lytic|blastic|sclerotic|bony|bone|osseous|skin) lesions?",
            r"(?:soft tissue|breast) (?:mass|masses|density|densities|nodules?)",
            r"(?:nipple|breast) shadows?",
        ],
    ),
    ("hydropneumothorax", ("pleural_effusion", "pneumothorax"), None, [r"hydropneumothora(?:x|ces)"]),
    (
        "cardiomegaly",
        ("cardiomegaly",),
        None,
        [
            r"cardiomegaly",
            r"cardiac (?:enlargement|hypertrophy)",
            r"(?:enlarged|large|prominent) (?:heart|cardiac (?:silhouette|shadow|size))",
            r"enlargement of the (?:heart|cardiac silhouette)",
            _HEART + gap(4) + _ENLARGED,
        ],
    ),
    (
        "heart_and_vessels_neg",
        ("cardiomegaly", "edema"),
        "negative",
        [_HEART + r"\s+and\s+(?:the\s+)?(?:pulmonary\s+)?vascul(?:arity|ature)" + gap(3) + _NORMAL],
    ),
    (
        "cardiomegaly_neg",
        ("cardiomegaly",),
        "negative",
        [
            _HEART + gap(6) + _NORMAL,
            _HEART + gap(3) + _UPPER_NORMAL,
            r"normal(?:-sized?|\s+sized?)?\s+(?:heart|cardiac)(?:\s+(?:size|silhouette|contours?))?",
        ],
    ),
    (
        "enlarged_cardiomediastinum",
        ("enlarged_cardiomediastinum",),
        None,
        [
            r"widen(?:ed|ing) (?:of the )?(?:superior )?mediastin(?:um|al (?:silhouette|contours?))",
            r"mediastinal (?:widening|enlargement)",
            r"(?:enlarged|widened|wide|prominent) (?:cardio)?mediastin(?:um|al (?:silhouette|contours?))",
            _CARDIOMEDIASTINUM + gap(4) + r"(?:enlarged|enlargement|widened|wide|prominent)",
        ],
    ),
    (
        "enlarged_cardiomediastinum_neg",
        ("enlarged_cardiomediastinum",),
        "negative",
        [_CARDIOMEDIASTINUM + gap(6) + _NORMAL, r"normal (?:cardio)?mediastin(?:um|al (?:silhouette|contours?))"],
    ),
    (
        "edema",
        ("edema",),
        None,
        [
            r"(?:pulmonary |interstitial |alveolar )?edema",
            r"(?:pulmonary )?(?:vascular|venous) congestion",
            r"pulmonary congestion",
            r"congestive heart failure",
            r"\bchf\b",
            r"fluid overload",
            r"pulmonary venous hypertension",
            r"cephalization",
            r"kerley b?\s*lines",
            r"congestion",
            r"(?:central |pulmonary )*vascular (?:prominence|engorgement|redistribution)",
            r"prominence of the (?:central )?(?:pulmonary )?vascul(?:ature|arity)",
            r"(?:central |pulmonary )*vascul(?:arity|ature|ar markings)"
            + gap(4)
            + r"(?:increased|prominent|engorged|congested|indistinct)",
            r"(?:increased|prominent|engorged|indistinct) (?:central )?(?:pulmonary )?vascul(?:arity|ature|ar markings)",
        ],
    ),
    (
        "edema_neg",
        ("edema",),
        "negative",
        [
            r"(?:pulmonary )?vascul(?:arity|ature)" + gap(6) + r"(?:normal|within normal limits|unremarkable)",
            r"normal (?:pulmonary )?vascul(?:arity|ature)",
        ],
    ),
    (
        "pneumoperitoneum",
        ("pneumoperitoneum",),
        None,
        [r"pneumoperitoneum", r"free (?:intraperitoneal |subdiaphragmatic )?air"],
    ),
    ("pneumothorax", ("pneumothorax",), None, [r"pneumothora(?:x|ces)", r"\bptx\b"]),
    (
        "pleural_effusion",
        ("pleural_effusion",),
        None,
        [r"(?:pleural )?effusions?", r"pleural fluid", r"hydrothorax", r"fluid in the (?:pleural space|fissures?)"],
    ),
    (
        "pleural_other",
        ("pleural_other",),
        None,
        [
            r"pleural (?:thickening|scarring|plaques?|calcifications?|reaction|fibrosis)",
            r"fibrothorax",
            r"apical (?:pleural )?(?:cap|capping|thickening)",
            r"pleuroparenchymal (?:scarring|thickening)",
        ],
    ),
    (
        "consolidation",
        ("consolidation",),
        None,
        [r"consolidat(?:ion|ions|ive|ed)", r"air bronchograms?"],
    ),
    (
        "pneumonia",
        ("pneumonia",),
        None,
        [r"(?:broncho)?pneumonias?", r"pneumonitis", r"infectious process", r"infections?"],
    ),
    (
        "atelectasis",
        ("atelectasis",),
        None,
        [
            r"atelecta(?:sis|ses|tic)",
            r"(?:lobar|lung|lobe|segmental) collapse",
            r"collapse of the (?:\w+ )*?(?:lobe|lung)",
            r"collapsed (?:lung|lobe)",
        ],
    ),
    # "nodular" describes the shape of another finding (a nodular opacity is indexed as an opacity);
    # a calcified nodule is a granuloma
    ("granuloma_nodule", ("granuloma",), None, [r"calcified (?:\w+ )?nodul(?:e|es)"]),
    ("nodule", ("nodule",), None, [r"nodules?"]),
    ("mass", ("mass",), None, [r"mass(?:es)?", r"mass-?like"]),
    (
        "granuloma",
        ("granuloma",),
        None,
        [r"granulomatous (?:infection|disease|process|changes?|calcifications?)", r"granulom(?:a|as|ata|atous)"],
    ),
    (
        "lung_lesion",
        ("lung_lesion",),
        None,
        [
            r"lesions?",
            r"cavit(?:y|ies|ary|ation)",
            r"(?:lung|pulmonary) (?:neoplasm|tumou?r|cancer|carcinoma)",
            r"malignan(?:cy|cies|t)",
            r"metasta(?:sis|ses|tic)",
        ],
    ),
    (
        "lung_opacity",
        ("lung_opacity",),
        None,
        [
            r"opacit(?:y|ies)",
            r"nodular (?:opacit(?:y|ies)|densit(?:y|ies))",
            r"opacification",
            r"air[\s-]?space (?:disease|process|opacit(?:y|ies)|filling)",
            r"infiltrat(?:e|es|ion|ive)",
            r"densit(?:y|ies)",
            r"haziness",
            r"ground[\s-]glass",
            r"interstitial (?:markings|opacit(?:y|ies)|prominence|process|disease|thickening|pattern|changes?)",
        ],
    ),
    (
        "lung_opacity_neg",
        ("lung_opacity",),
        "negative",
        [_LUNGS + gap(4) + r"(?:clear|well-aerated and clear|expanded and clear)", r"clear lungs?", r"lungs? clear"],
    ),
    (
        "emphysema",
        ("emphysema",),
        None,
        [
            r"emphysema(?:tous)?",
            r"\bcopd\b",
            r"chronic obstructive (?:pulmonary|lung) disease",
            r"bullae|bullous|blebs?",
        ],
    ),
    (
        "hyperinflation",
        ("hyperinflation",),
        None,
        [r"hyperinflat(?:ion|ed)", r"hyperexpan(?:sion|ded)", r"hyperaerat(?:ion|ed)"],
    ),
    ("hiatal_hernia", ("hiatal_hernia",), None, [r"hiat(?:al|us) hernias?", r"hernias?"]),
    ("scoliosis", ("scoliosis",), None, [r"scolio(?:sis|tic)", r"(?:dextro|levo)(?:scoliosis|convex|curvature)"]),
    ("scarring", ("scarring",), None, [r"scar(?:s|ring|red)?", r"cicatri(?:x|cial)"]),
    ("fibrosis", ("fibrosis",), None, [r"fibros(?:is|es)", r"fibrotic"]),
    (
        "fracture",
        ("fracture",),
        None,
        [r"fractur(?:e|es|ed)", r"\bfx\b"],
    ),
    (
        "support_devices",
        ("support_devices",),
        None,
        [
            r"picc(?: lines?)?",
            r"central (?:venous )?(?:lines?|catheters?)",
            r"(?:venous|dialysis|indwelling|port|swan[\s-]ganz|pulmonary artery|infusion) catheters?",
            r"catheters?",
            r"(?:endotracheal|et|nasogastric|ng|og|orogastric|feeding|chest|tracheostomy|enteric|dobhoff|gastric) tubes?",
            r"tracheostomy",
            r"pacemakers?",
            r"pacers?",
            r"(?:pacing|pacemaker|pacer|cardiac|transvenous) (?:leads?|wires?|device|generator)",
            r"defibrillators?",
            r"\baicd\b",
            r"\bicd\b",
            r"port-?a-?cath",
            r"(?:power|chest|mediport|infusion) ?ports?",
            r"mediport",
            r"stents?",
            r"(?:valve|valvular) (?:replacement|prosthes[ie]s)",
            r"prosthetic (?:heart )?valves?",
            r"(?:sternotomy|sternal) (?:wires?|sutures)",
            r"(?:surgical|vascular) clips?",
            r"loop recorder",
        ],
    ),
]

#: the 14 CheXpert observation classes (Irvin et al. 2019) in our snake_case spelling
CHEXPERT_CLASSES: tuple[str, ...] = (
    "no_finding",
    "enlarged_cardiomediastinum",
    "cardiomegaly",
    "lung_lesion",
    "lung_opacity",
    "edema",
    "consolidation",
    "pneumonia",
    "atelectasis",
    "pneumothorax",
    "pleural_effusion",
    "pleural_other",
    "fracture",
    "support_devices",
)
#: our finer classes folded into a CheXpert class for CheXpert-style labels
CHEXPERT_PARENT: dict[str, str] = {"nodule": "lung_lesion", "mass": "lung_lesion"}
#: the five classes usually reported as "F1-CheXbert (5)" (Miura et al. 2021)
TOP5_CLASSES: tuple[str, ...] = ("atelectasis", "cardiomegaly", "consolidation", "edema", "pleural_effusion")

# Negation/uncertainty triggers: (kind, direction, patterns). Direction "pre" governs mentions after the
# trigger, "post" mentions before it, "both" either. Pseudo-triggers and uncertainty phrases that contain
# negation words are listed before the negations so that the longer phrase wins.
TRIGGER_GROUPS: list[tuple[str, str, list[str]]] = [
    (
        "pseudo",
        "none",
        [
            r"no (?:significant |appreciable |interval |definite |substantial |major |acute )?(?:change|increase|decrease|worsening|improvement|progression)",
            r"without (?:significant |appreciable |interval )?(?:change|increase|progression|worsening)",
            r"not only",
            r"not (?:significantly )?changed",
            r"not necessarily",
            r"gram[\s-]negative",
        ],
    ),
    (
        "uncertain",
        "both",
        [
            r"can ?not (?:be )?(?:entirely |completely |totally |definitely )?(?:excluded|exclude|ruled? out)",
            r"can't (?:be )?(?:exclude|excluded|rule out|ruled out)",
            r"(?:is |are )?not (?:be )?(?:entirely |completely )?(?:excluded|ruled out)",
            r"(?:difficult|hard) to (?:exclude|rule out)",
            r"(?:may|might|could) not be (?:demonstrated|seen|visible|detected|apparent)",
        ],
    ),
    ("chain", "pre", [r"to suggest", r"to indicate", r"suggesting", r"that would suggest", r"to represent"]),
    (
        "uncertain",
        "pre",
        [
            r"may (?:represent|reflect|be|indicate|have|also)",
            r"may",
            r"might",
            r"could (?:represent|reflect|be|indicate)",
            r"possibl[ey]",
            r"probabl[ey]",
            r"likely",
            r"questionabl[ey]",
            r"question of",
            r"question",
            r"(?:evaluate|assess|evaluation|assessment) for",
            r"suspicious (?:for|of)",
            r"suspect(?:ed)?",
            r"concerning for",
            r"concern for",
            r"if",
            r"(?:could|may) obscure",
            r"obscur(?:e|es|ing)",
            r"worrisome for",
            r"suggest(?:s|ive of|ing)?",
            r"consider(?:ed)?",
            r"differential(?: diagnosis)?(?: includes?)?",
            r"versus|vs\.?",
            r"equivocal",
            r"indeterminate",
            r"uncertain",
            r"presum(?:ed|ably)",
            r"rule out|r/o",
            r"cannot be distinguished from",
            r"not definitely",
        ],
    ),
    (
        "uncertain",
        "post",
        [
            r"(?:is|are) (?:suspected|possible|questioned|likely|not certain)",
            r"(?:is|are) not excluded",
            r"(?:is|are) (?:another |a )?(?:consideration|possibility)",
        ],
    ),
    (
        "negative",
        "post",
        [
            r"(?:is|are|was|were|has been|have been)?\s*(?:not|no longer) (?:seen|identified|visualized|present|appreciated|demonstrated|evident|noted|detected|visible|apparent|shown|definitely seen)",
            r"(?:has|have) (?:resolved|cleared)",
            r"resolved",
            r"(?:is|are|has been|have been) removed",
            r"(?:is|are) absent",
            r"(?:has|have) been excluded",
            r"(?:appears?|is|are|remains?)?\s*within (?:the )?(?:normal limits|limits of normal)",
            r"(?:is|are|appears?|remains?) normal",
        ],
    ),
    (
        "negative",
        "pre",
        [
            r"no longer",
            r"no evidence (?:of|for)",
            r"no signs? of",
            r"\bno\b",
            r"\bnot\b",
            r"without",
            r"negative for",
            r"free of",
            r"clear of",
            r"absence of",
            r"absent",
            r"resolution of",
            r"resolved",
            r"removal of",
            r"neither|\bnor\b",
            r"rather than",
        ],
    ),
    # Scope terminations: a trigger governs nothing across these.
    (
        "termination",
        "none",
        [
            r"\bbut\b",
            r"however",
            r"although",
            r"though",
            r"except(?: for)?",
            r"aside from",
            r"apart from",
            r"other than",
            r"otherwise",
            r"there (?:is|are|has been|have been)",
            r"which",
            r"whereas",
            r"while",
            r"\byet\b",
            r"stable|unchanged|persistent|persists|again (?:seen|noted)",
        ],
    ),
    # A copula between a preceding negation and a mention starts a new clause ("no effusion and the heart
    # is enlarged"); after a mention it is part of a post-trigger phrase, so it limits pre-triggers only.
    ("copula", "none", [r"is|are|was|were"]),
]

SEVERITY_WORDS: dict[str, str] = {
    "minimal": "minimal",
    "minimally": "minimal",
    "trace": "minimal",
    "tiny": "minimal",
    "slight": "mild",
    "slightly": "mild",
    "mild": "mild",
    "mildly": "mild",
    "small": "small",
    "moderate": "moderate",
    "moderately": "moderate",
    "large": "large",
    "severe": "severe",
    "severely": "severe",
    "marked": "severe",
    "markedly": "severe",
    "extensive": "severe",
    "massive": "severe",
    "borderline": "borderline",
}

#: hedging phrases an impression should avoid (Hartung et al. 2020; Panicek & Hricak, AJR 2016)
HEDGING_PHRASES: list[str] = [
    r"can ?not (?:be )?(?:entirely |completely |totally |definitely )?(?:excluded|exclude|ruled? out)",
    r"can't (?:be )?(?:exclude|excluded|rule out|ruled out)",
    r"not (?:be )?(?:entirely |completely )?(?:excluded|ruled out)",
    r"clinical(?:ly)? correlat(?:e|ion)",
    r"correlate clinically",
    r"(?:could|may|might) (?:represent|reflect|be|indicate)",
    r"possibl[ey]",
    r"probabl[ey]",
    r"questionabl[ey]",
    r"suspicious for",
    r"suggestive of",
    r"cannot be distinguished",
    r"equivocal",
    r"indeterminate",
    r"likely",
    r"versus",
    r"differential (?:diagnosis )?includes?",
    r"if clinically indicated",
]
