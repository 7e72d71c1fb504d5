import json

from rgro_bench.cli import main
from rgro_bench.results import RunResult, SampleRecord
from rgro_bench.tasks import get_task


def test_run_writes_schema_valid_results_and_one_jsonl_line_per_test_pair(tmp_path, capsys):
    code = main(["run", "--model", "baseline:constant", "--task", "iu-xray", "--output-dir", str(tmp_path)])
    assert code == 0
    folder = tmp_path / "iu-xray" / "baseline_constant"
    result = RunResult.model_validate_json((folder / "results.json").read_text())
    test_ids = [s.id for s in get_task("iu-xray").studies("test")]
    assert result.task.n_samples == len(test_ids) == 666
    assert result.task.data_hash == get_task("iu-xray").data_hash
    rouge = result.metrics["rougeL"]
    assert rouge.ci_low <= rouge.value <= rouge.ci_high
    lines = (folder / "samples.jsonl").read_text().splitlines()
    records = [SampleRecord.model_validate(json.loads(line)) for line in lines]
    assert [r.id for r in records] == test_ids
    assert {r.prediction for r in records} == {"No acute cardiopulmonary abnormality."}
    assert "rougeL" in capsys.readouterr().out


def test_evaluate_in_python_returns_results_and_per_sample_frame(tmp_path):
    import rgro_bench

    evaluation = rgro_bench.evaluate("baseline:lead-1", "iu-xray", output_dir=None, limit=20)
    assert len(evaluation.samples) == 20
    assert {"id", "prediction", "reference", "rougeL", "bleu"} <= set(evaluation.samples.columns)
    assert abs(evaluation.samples["rougeL"].mean() - evaluation.result.metrics["rougeL"].value) < 1e-12


def test_same_seed_gives_identical_results(tmp_path):
    import rgro_bench

    a = rgro_bench.evaluate("baseline:tfidf-nn", "iu-xray", output_dir=None, seed=3)
    b = rgro_bench.evaluate("baseline:tfidf-nn", "iu-xray", output_dir=None, seed=3)
    assert a.result.metrics == b.result.metrics


def test_score_a_predictions_file_without_a_model(tmp_path, capsys):
    studies = get_task("iu-xray").studies("test")
    predictions = tmp_path / "preds.jsonl"
    predictions.write_text("".join(json.dumps({"id": s.id, "prediction": s.impression}) + "\n" for s in studies))
    code = main(["score", "--task", "iu-xray", "--predictions", str(predictions), "--output-dir", str(tmp_path / "o")])
    assert code == 0
    (results,) = (tmp_path / "o" / "iu-xray").glob("predictions_preds-*/results.json")
    result = RunResult.model_validate_json(results.read_text())
    assert result.metrics["rougeL"].value == 1.0 and result.task.n_samples == 666


def test_score_refuses_missing_and_foreign_ids(tmp_path, capsys):
    studies = get_task("iu-xray").studies("test")
    predictions = tmp_path / "preds.jsonl"
    predictions.write_text("".join(json.dumps({"id": s.id, "prediction": "x"}) + "\n" for s in studies[1:]))
    assert main(["score", "--task", "iu-xray", "--predictions", str(predictions)]) == 2
    assert "no prediction for 1 of 666 ids" in capsys.readouterr().err
    assert (
        main(
            [
                "score",
                "--task",
                "iu-xray",
                "--predictions",
                str(predictions),
                "--allow-partial",
                "--output-dir",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    predictions.write_text(json.dumps({"id": "not-an-id", "prediction": "x"}) + "\n")
    assert main(["score", "--task", "iu-xray", "--predictions", str(predictions)]) == 2
    assert "not in the evaluated split" in capsys.readouterr().err
