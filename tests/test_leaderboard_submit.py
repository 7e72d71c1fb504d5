"""Submitting: a valid entry is ranked with recomputed numbers; tampered entries are refused or escaped."""

from __future__ import annotations

import csv
import json
import tarfile
import zipfile

import pytest
from leaderboard_support import constant_predictions, first_sentence_predictions, write_submission

from rgro_bench.cli import main
from rgro_bench.hashing import predictions_sha256
from rgro_bench.leaderboard import SubmissionError, submit_path, submit_predictions
from rgro_bench.leaderboard.intake import PREDICTION_MAX_CHARS
from rgro_bench.runner import evaluate
from rgro_bench.tasks import get_task

CARD = {
    "name": "first-sentence",
    "authors": ["A. Tester"],
    "url": "https://example.org/model",
    "parameters": "7B",
    "licence": "MIT",
    "base_model": "none",
    "training_data": [],
}


@pytest.fixture(scope="module")
def first_sentence() -> dict[str, str]:
    return first_sentence_predictions("iu-xray")


def test_baseline_from_the_runner_is_ranked_with_recomputed_numbers(tmp_path, first_sentence):
    evaluation = evaluate("baseline:constant", "iu-xray", output_dir=None)
    baseline = dict(zip(evaluation.samples["id"], evaluation.samples["prediction"], strict=True))
    submit_predictions(
        tmp_path, {"name": "baseline:constant", "authors": ["rgro-bench"]}, {"iu-xray": baseline}, build=False
    )
    entry = submit_predictions(tmp_path, CARD, {"iu-xray": first_sentence}).entry

    table = json.loads((tmp_path / "iu-xray.json").read_text())
    assert table["primary_metric"] == "bertscore_f1"
    ranked = [r for r in table["rows"] if r["rank"] is not None]
    models = [r["model"] for r in ranked]
    assert set(models) == {"baseline:constant", "first-sentence"}
    values = [r["metrics"]["bertscore_f1"]["value"] for r in ranked]
    assert values == sorted(values, reverse=True) and [r["rank"] for r in ranked] == [1, 2]
    assert [r["model"] for r in table["rows"] if r["rank"] is None] == ["reference impressions"]
    # the leaderboard's number is the runner's number: both recompute from the same predictions
    constant_row = ranked[models.index("baseline:constant")]
    for column in ("rougeL", "bertscore_f1", "label_micro_f1"):
        expected = evaluation.result.metrics[column].value
        assert constant_row["metrics"][column]["value"] == pytest.approx(expected), column
    stored = json.loads((tmp_path / "submissions" / "first-sentence" / "entry.json").read_text())
    task_entry = stored["tasks"]["iu-xray"]
    assert task_entry["predictions_sha256"] == predictions_sha256(first_sentence)
    assert task_entry["data_hash"] == get_task("iu-xray").data_hash
    assert set(task_entry["metric_versions"]) == set(get_task("iu-xray").spec.metrics)
    assert (tmp_path / "cache" / "iu-xray" / "first-sentence.parquet").is_file()
    for name in ("iu-xray.csv", "iu-xray.md", "index.html", "plots/iu-xray.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert entry.tasks["iu-xray"].n == len(first_sentence)


def test_a_runners_scored_run_is_reused_only_when_it_is_what_the_leaderboard_would_compute(
    tmp_path, first_sentence, monkeypatch
):
    from rgro_bench.leaderboard import recompute

    evaluation = evaluate("baseline:lead-2", "iu-xray", output_dir=None)
    predictions = dict(zip(evaluation.samples["id"], evaluation.samples["prediction"], strict=True))
    calls = []
    real = recompute.score_predictions
    monkeypatch.setattr(recompute, "score_predictions", lambda *a, **k: calls.append(1) or real(*a, **k))

    entry = submit_predictions(
        tmp_path, CARD, {"iu-xray": predictions}, build=False, scored={"iu-xray": evaluation.scored}
    ).entry
    assert calls == []  # verified and reused: scored once, by the runner
    assert entry.tasks["iu-xray"].metrics == evaluation.result.metrics

    # a prior that does not match what is submitted (other predictions, another bootstrap seed) is rescored
    edited = {**predictions, next(iter(predictions)): "Edited impression."}
    submit_predictions(
        tmp_path, CARD, {"iu-xray": edited}, build=False, replace=True, scored={"iu-xray": evaluation.scored}
    )
    assert calls == [1]
    reseeded = evaluate("baseline:lead-2", "iu-xray", output_dir=None, seed=3)
    again = submit_predictions(
        tmp_path, CARD, {"iu-xray": predictions}, build=False, replace=True, scored={"iu-xray": reseeded.scored}
    ).entry
    assert calls == [1, 1]
    assert again.tasks["iu-xray"].metrics == entry.tasks["iu-xray"].metrics


def test_edited_scores_are_dropped_and_recomputed(tmp_path, first_sentence, capsys):
    card = {**CARD, "scores": {"iu-xray": {"rougeL": 0.99}}}
    folder = write_submission(tmp_path / "sub", card, {"iu-xray": first_sentence})
    (folder / "scores").mkdir()
    (folder / "scores" / "iu-xray.json").write_text(json.dumps({"rougeL": {"value": 0.99}}))

    assert main(["submit", str(folder), "--leaderboard-dir", str(tmp_path / "lb")]) == 0
    err = capsys.readouterr().err
    assert "'scores' dropped" in err and "scores/iu-xray.json: ignored" in err
    entry = json.loads((tmp_path / "lb" / "submissions" / "first-sentence" / "entry.json").read_text())
    value = entry["tasks"]["iu-xray"]["metrics"]["rougeL"]["value"]
    assert value < 0.5  # the recomputed number, not the claimed 0.99
    assert "scores" not in (tmp_path / "lb" / "submissions" / "first-sentence" / "model_card.yaml").read_text()


def _lines(predictions: dict[str, str]) -> list[str]:
    return [json.dumps({"id": i, "prediction": p}) for i, p in predictions.items()]


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        ("missing", "1 of the 666 ids of the 'test' split have no prediction"),
        ("duplicate", "line 667: duplicate id"),
        ("foreign", "line 667: id 'not-a-study' is not in the task's 'test' split"),
        ("huge", "line 1: 1,000,0"),
        ("empty", "line 1: 'prediction' for id"),
        ("long", f"expected at most {PREDICTION_MAX_CHARS:,}"),
        ("badjson", "line 1: invalid JSON"),
    ],
)
def test_tampered_predictions_are_refused_with_one_line_each(tmp_path, first_sentence, capsys, tamper, expected):
    lines = _lines(first_sentence)
    first_id = next(iter(first_sentence))
    if tamper == "missing":
        lines = lines[1:]
    elif tamper == "duplicate":
        lines.append(lines[0])
    elif tamper == "foreign":
        lines.append(json.dumps({"id": "not-a-study", "prediction": "Normal."}))
    elif tamper == "huge":
        lines[0] = json.dumps({"id": first_id, "prediction": "x" * 1_000_000})
    elif tamper == "empty":
        lines[0] = json.dumps({"id": first_id, "prediction": "  "})
    elif tamper == "long":
        lines[0] = json.dumps({"id": first_id, "prediction": "y" * (PREDICTION_MAX_CHARS + 1)})
    elif tamper == "badjson":
        lines[0] = lines[0][:-1]
    folder = write_submission(tmp_path / "sub", CARD, lines={"iu-xray": lines})

    assert main(["submit", str(folder), "--leaderboard-dir", str(tmp_path / "lb")]) == 2
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("error: predictions/iu-xray.jsonl: ") for line in err_lines), err_lines
    assert any(expected in line for line in err_lines), err_lines
    assert not (tmp_path / "lb" / "submissions").exists()


