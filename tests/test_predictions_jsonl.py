"""The one reader of the predictions JSONL format and its three users: intake, a stored entry, a model."""

import json

import pytest

from rgro_bench.errors import DataError
from rgro_bench.leaderboard.intake import check_predictions
from rgro_bench.models.predictions import PredictionsFile
from rgro_bench.predictions_jsonl import PredictionLineError, prediction_row, read_predictions


def write(path, *rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_a_row_is_exactly_id_and_prediction_unless_told_otherwise():
    assert prediction_row({"id": 7, "prediction": "Clear."}) == ("7", "Clear.")
    with pytest.raises(PredictionLineError, match=r"exactly the keys 'id' and 'prediction', got \['id', 'x'\]"):
        prediction_row({"id": "a", "x": "Clear."})
    with pytest.raises(PredictionLineError, match="exactly the keys"):
        prediction_row({"id": "a", "prediction": "Clear.", "reference": "Clear."})
    assert prediction_row({"id": "a", "impression": "Clear."}, alias="impression") == ("a", "Clear.")
    row = {"id": "a", "prediction": "P.", "impression": "I.", "reference": "R."}
    assert prediction_row(row, alias="impression", extra_keys=True) == ("a", "P.")
    with pytest.raises(PredictionLineError, match="'id' must be a string, got bool"):
        prediction_row({"id": True, "prediction": "Clear."})


def test_the_file_reader_names_the_file_and_line_of_the_first_problem(tmp_path):
    good = write(tmp_path / "good.jsonl", {"id": "a", "prediction": "Clear."}, {"id": 2, "prediction": "Effusion."})
    assert read_predictions(good) == {"a": "Clear.", "2": "Effusion."}
    twice = write(tmp_path / "twice.jsonl", {"id": "a", "prediction": "x"}, {"id": "a", "prediction": "y"})
    with pytest.raises(DataError, match=r"twice.jsonl: line 2: duplicate id 'a' \(first at line 1\)"):
        read_predictions(twice)
    number = write(tmp_path / "number.jsonl", {"id": "a", "prediction": 1})
    with pytest.raises(DataError, match=r"number.jsonl: line 1: 'prediction' for id 'a' must be a string, got int"):
        read_predictions(number)


def test_intake_the_store_and_the_model_read_a_shape_problem_alike(tmp_path):
    bad = {"id": "a", "text": "Clear."}
    expected = "expected an object with exactly the keys 'id' and 'prediction', got ['id', 'text']"
    _, problems = check_predictions("predictions/t", [("line 1", bad)], ["a"], "test")
    assert problems[0] == f"predictions/t: line 1: {expected}"
    path = write(tmp_path / "p.jsonl", bad)
    with pytest.raises(DataError, match=r"p.jsonl: line 1: expected an object with exactly the keys"):
        read_predictions(path)
    with pytest.raises(DataError, match=r"p.jsonl: line 1: expected an object with the keys 'id' and 'prediction'"):
        PredictionsFile(path)
    samples = write(tmp_path / "samples.jsonl", {"id": "a", "prediction": "Clear.", "reference": "Normal."})
    assert PredictionsFile(samples).predictions == {"a": "Clear."}  # a run's samples.jsonl reads as predictions
