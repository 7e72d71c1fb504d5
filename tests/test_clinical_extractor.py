"""The extractor against a hand-written table of sentences (tests/data/clinical_sentences.tsv)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rgro_bench.clinical import extract, split_sentences

TABLE = Path(__file__).parent / "data" / "clinical_sentences.tsv"


def _rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        sentence, expected, construction = line.split("\t")
        rows.append((sentence, expected, construction))
    return rows


def _expected(spec: str) -> dict[tuple[str, str], dict[str, str]]:
    out = {}
    for item in filter(None, (p.strip() for p in spec.split(";"))):
        observation, status, *attrs = item.split(":")
        pairs = dict(a.split("=") for a in attrs[0].split(",")) if attrs else {}
        out[(observation, status)] = pairs
    return out


ROWS = _rows()


def test_table_is_large_and_covers_every_construction():
    constructions = {c.split(":")[0] for _, _, c in ROWS}
    assert len(ROWS) >= 150
    for needed in (
        "list scope",
        "termination",
        "pseudo-negation",
        "uncertainty",
        "implied negative",
        "size",
        "laterality",
        "severity",
        "post-negation",
    ):
        assert needed in constructions


@pytest.mark.parametrize(("sentence", "expected", "construction"), ROWS, ids=[r[0][:40] for r in ROWS])
def test_sentence(sentence: str, expected: str, construction: str):
    want = _expected(expected)
    mentions = extract(sentence)
    got = {(m.observation, m.status) for m in mentions}
    assert got == set(want), f"{construction}: {[(m.observation, m.status, m.trigger) for m in mentions]}"
    for (observation, status), attrs in want.items():
        mention = next(m for m in mentions if (m.observation, m.status) == (observation, status))
        for key, value in attrs.items():
            actual = getattr(mention, key)
            assert (float(value) if key == "size_mm" else value) == actual, f"{observation}.{key}"


def test_mentions_point_into_their_sentence():
    text = "1. Small left effusion. 2. No pneumothorax."
    mentions = extract(text)
    assert [m.sentence_index for m in mentions] == [0, 1]
    for m in mentions:
        assert m.sentence == split_sentences(text)[m.sentence_index]
        assert m.sentence[m.start : m.end].lower() in ("effusion", "pneumothorax")
    assert mentions[1].trigger == "no"


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("1. No acute disease. 2. Stable cardiomegaly.", ["No acute disease.", "Stable cardiomegaly."]),
        ("1. Cardiomegaly 2. Small left effusion", ["Cardiomegaly", "Small left effusion"]),
        ("A 4.5 mm nodule. No effusion.", ["A 4.5 mm nodule.", "No effusion."]),
        ("Opacity, e.g. atelectasis. Clear otherwise.", ["Opacity, e.g. atelectasis.", "Clear otherwise."]),
        ("Lungs clear\nHeart normal", ["Lungs clear", "Heart normal"]),
        ("a\n \nb", ["a", "b"]),  # a blank line holding a space once raised IndexError
        ("No acute abnormality.. .", ["No acute abnormality.."]),
        ("", []),
    ],
)
def test_split_sentences(text: str, sentences: list[str]):
    assert split_sentences(text) == sentences
