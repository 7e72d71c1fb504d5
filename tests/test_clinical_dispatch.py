"""The extractor's phrase dispatch must find exactly what one plain alternation finds, and its caches
(sentences, texts, observation states) must not change any answer."""

from __future__ import annotations

import random
import re

import pytest

from rgro_bench.clinical import consistency, extract, guideline_report
from rgro_bench.clinical.consistency import observation_states, text_states
from rgro_bench.clinical.dispatch import PhraseScanner, _ascii_superset, _preceding_class, leading
from rgro_bench.clinical.extractor import clear_cache, found_mentions
from rgro_bench.clinical.lexicon import OBSERVATION_GROUPS, TRIGGER_GROUPS


def _plain(prefix: str, groups: list[tuple[str, list[str]]], suffix: str, extra: str = "") -> re.Pattern[str]:
    body = "|".join(f"(?P<{name}>{'|'.join(patterns)})" for name, patterns in groups)
    return re.compile(f"{prefix}(?:{body}){suffix}{extra}")


def _texts(n: int) -> list[str]:
    """Random word salads from the lexicon's own words plus glue, so that phrases start, overlap and break."""
    words = sorted(
        {w for _, _, _, ps in OBSERVATION_GROUPS for p in ps for w in re.findall(r"[a-z]{2,}", p)}
        | {w for _, _, ps in TRIGGER_GROUPS for p in ps for w in re.findall(r"[a-z]{2,}", p)}
    )
    glue = [" ", " ", " ", ", ", "; ", ": ", ". ", "-", "  ", "\t", " 4 mm ", " can't ", " r/o "]
    rng = random.Random(0)
    return ["".join(rng.choice(words) + rng.choice(glue) for _ in range(rng.randint(1, 25))) for _ in range(n)]


def test_observation_dispatch_matches_plain_alternation():
    groups = [(name, patterns) for name, _, _, patterns in OBSERVATION_GROUPS]
    scanner, plain = PhraseScanner(r"\b", groups, r"\b"), _plain(r"\b", groups, r"\b")
    hit = set()
    for text in _texts(1500):
        expected = [(m.start(), m.end(), m.group(), m.lastgroup) for m in plain.finditer(text)]
        assert list(scanner.finditer(text)) == expected, text
        hit |= {name for *_, name in expected}
    assert len(hit) >= 15  # the salads do exercise most groups


def test_trigger_dispatch_matches_plain_alternation():
    groups = [(f"t{i}", patterns) for i, (_, _, patterns) in enumerate(TRIGGER_GROUPS)]
    scanner = PhraseScanner(r"(?<![\w-])", groups, r"(?![\w-])", extra=[("punct", [r"[;:]"])])
    plain = _plain(r"(?<![\w-])", groups, r"(?![\w-])", r"|(?P<punct>[;:])")
    hit = set()
    for text in _texts(1500):
        expected = [(m.start(), m.end(), m.group(), m.lastgroup) for m in plain.finditer(text)]
        assert list(scanner.finditer(text)) == expected, text
        hit |= {name for *_, name in expected}
    assert len(hit) >= 8


@pytest.mark.parametrize("prefix", [r"\b", r"(?<![\w-])"])
def test_dispatch_on_non_ascii_text_matches_plain_alternation(prefix: str):
    """The candidates exclude only ASCII word characters before a phrase ([^0-9A-Za-z_] for \\W); a letter
    such as é or ß before a phrase still blocks it, as \\w keeps its Unicode meaning in the phrase's check."""
    groups = [(name, patterns) for name, _, _, patterns in OBSERVATION_GROUPS]
    scanner, plain = PhraseScanner(prefix, groups, r"\b"), _plain(prefix, groups, r"\b")
    rng = random.Random(1)
    for text in _texts(400):
        text = "".join(c if c != " " or rng.random() < 0.7 else rng.choice("éß\u00a0\u2003٣İ") for c in text)
        expected = [(m.start(), m.end(), m.group(), m.lastgroup) for m in plain.finditer(text)]
        assert list(scanner.finditer(text)) == expected, text
    assert [m[2] for m in scanner.finditer("éeffusion ßnodule\u00a0effusion")] == ["effusion"]


