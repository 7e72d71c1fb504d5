"""Throughput accounting (reference/throughput.py): peaks by GPU name, the phase clock, the summary and
the phase plot, without training anything."""

from __future__ import annotations

import json
import math

import pytest

from reference.throughput import StepClock, mfu, peak_for, resolve_peak, summarise, summary_line


@pytest.mark.parametrize(
    ("name", "peak"),
    [
        ("NVIDIA H100 80GB HBM3", 989e12),
        ("NVIDIA H100 PCIe", 756e12),
        ("NVIDIA H200", 989e12),
        ("NVIDIA GH200 480GB", 989e12),
        ("NVIDIA A100-SXM4-80GB", 312e12),
        ("NVIDIA L40S", 362e12),
        ("NVIDIA L4", 121e12),
    ],
)
def test_peak_of_common_gpus_by_name(name, peak):
    assert peak_for(name)[0] == peak


def test_unknown_device_has_no_peak_and_the_recipe_field_wins():
    assert peak_for("cpu")[0] is None and "set peak_flops" in peak_for("cpu")[1]
    assert resolve_peak(5e14, "NVIDIA H100 80GB HBM3") == (5e14, "recipe field peak_flops")
    assert math.isnan(mfu(10, 10, 1.0, None))


def test_clock_splits_a_step_into_phases_and_counts_generated_tokens():
    clock = StepClock()
    clock.add("rollout", 2.0)
    clock.add("weight_sync", 0.5, nested=True)  # inside the rollout: reported, not subtracted
    clock.add("reward", 1.0)
    clock.tokens, clock.generated = 1000, 400
    clock.started -= 5.0  # the step took 5 s
    row = clock.read(n_params=1_000_000, peak_flops=1e12)
    assert row["time/update_s"] == pytest.approx(2.0, abs=0.05) and row["time/weight_sync_s"] == 0.5
    assert row["throughput/generated_tokens_per_s"] == 200.0
    assert row["throughput/mfu"] == pytest.approx(6e9 / (5.0 * 1e12), rel=0.02)
    assert "throughput/mfu" not in StepClock().read(1, None)  # no peak, no MFU


def test_summary_skips_the_first_step_and_weights_rates_by_time(tmp_path):
    from reference.throughput import plot_phases, throughput_rows

    def row(step, rollout, reward, update, generated, mfu_value=None):
        total = rollout + reward + update
        r = {"step": step, "time/rollout_s": rollout, "time/reward_s": reward, "time/update_s": update}
        r |= {"time/step_s": total, "throughput/tokens": 2 * generated, "throughput/generated_tokens": generated}
        return r | ({"throughput/mfu": mfu_value} if mfu_value is not None else {})

    rows = [row(1, 50, 1, 50, 100), row(2, 1, 1, 2, 100, 0.1), row(3, 3, 1, 4, 100, 0.2), {"step": 3, "loss": 1}]
    assert len(throughput_rows(rows)) == 3
    s = summarise(rows, trainer="RgroTrainer", device="cpu")
    assert s["steps_averaged"] == 2 and s["step_s"] == 6.0 and s["rollout_share"] == pytest.approx(2 / 6)
    assert s["generated_tokens_per_s"] == pytest.approx(200 / 4) and s["tokens_per_s"] == pytest.approx(400 / 12)
    assert s["mfu"] == pytest.approx((0.1 * 4 + 0.2 * 8) / 12)
    line = summary_line(s)
    assert line.startswith("throughput (RgroTrainer, cpu, 2 steps): step 6.000 s = rollout 2.000 (33.3%)")
    json.dumps(s)
    assert plot_phases(rows, tmp_path / "p.png").stat().st_size > 0
