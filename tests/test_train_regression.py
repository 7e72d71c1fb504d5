import json

import pytest

from reference.regression import (
    CHECKED,
    MIN_TOLERANCE,
    SPREAD_MULTIPLE,
    append_history,
    compare,
    identical,
    plot_history,
    reference_figures,
    tolerance,
)


def test_compare_flags_only_figures_below_tolerance():
    reference = {
        "figures": {"RGRO/fc_f1": {"value": 0.5, "tolerance": 0.02}, "RGRO/rougeL": {"value": 0.3, "tolerance": 0.01}}
    }
    assert compare({"RGRO/fc_f1": 0.49, "RGRO/rougeL": 0.3}, reference) == []
    assert compare({"RGRO/fc_f1": 0.9, "RGRO/rougeL": 0.9}, reference) == []  # better is never a failure
    failures = compare({"RGRO/fc_f1": 0.47, "RGRO/rougeL": 0.25}, reference)
    assert [f.split(":")[0] for f in failures] == ["RGRO/fc_f1", "RGRO/rougeL"]
    assert compare({}, reference)  # a missing figure is a regression, not a pass
    assert compare({"RGRO/fc_f1": float("nan"), "RGRO/rougeL": 0.3}, reference)


def test_tolerance_is_a_multiple_of_the_seed_spread_with_a_floor():
    assert tolerance([0.50, 0.52, 0.54]) == pytest.approx(SPREAD_MULTIPLE * 0.02)
    assert tolerance([0.5, 0.5, 0.5]) == MIN_TOLERANCE
    assert tolerance([0.5]) == MIN_TOLERANCE


def test_reference_keeps_seed_zero_with_every_seed_and_its_tolerance():
    per_seed = {
        seed: {f"{m}/{c}": 0.5 - 0.01 * seed + (0.1 if m == "SFT" else 0.0) for m, c in CHECKED} for seed in (0, 1, 2)
    }
    entries = reference_figures(per_seed)
    assert sorted(entries) == sorted(f"{m}/{c}" for m, c in CHECKED)
    rgro = entries["RGRO/fc_f1"]
    assert rgro["value"] == 0.5
    assert rgro["seeds"] == {"0": 0.5, "1": 0.49, "2": 0.48}
    assert rgro["spread"] == pytest.approx(0.01)
    assert rgro["tolerance"] == pytest.approx(SPREAD_MULTIPLE * 0.01)
    assert entries["SFT/rougeL"]["value"] == pytest.approx(0.6)
    reference = {"figures": entries}
    assert identical(per_seed[0], reference)
    assert not identical(per_seed[1], reference)
    assert compare(per_seed[2], reference) == []  # another seed's (lower) numbers pass the gate


def test_history_appends_rows_and_plots(tmp_path):
    for value in (0.4, 0.45):
        row = {
            "commit": "abc1234",
            "date": "2025-01-01T00:00:00",
            "machine": "m",
            "device": "cpu",
            "figures": {f"{m}/{c}": value for m in ("SFT", "GRPO", "RGRO") for c in ("fc_f1", "rougeL")},
            "throughput": {"rgro_tokens_per_s": 100.0},
        }
        path = append_history(row, tmp_path)
    assert [json.loads(line)["figures"]["RGRO/fc_f1"] for line in path.read_text().splitlines()] == [0.4, 0.45]
    png = plot_history(path, tmp_path / "history.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_history_row_names_the_cpu_its_kernels_and_threads():
    import torch

    from reference.recipe import COLUMNS
    from reference.regression import history_row
    from rgro_bench.reproducibility import numerics

    figures = {
        "table": [{"model": m, **{c: {"value": 0.5} for c, _ in COLUMNS}} for m in ("SFT", "GRPO", "RGRO")],
        "rgro_vs_sft": {c: {"difference": 0.01, "p_value": 0.5} for c, _ in COLUMNS},
        "rgro_vs_grpo": {c: {"difference": -0.01, "p_value": 0.4} for c, _ in COLUMNS},
    }
    row = history_row({**figures, "split": "validation", "numerics": numerics()})
    assert row["split"] == "validation"
    assert row["numerics"]["threads"] == torch.get_num_threads()
    assert row["numerics"]["torch_capability"] == torch.backends.cpu.get_cpu_capability()
    assert row["numerics"]["cpu"] and row["device"].startswith(row["numerics"]["cpu"])


def test_the_gate_fails_when_rgros_stage_credit_was_not_applied(tmp_path):
    from reference.regression import STAGE_CREDIT_FLOOR, gate_failures, stage_credit

    reference = {"figures": {"RGRO/fc_f1": {"value": 0.5, "tolerance": 0.02}}}
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"step": 10, "rgro/stage_term_abs": 0.2}) + "\n" + json.dumps({"step": 20}) + "\n")
    assert stage_credit(tmp_path) == pytest.approx(0.2)
    assert gate_failures({"RGRO/fc_f1": 0.5}, reference, stage_credit(tmp_path)) == []
    log.write_text(json.dumps({"step": 10, "rgro/stage_term_abs": 0.0}) + "\n")
    assert [f.split(":")[0] for f in gate_failures({"RGRO/fc_f1": 0.5}, reference, stage_credit(tmp_path))] == [
        "RGRO/stage_credit"
    ]
    log.write_text(json.dumps({"step": 10}) + "\n")  # an RGRO run that never logged its credit fails too
    assert stage_credit(tmp_path) is None
    assert gate_failures({"RGRO/fc_f1": 0.5}, reference, None)
    assert STAGE_CREDIT_FLOOR > 0
