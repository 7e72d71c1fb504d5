"""The harness's benchmark (what `nox -s benchmark` runs first): baselines submitted as entries, tables
rebuilt and printed from the tables built."""

import csv

from rgro_bench.benchmark import main


def test_baselines_only_benchmark_writes_a_ranked_table(tmp_path, capsys):
    board = tmp_path / "leaderboards"
    code = main(["--task", "iu-xray", "--leaderboard-dir", str(board), "--runs-dir", str(tmp_path / "runs")])
    assert code == 0
    rows = list(csv.DictReader((board / "iu-xray.csv").open()))
    models = [r["model"] for r in rows]
    assert {"Constant 'normal' impression", "Copy findings", "Lead-2 sentences of the findings"} <= set(models)
    assert any(m.startswith("TF-IDF nearest-neighbour retrieval") for m in models)
    assert (board / "iu-xray.md").is_file() and (board / "index.html").is_file()
    assert any(m.startswith("Dense nearest-neighbour retrieval") for m in models), models
    printed = capsys.readouterr().out
    # judges lead, BERTScore ranks, rewards are marked and come after them
    assert "bertscore_f1 (primary)" in printed
    header = next(line for line in printed.splitlines() if line.startswith("| #"))
    assert header.index("label_micro_f1") < header.index("rougeL (reward)") < header.index("fc_f1 (reward)")
    assert all(r["bertscore_f1"] for r in rows if r["rank"])  # every ranked row has a BERTScore number
    ceiling = next(r for r in rows if r["model"] == "reference impressions")
    assert not ceiling["rank"] and float(ceiling["label_micro_f1"]) > 0.5
    assert (tmp_path / "runs" / "iu-xray" / "baseline_constant" / "results.json").is_file()


def test_each_task_table_prints_before_the_next_task_is_evaluated(tmp_path, monkeypatch, capsys):
    import argparse
    import json

    from rgro_bench import benchmark
    from rgro_bench.leaderboard.contamination import split_ids
    from rgro_bench.tasks import get_task, registry

    folder = tmp_path / "tasks"
    folder.mkdir()
    for name in ("bench-a", "bench-b"):
        rows = [
            {"id": f"{name}-{k}", "findings": f"Finding {k}. Heart normal.", "impression": "Normal."} for k in range(4)
        ]
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        (folder / f"{name}.yaml").write_text(
            f'id: {name}\nversion: "1"\ndata: {{path: {name}.jsonl}}\nsplit: {{method: none}}\n'
            "metrics: [rouge, length]\nprimary_metric: rougeL\n"
        )
    monkeypatch.setenv("RGRO_BENCH_TASKS", str(folder))
    for cached in (registry._catalogue, registry._load_task, split_ids):
        cached.cache_clear()
    monkeypatch.setattr(benchmark, "offline_tasks", lambda: [get_task("bench-a"), get_task("bench-b")])
    board = tmp_path / "lb"
    args = argparse.Namespace(task=None, leaderboard_dir=board, runs_dir=tmp_path / "runs", seed=0)
    contenders = [c for c in benchmark.baseline_contenders() if c.spec in ("baseline:constant", "baseline:lead-2")]
    try:
        assert benchmark.run_benchmark(args, contenders) == 0
    finally:
        for cached in (registry._catalogue, registry._load_task, split_ids):
            cached.cache_clear()
    out = capsys.readouterr().out
    first_table = out.index(str(board / "bench-a.md"))
    assert first_table < out.index(str(tmp_path / "runs" / "bench-b"))  # before bench-b's first summary
    # what was printed is the table the build then wrote, and each baseline is one entry across both tasks
    printed = out[first_table : out.index(str(board / "bench-b.md"))]
    rows = [line for line in printed.splitlines() if line.startswith("|")]
    assert len(rows) > 3 and rows == [
        line for line in (board / "bench-a.md").read_text().splitlines() if line.startswith("|")
    ]
    entry = json.loads((board / "submissions" / "constant-normal-impression" / "entry.json").read_text())
    assert list(entry["tasks"]) == ["bench-a", "bench-b"]