def test_every_problem_is_listed(tmp_path, first_sentence):
    lines = [*_lines(first_sentence)[2:], _lines(first_sentence)[2], json.dumps({"id": "zz", "prediction": "x"})]
    card = {**CARD, "name": "bad\nname", "url": "javascript:alert(1)", "authors": []}
    folder = write_submission(tmp_path / "sub", card, lines={"iu-xray": lines})
    with pytest.raises(SubmissionError) as caught:
        submit_path(tmp_path / "lb", folder)
    errors = caught.value.errors
    assert any("field 'name'" in e and "control" in e for e in errors)
    assert any("field 'url'" in e and "http" in e for e in errors)
    assert any("field 'authors'" in e for e in errors)
    assert any("duplicate id" in e for e in errors)
    assert any("'zz' is not in" in e for e in errors)
    assert any("2 of the 666 ids" in e for e in errors)


def test_html_and_js_in_a_name_are_escaped_everywhere(tmp_path, first_sentence):
    evil = "<script>alert(1)</script> | *x*"
    submit_predictions(tmp_path, {**CARD, "name": evil}, {"iu-xray": first_sentence})
    page = (tmp_path / "index.html").read_text()
    markdown = (tmp_path / "iu-xray.md").read_text()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    row = next(line for line in markdown.splitlines() if "alert" in line)
    assert row.count(" | ") == markdown.splitlines()[4].count(" | ")  # the pipe in the name is no column
    with (tmp_path / "iu-xray.csv").open(newline="") as handle:
        assert [row["model"] for row in csv.DictReader(handle) if row["rank"]] == [evil]


