"""Every run leaves a status record (started / success / error / cancelled) and says whether the tree
it ran from was edited."""

import json

import pytest

from rgro_bench import runner
from rgro_bench.environment import git_commit, git_dirty
from rgro_bench.runner import evaluate


def status_of(out):
    [path] = out.rglob("status.json")
    return json.loads(path.read_text())


def test_a_finished_run_says_success_and_records_the_tree(tmp_path):
    evaluation = evaluate("baseline:lead-2", "iu-xray", output_dir=tmp_path, limit=5, store=False)
    status = status_of(tmp_path)
    assert status["status"] == "success" and status["ended_at"] and status["error"] is None
    assert status["run_id"] == evaluation.result.run_id
    results = json.loads(next(tmp_path.rglob("results.json")).read_text())
    assert results["environment"]["git_commit"] == git_commit() == status["git_commit"]
    assert results["environment"]["git_dirty"] == git_dirty()  # a bool inside a checkout
    assert isinstance(results["environment"]["git_dirty"], bool)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [(RuntimeError("metric exploded\nsecond line"), "error"), (KeyboardInterrupt(), "cancelled")],
)
def test_a_failed_or_interrupted_run_says_so_and_writes_no_results(tmp_path, monkeypatch, raised, expected):
    def explode(*args, **kwargs):
        raise raised

    monkeypatch.setattr(runner, "score_predictions", explode)
    with pytest.raises(type(raised)):
        evaluate("baseline:lead-2", "iu-xray", output_dir=tmp_path, limit=5, store=False)
    status = status_of(tmp_path)
    assert status["status"] == expected and status["ended_at"]
    assert status["error"] == ("RuntimeError: metric exploded" if expected == "error" else None)
    assert not list(tmp_path.rglob("results.json"))  # nothing that looks like a finished run


def test_a_failed_rerun_does_not_leave_an_older_success_looking_current(tmp_path, monkeypatch):
    evaluate("baseline:lead-2", "iu-xray", output_dir=tmp_path, limit=5, store=False)
    monkeypatch.setattr(runner, "score_predictions", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        evaluate("baseline:lead-2", "iu-xray", output_dir=tmp_path, limit=5, store=False)
    assert status_of(tmp_path)["status"] == "error"
