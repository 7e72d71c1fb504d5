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