def test_candidate_class_excludes_only_ascii_word_characters():
    assert _ascii_superset(r"\W") == "[^0-9A-Za-z_]"
    assert _ascii_superset(r"[^\w-]") == "[^0-9A-Za-z_-]"
    assert _ascii_superset(r"[^\w\d]") == r"[^\w\d]"  # another escape: kept as it is


def test_leading_characters():
    assert leading(r"(?:(?:both|the)\s+)?lungs?") == {"bo", "th", "lu"}
    assert leading(r"\bno\b") == {"no"}
    assert leading(r"[;:]") == {";", ":"}  # shorter than the key: the whole match
    assert " n" in leading(r"(?:is|are)?\s*not")  # optional words, then whitespace: a match may start at a space
    for unbounded in (r"[\w/-]+ effusion", r".*effusion", r"(?:effusion)?"):
        with pytest.raises(ValueError, match="may start with any character or match nothing"):
            leading(unbounded)


def test_sentence_cache_renumbers_sentences():
    clear_cache()
    alone = extract("No pneumothorax.")
    second = extract("Heart size is normal. No pneumothorax.")
    assert [m.sentence_index for m in alone] == [0]
    assert [(m.observation, m.sentence_index) for m in second if m.observation == "pneumothorax"] == [
        ("pneumothorax", 1)
    ]


def test_clear_cache_clears_derived_states():
    consistency("Small left pleural effusion.", "Left effusion.")
    assert text_states.cache_info().currsize > 0
    clear_cache()
    assert text_states.cache_info().currsize == 0


def test_dispatch_without_a_preceding_class_matches_plain_alternation():
    """A prefix that is not one excluded character class keeps zero-width candidates (the general path)."""
    groups = [(name, patterns) for name, _, _, patterns in OBSERVATION_GROUPS]
    scanner, plain = PhraseScanner(r"(?<!\S)", groups, r"\b"), _plain(r"(?<!\S)", groups, r"\b")
    assert _preceding_class(r"(?<!\S)", {"ab"}) is None
    for text in _texts(500):
        expected = [(m.start(), m.end(), m.group(), m.lastgroup) for m in plain.finditer(text)]
        assert list(scanner.finditer(text)) == expected, text


def test_preceding_class():
    assert _preceding_class(r"\b", {"no", "pleural"}) == r"\W"
    assert _preceding_class(r"\b", {" n", "no"}) is None  # \b before a space asks for a word character
    assert _preceding_class(r"(?<![\w-])", {"no"}) == r"[^\w-]"
    assert _preceding_class(r"(?<![\s,])", {"no"}) is None  # the text's start is stood for by a space
    assert _preceding_class(r"(?<=x)", {"no"}) is None


def test_clear_cache_empties_every_clinical_cache():
    """Cold benchmarks rely on it: every functools cache in rgro_bench.clinical is emptied."""
    import importlib
    import pkgutil

    import rgro_bench.clinical as package

    modules = [importlib.import_module(f"{package.__name__}.{m.name}") for m in pkgutil.iter_modules(package.__path__)]
    caches = {
        f"{module.__name__}.{name}": value
        for module in modules
        for name, value in vars(module).items()
        if callable(getattr(value, "cache_info", None)) and getattr(value, "__module__", None) == module.__name__
    }
    assert len(caches) >= 7
    findings, impression = "Small left pleural effusion. 4 mm nodule.", "1. Small effusion. 2. Nodule, e.g. granuloma."
    consistency(findings, impression)
    guideline_report(findings, impression)
    clear_cache()
    assert {name: cache.cache_info().currsize for name, cache in caches.items()} == dict.fromkeys(caches, 0)


def test_states_read_from_found_mentions_equal_those_of_mentions():
    for text in [*_texts(300), "Small left effusion. No right effusion; right basilar opacity may be atelectasis."]:
        assert text_states(text) == observation_states(extract(text)), text
        assert [(m.sentence_index, m.sentence) for m in extract(text)] == [(i, s) for i, s, _ in found_mentions(text)]
