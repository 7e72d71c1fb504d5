import json
from pathlib import Path

import pytest

from reference.rgro.feedback import FeedbackModel, Preference, Rating, read_feedback
from reference.rgro.rewards import EpisodeWeights, MetricScorer
from rgro_bench.errors import RgroError

EXAMPLE = Path(__file__).parents[1] / "reference" / "rgro" / "examples" / "feedback_example.jsonl"


def test_example_file_is_marked_and_parses():
    rows = read_feedback(EXAMPLE)
    assert {type(r) for r in rows} == {Rating, Preference}
    assert all(
        json.loads(line)["source"] == "written for tests, not clinical judgements"
        for line in EXAMPLE.read_text().splitlines()
    )


def test_fit_rewards_a_faithful_impression_over_a_hallucinated_one():
    scorer = MetricScorer()
    model = FeedbackModel.fit_file(EXAMPLE, scorer)
    findings = "There is a small left pleural effusion. No pneumothorax."
    good, bad = model.reward_function(scorer)(
        completions=["Small left pleural effusion.", "Right pneumothorax."],
        findings=[findings] * 2,
        reference=[None, None],
    )
    assert 0 <= bad < good <= 1
    weights = model.calibrated_weights(EpisodeWeights())
    metric = ("recall", "precision", "guideline")
    assert sum(getattr(weights, f) for f in metric) == pytest.approx(sum(getattr(EpisodeWeights(), f) for f in metric))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"findings": "x", "impression": "y", "rating": 9}', "rating"),
        ('{"impression": "y", "rating": 3}', "findings"),
        ('{"findings": "x", "impression": "y"}', "expected a 'rating'"),
        ("not json", "not JSON"),
    ],
)
def test_bad_rows_name_file_line_and_field(tmp_path, line, message):
    path = tmp_path / "fb.jsonl"
    path.write_text('{"findings": "a", "impression": "b", "rating": 5}\n' + line + "\n")
    with pytest.raises(RgroError, match=rf"fb.jsonl:2: .*{message}"):
        read_feedback(path)


def test_feedback_built_from_the_train_splits_mesh_indexing(tmp_path):
    from reference.rgro.mesh_feedback import NORMAL_TEMPLATE, main
    from rgro_bench.tasks import get_task

    out = tmp_path / "mesh.jsonl"
    assert main(["--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    task = get_task("iu-xray")
    train = {s.id for s in task.studies("train")}
    judged = {s.id for split in ("validation", "test") for s in task.studies(split)}
    ids = {r["source"].rsplit(" ", 1)[-1] for r in rows}
    assert len(rows) > 500 and ids <= train and not ids & judged  # the judges' labels are never read
    missed = [r for r in rows if r["rejected"] == NORMAL_TEMPLATE]
    assert 0 < len(missed) < len(rows)  # both kinds of pair: a missed finding and a hallucinated one
    # the experts prefer naming what the findings hold: the fitted model weights findings recall up
    model = FeedbackModel.fit_file(out, MetricScorer())
    assert dict(zip(model.features, model.coef, strict=True))["recall"] > 0
