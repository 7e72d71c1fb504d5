"""Contamination: declared training data that overlaps a task's evaluated ids is counted and flagged."""

from __future__ import annotations

import json

from leaderboard_support import first_sentence_predictions

from rgro_bench.leaderboard import ModelCard, submit_predictions
from rgro_bench.leaderboard.contamination import contamination
from rgro_bench.tasks import get_task


def _card(*training) -> ModelCard:
    return ModelCard.model_validate({"name": "m", "authors": ["a"], "training_data": list(training)})


def test_iu_xray_training_data_contaminates_mediqa_by_the_shared_ids():
    mediqa, iu = get_task("mediqa2021-indiana"), get_task("iu-xray")
    expected = {s.id for s in mediqa.studies()} & {s.id for s in iu.studies("train")}
    found = contamination(_card("iu-xray:train"), mediqa, 2000)
    assert found.flagged and found.overlap == len(expected) > 1000
    assert found.sources == ["iu-xray:train"]
    # ids given explicitly: only those that are evaluated count
    some = [*sorted(expected)[:7], "not-an-id"]
    assert contamination(_card({"task": "iu-xray", "ids": some}), mediqa, 2000).overlap == 7


def test_disjoint_or_declared_clean_training_data_is_not_flagged():
    iu, mediqa = get_task("iu-xray"), get_task("mediqa2021-indiana")
    # the grouped split keeps train and test apart
    assert not contamination(_card("iu-xray:train", "iu-xray:validation"), iu, 666).flagged
    assert not contamination(
        _card({"task": "iu-xray", "split": "train", "exclude_overlap_with": [mediqa.id]}), mediqa, 2000
    ).flagged
    # an unrelated id space is never compared, even where ids coincide ("1", "2", ...)
    assert not contamination(_card({"task": "mimic-cxr-rrs", "ids": ["1", "2"]}), iu, 666).flagged


def test_training_on_the_evaluated_split_flags_every_id():
    found = contamination(_card("iu-xray:test"), get_task("iu-xray"), 666)
    assert found.overlap == 666 and found.sources == ["iu-xray:test"]


def test_flagged_rows_are_marked_in_every_rendering(tmp_path):
    predictions = first_sentence_predictions("mediqa2021-indiana")
    card = {"name": "trained-on-iu", "authors": ["a"], "training_data": ["iu-xray:train"]}
    submit_predictions(tmp_path, card, {"mediqa2021-indiana": predictions})
    expected = contamination(ModelCard.model_validate(card), get_task("mediqa2021-indiana"), 2000).overlap
    row = json.loads((tmp_path / "mediqa2021-indiana.json").read_text())["rows"][0]
    assert row["contamination"] == {"overlap": expected, "sources": ["iu-xray:train"]}
    assert "trained-on-iu † | 1 |" in (tmp_path / "mediqa2021-indiana.md").read_text()
    assert f"† contaminated: {expected} evaluated ids" in (tmp_path / "mediqa2021-indiana.csv").read_text()
    page = (tmp_path / "index.html").read_text()
    assert 'class="contaminated"' in page and f'title="{expected} evaluated ids in training data">†' in page
