"""Building: everything regenerates from the stored sources; stale caches are recomputed; published
reference rows and credentialed self-computed rows are marked; concurrent submissions both land."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from leaderboard_support import constant_predictions, first_sentence_predictions, write_submission

from rgro_bench.cli import main
from rgro_bench.leaderboard import (
    SubmissionError,
    build_leaderboard,
    score_credentialed,
    submit_path,
    submit_predictions,
)
from rgro_bench.leaderboard.contamination import split_ids
from rgro_bench.metrics.lexical import Rouge
from rgro_bench.tasks import registry

REPO = Path(__file__).resolve().parents[1]


def test_build_regenerates_everything_from_the_sources(tmp_path):
    submit_predictions(
        tmp_path, {"name": "first", "authors": ["a"]}, {"iu-xray": first_sentence_predictions("iu-xray")}, build=False
    )
    submit_predictions(tmp_path, {"name": "constant", "authors": ["a"]}, {"iu-xray": constant_predictions("iu-xray")})
    before = json.loads((tmp_path / "iu-xray.json").read_text())
    for name in ("iu-xray.json", "iu-xray.csv", "iu-xray.md", "index.html"):
        (tmp_path / name).unlink()
    shutil.rmtree(tmp_path / "cache")
    shutil.rmtree(tmp_path / "plots")

    assert main(["leaderboard", "build", "--leaderboard-dir", str(tmp_path)]) == 0
    after = json.loads((tmp_path / "iu-xray.json").read_text())
    assert [(r["model"], r["rank"], r["group"]) for r in after["rows"]] == [
        (r["model"], r["rank"], r["group"]) for r in before["rows"]
    ]
    assert [r["metrics"]["rougeL"]["value"] for r in after["rows"]] == pytest.approx(
        [r["metrics"]["rougeL"]["value"] for r in before["rows"]]
    )
    assert (tmp_path / "cache" / "iu-xray" / "first.parquet").is_file()
    assert (tmp_path / "plots" / "iu-xray.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_new_metric_version_recomputes_the_cache(tmp_path, monkeypatch):
    submit_predictions(
        tmp_path, {"name": "first", "authors": ["a"]}, {"iu-xray": first_sentence_predictions("iu-xray")}, build=False
    )
    cache = tmp_path / "cache" / "iu-xray" / "first.parquet"
    stamp = cache.stat().st_mtime_ns
    monkeypatch.setattr(Rouge, "version", "99")
    build_leaderboard(tmp_path)
    entry = json.loads((tmp_path / "submissions" / "first" / "entry.json").read_text())
    assert entry["tasks"]["iu-xray"]["metric_versions"]["rouge"] == "99"
    assert entry["tasks"]["iu-xray"]["metrics"]["rougeL"]["version"] == "99"
    assert cache.stat().st_mtime_ns != stamp


def test_reported_rows_are_marked_and_not_ranked(tmp_path):
    submit_predictions(
        tmp_path, {"name": "first", "authors": ["a"]}, {"iu-xray": first_sentence_predictions("iu-xray")}, build=False
    )
    shutil.copy(REPO / "leaderboards" / "reported.yaml", tmp_path / "reported.yaml")
    build_leaderboard(tmp_path)
    rows = json.loads((tmp_path / "iu-xray.json").read_text())["rows"]
    reported = [r for r in rows if r["source"] == "reported, not reproduced"]
    assert reported and reported[0]["rank"] is None and reported[0]["group"] is None
    assert reported[0]["metrics"]["rougeL"]["value"] == pytest.approx(0.682)
    assert "different subset" in reported[0]["note"]
    assert rows[-1] == reported[-1]  # after the ranked rows
    assert 'class="reported"' in (tmp_path / "index.html").read_text()


@pytest.fixture
def credentialed_task(tmp_path, monkeypatch):
    """A stand-in for mimic-*: a RadSum23-layout folder and a task marked credentialed."""
    data = tmp_path / "radsum"
    data.mkdir()
    findings = [f"Finding number {i}. Lungs are clear." for i in range(12)]
    for stem, rows in (("train", findings[:6]), ("validate", findings[6:8]), ("test", findings[8:])):
        (data / f"{stem}.findings.tok").write_text("\n".join(rows) + "\n")
        (data / f"{stem}.impression.tok").write_text("\n".join("No acute process." for _ in rows) + "\n")
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    spec = {
        "id": "fake-mimic",
        "version": "1",
        "description": "credentialed stand-in",
        "data": {"format": "radsum", "path": str(data), "credentialed": True},
        "split": {"method": "files", "eval_split": "test"},
        "prompt": {"template": "{{ findings }}"},
        "metrics": ["rouge", "length"],
        "primary_metric": "rougeL",
    }
    (tasks / "fake-mimic.yaml").write_text(yaml.safe_dump(spec))
    monkeypatch.setenv("RGRO_BENCH_TASKS", str(tasks))
    for cached in (registry._catalogue, registry._load_task, split_ids):
        cached.cache_clear()
    yield "fake-mimic"
    monkeypatch.delenv("RGRO_BENCH_TASKS")
    for cached in (registry._catalogue, registry._load_task, split_ids):
        cached.cache_clear()


def test_credentialed_scores_are_accepted_and_predictions_refused(tmp_path, credentialed_task, capsys):
    predictions = {f"test-{i}": "No acute process." for i in range(1, 5)}
    lines = "\n".join(json.dumps({"id": i, "prediction": p}) for i, p in predictions.items()) + "\n"
    (tmp_path / "preds.jsonl").write_text(lines)
    scores_path = tmp_path / "local" / "scores.json"
    assert (
        main(
            [
                "leaderboard",
                "score-local",
                "--task",
                credentialed_task,
                "--predictions",
                str(tmp_path / "preds.jsonl"),
                "--output",
                str(scores_path),
            ]
        )
        == 0
    )
    scores = json.loads(scores_path.read_text())
    assert scores["metrics"]["rougeL"]["value"] == pytest.approx(1.0)

    card = {"name": "local-model", "authors": ["a"]}
    folder = write_submission(tmp_path / "sub", card, lines={credentialed_task: lines.splitlines()})
    with pytest.raises(SubmissionError, match="must not be submitted"):
        submit_path(tmp_path / "lb", folder)

    (folder / "predictions" / f"{credentialed_task}.jsonl").unlink()
    (folder / "scores").mkdir()
    shutil.copy(scores_path, folder / "scores" / f"{credentialed_task}.json")
    entry = submit_path(tmp_path / "lb", folder).entry
    assert entry.tasks[credentialed_task].source == "self-computed (credentialed data)"
    assert not list((tmp_path / "lb").rglob(f"predictions/{credentialed_task}.jsonl"))
    assert not (tmp_path / "lb" / "cache" / credentialed_task).exists()
    row = json.loads((tmp_path / "lb" / f"{credentialed_task}.json").read_text())["rows"][0]
    assert row["source"] == "self-computed (credentialed data)" and row["group"] is None
    assert "self-computed (credentialed data)" in (tmp_path / "lb" / f"{credentialed_task}.md").read_text()

    tampered = json.loads(scores_path.read_text()) | {"predictions_sha256": "not-a-hash"}
    (folder / "scores" / f"{credentialed_task}.json").write_text(json.dumps(tampered))
    with pytest.raises(SubmissionError, match="predictions_sha256"):
        submit_path(tmp_path / "lb", folder, replace=True)
    assert score_credentialed(credentialed_task, predictions).predictions_sha256 == scores["predictions_sha256"]


def test_two_concurrent_submits_both_land(tmp_path):
    folders = []
    for name, predictions in (
        ("alpha", first_sentence_predictions("iu-xray")),
        ("beta", constant_predictions("iu-xray")),
    ):
        folders.append(write_submission(tmp_path / name, {"name": name, "authors": ["a"]}, {"iu-xray": predictions}))
    board = tmp_path / "lb"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "rgro_bench.cli", "submit", str(f), "--leaderboard-dir", str(board)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        for f in folders
    ]
    outputs = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    rows = json.loads((board / "iu-xray.json").read_text())["rows"]
    assert sorted(r["model"] for r in rows if r["rank"] is not None) == ["alpha", "beta"]
    ceiling = [r for r in rows if r["model"] == "reference impressions"]
    assert len(ceiling) == 1 and ceiling[0]["rank"] is None  # computed, never ranked
    assert ceiling[0]["metrics"]["rougeL"]["value"] == 1.0  # the reference against itself
    assert sorted(p.name for p in (board / "submissions").iterdir()) == ["alpha", "beta"]
    assert not list(board.rglob("*.tmp"))
