import json

from reference.regression import append_history, compare, plot_history


def test_compare_flags_only_figures_below_tolerance():
    reference = {"figures": {"RGRO/fc_f1": {"value": 0.5, "tolerance": 0.02}, "RGRO/rougeL": {"value": 0.3}}}
    assert compare({"RGRO/fc_f1": 0.49, "RGRO/rougeL": 0.3}, reference) == []
    failures = compare({"RGRO/fc_f1": 0.47, "RGRO/rougeL": 0.25}, reference)
    assert [f.split(":")[0] for f in failures] == ["RGRO/fc_f1", "RGRO/rougeL"]
    assert compare({}, reference)  # a missing figure is a regression, not a pass


def test_compare_checks_the_goals_as_absolute_bounds():
    reference = {"figures": {}, "goals": {"RGRO-SFT/rougeL": {"floor": -0.01}, "RGRO-SFT/fc_f1_p": {"ceiling": 0.05}}}
    assert compare({"RGRO-SFT/rougeL": -0.005, "RGRO-SFT/fc_f1_p": 0.01}, reference) == []
    failures = compare({"RGRO-SFT/rougeL": -0.02, "RGRO-SFT/fc_f1_p": 0.07}, reference)
    assert [f.split(":")[0] for f in failures] == ["RGRO-SFT/rougeL", "RGRO-SFT/fc_f1_p"]
    assert compare({"RGRO-SFT/rougeL": 0.0}, reference)  # a missing p-value misses its goal


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


def test_history_names_the_cpu_and_thread_count():
    import torch

    from reference.regression import device_name

    name = device_name()
    if not torch.cuda.is_available():
        assert name.endswith(f", {torch.get_num_threads()} threads")
        assert len(name) > len(f", {torch.get_num_threads()} threads")  # a CPU name precedes it
