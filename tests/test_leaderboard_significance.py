"""Significance groups: synthetic systems whose true difference is known get the right verdict."""

from __future__ import annotations

import numpy as np
import pytest

from rgro_bench.leaderboard.significance import holm, significance_groups


@pytest.fixture
def base() -> np.ndarray:
    return np.random.default_rng(1).uniform(0.2, 0.8, size=600)


def test_a_big_difference_separates_groups(base):
    noise = np.random.default_rng(2).normal(0, 0.05, size=base.size)
    verdicts = significance_groups({"strong": base + 0.10, "weak": base + noise}, resamples=2000)
    assert verdicts["strong"].group == 1 and verdicts["weak"].group == 2


def test_zero_difference_stays_in_one_group(base):
    shuffled = np.random.default_rng(3).permutation(base)  # same scores on different samples: mean equal
    verdicts = significance_groups({"a": base, "b": base.copy(), "c": shuffled}, resamples=2000)
    assert {v.group for v in verdicts.values()} == {1}
    assert verdicts["b"].p_holm == pytest.approx(1.0)


def test_lower_is_better_and_three_tiers(base):
    scores = {"best": base, "middle": base + 0.05, "worst": base + 0.30}
    verdicts = significance_groups(scores, higher_is_better=False, resamples=2000)
    assert [verdicts[k].group for k in ("best", "middle", "worst")] == [1, 2, 3]
    assert verdicts["worst"].leader == "worst" and verdicts["middle"].leader == "middle"


def test_a_tiny_difference_on_few_samples_is_not_significant():
    rng = np.random.default_rng(4)
    a = rng.uniform(0, 1, size=30)
    verdicts = significance_groups({"a": a + 0.01, "b": a + rng.normal(0, 0.2, size=30)}, resamples=2000)
    assert verdicts["b"].group == 1


def test_holm_adjusts_step_down():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5]) == [0.5]
