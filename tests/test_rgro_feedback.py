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
