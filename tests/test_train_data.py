"""Training datasets: the benchmark's prompt, and the abnormal-rebalanced RL prompt set."""

import pytest

from reference.data import balance_abnormal, has_positive_finding, rl_dataset, sft_dataset
from rgro_bench.errors import DataError
from rgro_bench.tasks import build_prompts, get_task


def test_sft_pairs_use_the_prompt_the_benchmark_evaluates_with():
    task = get_task("iu-xray")
    studies = [s for s in task.studies("train") if s.impression][:5]
    data = sft_dataset("iu-xray", limit=5)
    assert data["prompt"] == [p.text for p in build_prompts(task.spec.prompt, studies, [], seed=0)]
    assert data["completion"] == [" " + s.impression for s in studies]


def test_positive_finding_is_read_from_the_findings():
    assert has_positive_finding("Mild cardiomegaly. Lungs are clear.")
    assert not has_positive_finding("Heart size normal. No pneumothorax or pleural effusion.")


def test_balance_keeps_every_abnormal_study_and_hits_the_fraction():
    studies = [s for s in get_task("iu-xray").studies("train") if s.impression]
    abnormal = [s.id for s in studies if has_positive_finding(s.findings)]
    kept = balance_abnormal(studies, 0.5, seed=0)
    ids = [s.id for s in kept]
    assert set(abnormal) <= set(ids)
    assert len(ids) == 2 * len(abnormal)  # the split has more normal than abnormal studies
    order = {s.id: i for i, s in enumerate(studies)}
    assert ids == sorted(ids, key=order.__getitem__)  # split order kept
    assert [s.id for s in balance_abnormal(studies, 0.5, seed=0)] == ids  # seeded
    assert [s.id for s in balance_abnormal(studies, 0.5, seed=1)] != ids


def test_rl_dataset_carries_the_reward_columns_and_rebalances():
    data = rl_dataset("iu-xray", abnormal_fraction=0.5)
    assert set(data.column_names) == {"prompt", "findings", "reference"}
    share = sum(has_positive_finding(f) for f in data["findings"]) / len(data)
    assert share == pytest.approx(0.5)


@pytest.mark.parametrize("fraction", [0.0, 1.0, 1.5])
def test_balance_refuses_a_fraction_outside_the_open_interval(fraction):
    with pytest.raises(DataError, match="abnormal_fraction"):
        balance_abnormal(get_task("iu-xray").studies("train")[:10], fraction, seed=0)