def test_same_name_needs_replace(tmp_path, first_sentence):
    submit_predictions(tmp_path, CARD, {"iu-xray": first_sentence}, build=False)
    with pytest.raises(SubmissionError, match="already exists"):
        submit_predictions(tmp_path, CARD, {"iu-xray": first_sentence}, build=False)
    constant = constant_predictions("iu-xray")
    entry = submit_predictions(tmp_path, CARD, {"iu-xray": constant}, replace=True, build=False).entry
    assert entry.tasks["iu-xray"].predictions_sha256 == predictions_sha256(constant)
    assert [p.name for p in (tmp_path / "submissions").iterdir()] == ["first-sentence"]


def test_archives_are_accepted_and_escaping_members_refused(tmp_path, first_sentence):
    folder = write_submission(tmp_path / "sub", CARD, {"iu-xray": first_sentence})
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.rglob("*"):
            zf.write(path, "my-model/" + str(path.relative_to(folder)))
    entry = submit_path(tmp_path / "lb", archive).entry
    assert entry.slug == "first-sentence"

    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tf:
        tf.add(folder / "model_card.yaml", arcname="../model_card.yaml")
    with pytest.raises(SubmissionError, match=r"evil\.tar\.gz"):
        submit_path(tmp_path / "lb2", evil)


def test_unknown_task_file_gets_did_you_mean(tmp_path, first_sentence):
    folder = write_submission(tmp_path / "sub", CARD, {"iu-xry": {"1": "x"}})
    with pytest.raises(
        SubmissionError, match=r"predictions/iu-xry.jsonl: unknown task 'iu-xry'.*Did you mean 'iu-xray'"
    ):
        submit_path(tmp_path / "lb", folder)


def test_submit_reports_from_the_tables_it_built_not_from_the_files(tmp_path, first_sentence, capsys, monkeypatch):
    from rgro_bench.leaderboard import build

    monkeypatch.setattr(build, "write_task_files", lambda layout, table: None)  # no <task>.json to read back
    folder = write_submission(tmp_path / "sub", CARD, {"iu-xray": first_sentence})
    assert main(["submit", str(folder), "--leaderboard-dir", str(tmp_path / "lb")]) == 0
    assert not (tmp_path / "lb" / "iu-xray.json").exists()
    out = capsys.readouterr().out
    assert "  iu-xray: rank 1 of 1, bertscore_f1 0." in out and "group 1" in out


def test_intake_checks_once_and_what_follows_trusts_its_checked_predictions(tmp_path, first_sentence, monkeypatch):
    from rgro_bench.leaderboard import intake
    from rgro_bench.leaderboard.intake import CheckedPredictions, read_submission

    folder = write_submission(tmp_path / "sub", CARD, {"iu-xray": first_sentence})
    read = read_submission(folder)
    accepted = read.predictions["iu-xray"]
    assert isinstance(accepted, CheckedPredictions) and accepted == first_sentence
    with pytest.raises(TypeError):
        accepted.texts["x"] = "changed"  # frozen: what was checked is what is scored
    checks = []
    original = intake.check_predictions
    monkeypatch.setattr(intake, "check_predictions", lambda *a: checks.append(a[0]) or original(*a))
    submitted = submit_predictions(tmp_path / "lb", read.card, read.predictions, build=False)
    assert checks == [] and submitted.report is None and submitted.placements() == []
    # a plain mapping, or predictions checked against other data, are checked
    stale = CheckedPredictions("iu-xray", "0" * 64, accepted.split, accepted.texts)
    submit_predictions(tmp_path / "lb2", CARD, {"iu-xray": stale}, build=False, scored=None)
    assert checks == ["predictions/iu-xray"]
