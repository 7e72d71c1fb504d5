"""The sealed experiment of the tiny recipe: fixed comparisons, several training seeds, judges first, and
a test split that only an explicit final run reads, each reading logged.

    python -m reference.experiment                       # validation: where every decision is made
    python -m reference.experiment --final               # test, once per recipe: appends to test_log.jsonl

Arms (``reference.recipe.ARMS``), all from the same SFT checkpoint and trained with each seed:

- ``SFT``; ``SFT-continued``, SFT trained on for the RL arms' updates (the compute-matched control);
- ``GRPO``; ``GRPO+stages``, RGRO's recipe with λ = 0: GRPO on RGRO's whole reward, summed stage reward
  included (the ablation that says whether per-token stage credit matters);
- ``RGRO``.

The comparisons are stated here, before any run (:data:`COMPARISONS`), each on the judges no trainer
optimised (:data:`JUDGED`) with the rewards beside them, as the mean over seeds and a paired bootstrap
pooled over seeds: each replicate draws one set of studies and averages the difference over the seeds.
Every validation run appends a line to ``validation_log.jsonl`` with each arm's recipe hash, so the
number of runs that tuned each method is counted, not remembered.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from reference.recipe import (
    ARMS,
    BASELINES,
    COLUMNS,
    CORPUS_METRICS,
    DEFAULT_CACHE,
    GOAL_MAX_P,
    arm_overrides,
    column_label,
    corpus_outputs,
    evaluate_models,
    merge_overrides,
    read_yaml,
    recipe_files,
    seed_overrides,
    train_stages,
)
from rgro_bench.errors import ConfigError
from rgro_bench.hashing import canonical_hash

HERE = Path(__file__).parent
TEST_LOG = HERE / "test_log.jsonl"
VALIDATION_LOG = HERE / "validation_log.jsonl"
#: the arms as the tables name them
ARM_NAMES = {
    "sft": "SFT",
    "sft-continued": "SFT-continued",
    "grpo": "GRPO",
    "grpo-summed": "GRPO+stages",
    "rgro": "RGRO",
}
#: stated before the first run: (candidate, control)
COMPARISONS = (("RGRO", "SFT-continued"), ("RGRO", "GRPO+stages"), ("RGRO", "GRPO"), ("RGRO", "SFT"))
#: the judges every comparison leads with; the columns of COLUMNS after them are reported, marked
JUDGED = ("label_micro_f1", "abnormal_recall", "bertscore_f1")
SEEDS = (0, 1, 2)
#: the goal on test: RGRO beats each of these controls on label micro-F1 with p below GOAL_MAX_P ...
GOAL_CONTROLS = ("SFT-continued", "GRPO+stages")
GOAL_METRIC = "label_micro_f1"
#: ... and its ROUGE-L is at least this baseline's
GOAL_ROUGE_BASELINE = "tfidf-nn"
#: where the expert-feedback add-on's file is written (from the train split only; see ADDONS)
FEEDBACK_FILE = Path("runs/feedback/iu-xray-train-mesh.jsonl")
#: RGRO add-ons reported on against off (RGRO of the recipe), seed 0, on validation; not part of the recipe
#: whose comparisons are stated above: (what it adds, the RGRO fields it sets)
ADDONS: dict[str, tuple[str, dict[str, Any]]] = {
    "feedback": (
        "expert feedback: preference pairs from the train split's MeSH indexing (reference.rgro.mesh_feedback), "
        "its fitted probability added to the reward at weight 1",
        {"feedback_file": str(FEEDBACK_FILE), "reward_feedback": 1.0},
    ),
    "tool": (
        "an external tool: the size checker reference.rgro.tools:MeasurementCheck, at weight 0.25",
        {"tools": ["reference.rgro.tools:MeasurementCheck"], "reward_tools": 0.25},
    ),
}


def arm_hashes(config_dir: Path | None = None) -> dict[str, str]:
    """A hash of what each arm trains with (its recipe file's fields and the arm's own overrides): a
    validation run after which an arm's hash changed tuned that arm."""
    files = recipe_files(config_dir) if config_dir else recipe_files()
    out = {}
    for arm, (stage, _) in ARMS.items():
        out[ARM_NAMES[arm]] = canonical_hash([read_yaml(files[stage]), arm_overrides(arm, files)])[:12]
    return out


def recipe_hash(hashes: dict[str, str]) -> str:
    return canonical_hash(hashes)[:12]


def tuning_runs(log: Path = VALIDATION_LOG) -> dict[str, int]:
    """Validation runs per arm that saw a new version of its recipe (the first one included)."""
    seen: dict[str, set[str]] = {}
    for line in read_log(log):
        for arm, digest in line["arm_hashes"].items():
            seen.setdefault(arm, set()).add(digest)
    return {arm: len(digests) for arm, digests in seen.items()}


def read_log(path: Path) -> list[dict[str, Any]]:
    from rgro_bench.jsonl import read_jsonl

    return [row for _, row in read_jsonl(path)] if path.is_file() else []


def append_log(path: Path, row: dict[str, Any]) -> None:
    """One line, appended and flushed to disk: a log line is never rewritten."""
    import os

    from rgro_bench.jsonl import dumps_line

    with path.open("a", encoding="utf-8") as handle:
        handle.write(dumps_line(row, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def check_final_allowed(digest: str, reread: str | None, log: Path = TEST_LOG) -> None:
    """A recipe's test split is read once; reading it again needs a stated reason, which is logged."""
    earlier = [row for row in read_log(log) if row["recipe_hash"] == digest]
    if earlier and not reread:
        raise ConfigError(
            f"{log}: the test split was already read for recipe {digest} on {earlier[0]['date']}; "
            "a second reading needs --reread REASON, and is logged with it"
        )


def git_state() -> dict[str, Any]:
    from rgro_bench.environment import git_commit, git_dirty

    return {"commit": git_commit(), "dirty": git_dirty()}


def pooled_statistic(per_seed: Sequence[Callable[[np.ndarray], float]]) -> Callable[[np.ndarray], float]:
    """A statistic of one index set averaged over the seeds' evaluations of the same studies."""
    return lambda idx: float(np.mean([f(idx) for f in per_seed]))


def column_statistics(evaluations: Sequence[Any], outputs: Sequence[dict], column: str, ids: list[str]) -> list:
    """Per seed, the statistic of ``column`` on an index array over ``ids``: the corpus value for the
    columns of corpus metrics (micro-F1 over summed counts, from that seed's ``outputs``), else the mean
    of the per-sample values."""
    out = []
    for evaluation, corpus in zip(evaluations, outputs, strict=True):
        owner = next((m for m in CORPUS_METRICS if column in corpus[m].aggregators), None)
        if owner is not None:
            out.append(lambda i, o=corpus[owner], c=column: o.aggregate(c, i))
        else:
            values = evaluation.samples.set_index("id").loc[ids, column].to_numpy(float)
            out.append(lambda i, v=values: float(np.nanmean(v[i])) if np.isfinite(v[i]).any() else float("nan"))
    return out


def pooled_comparison(
    candidate: Sequence[Any], control: Sequence[Any], split: str, seed: int, resamples: int = 2000
) -> dict[str, dict[str, float | None]]:
    """Candidate − control per column of COLUMNS: the mean over seeds of the difference, and the paired
    bootstrap p-value pooled over seeds (seed k of one arm is paired with seed k of the other)."""
    from rgro_bench.metrics.bootstrap import paired_statistic_bootstrap

    ids = list(candidate[0].samples["id"])
    corpus = {side: [corpus_outputs(e, ids, split) for e in arm] for side, arm in (("a", candidate), ("b", control))}
    out = {}
    for column, _ in COLUMNS:
        test = paired_statistic_bootstrap(
            pooled_statistic(column_statistics(candidate, corpus["a"], column, ids)),
            pooled_statistic(column_statistics(control, corpus["b"], column, ids)),
            len(ids),
            resamples=resamples,
            seed=seed,
        )
        out[column] = {"difference": test.difference if test.n else None, "p_value": test.p_value if test.n else None}
    return out


def arm_summary(evaluations: Sequence[Any]) -> dict[str, dict[str, float | None]]:
    """Mean and standard deviation over seeds of each column's value."""
    out = {}
    for column, _ in COLUMNS:
        values = [e.result.metrics[column].value for e in evaluations]
        values = [v for v in values if v is not None]
        out[column] = {
            "mean": statistics.fmean(values) if values else None,
            "sd": statistics.stdev(values) if len(values) > 1 else None,
            "seeds": len(values),
        }
    return out


def goal_verdict(comparisons: dict[str, dict], summaries: dict[str, dict]) -> dict[str, Any]:
    """The pre-stated goal, checked on the numbers (only the final run's verdict is the claim)."""
    wins = {
        control: comparisons[f"RGRO vs {control}"][GOAL_METRIC]["difference"] is not None
        and comparisons[f"RGRO vs {control}"][GOAL_METRIC]["difference"] > 0
        and comparisons[f"RGRO vs {control}"][GOAL_METRIC]["p_value"] < GOAL_MAX_P
        for control in GOAL_CONTROLS
    }
    rouge = summaries["RGRO"]["rougeL"]["mean"]
    floor = summaries[GOAL_ROUGE_BASELINE]["rougeL"]["mean"]
    rouge_ok = rouge is not None and floor is not None and rouge >= floor
    return {"wins": wins, "rougeL": rouge, "rougeL_floor": floor, "met": all(wins.values()) and rouge_ok}


def run(
    out: Path,
    cache: Path,
    split: str,
    seeds: Sequence[int],
    eval_seed: int,
    overrides: dict | None = None,
    limit: int | None = None,
    resamples: int = 2000,
) -> dict[str, Any]:
    """Train every arm with every seed (cached), evaluate them and the baselines on ``split`` (its first
    ``limit`` studies, for tests), compare."""
    per_arm: dict[str, list[Any]] = {ARM_NAMES[a]: [] for a in ARMS}
    for seed in seeds:
        paths = train_stages(cache, merge_overrides(seed_overrides(seed), overrides or {}), arms=tuple(ARMS))
        models = {ARM_NAMES[a]: f"hf:{p}" for a, p in paths.items()}
        for name, evaluation in evaluate_models(models, out / f"seed-{seed}", limit, eval_seed, split).items():
            per_arm[name].append(evaluation)
    baselines = evaluate_models({b.removeprefix("baseline:"): b for b in BASELINES}, out, limit, eval_seed, split)
    summaries = {name: arm_summary(evs) for name, evs in per_arm.items()}
    summaries.update({name: arm_summary([e]) for name, e in baselines.items()})
    comparisons = {f"{a} vs {b}": pooled_comparison(per_arm[a], per_arm[b], split, eval_seed) for a, b in COMPARISONS}
    return {
        "split": split,
        "seeds": list(seeds),
        "n_samples": per_arm["RGRO"][0].result.task.n_samples,
        "summaries": summaries,
        "comparisons": comparisons,
        "goal": goal_verdict(comparisons, summaries),
    }


def run_addon(name: str, out: Path, cache: Path, eval_seed: int) -> dict[str, Any]:
    """RGRO with the add-on ``name`` against the recipe's RGRO (seed 0, from the same SFT checkpoint), on
    validation: the judges and rewards of both and their paired differences."""
    from reference.mutations import variant_cache
    from reference.recipe import comparison, results_table
    from reference.rgro.mesh_feedback import main as write_feedback

    description, fields = ADDONS[name]
    if name == "feedback" and not FEEDBACK_FILE.is_file():
        write_feedback(["--out", str(FEEDBACK_FILE)])
    off = train_stages(cache)["rgro"]
    folder, overrides = variant_cache(cache, f"addon-{name}", fields)
    on = train_stages(folder, overrides)["rgro"]
    models = {"RGRO": f"hf:{off}", f"RGRO+{name}": f"hf:{on}"}
    evaluations = evaluate_models(models, out / f"addon-{name}", None, eval_seed, "validation")
    return {
        "addon": name,
        "description": description,
        "fields": fields,
        "split": "validation",
        "table": results_table(evaluations),
        "on_vs_off": comparison(evaluations, f"RGRO+{name}", "RGRO", eval_seed, "validation"),
    }


def addon_markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# RGRO add-on '{report['addon']}' on vs off (validation, seed 0)",
        "",
        f"{report['description']}.",
        "",
        "| column | RGRO | RGRO+" + report["addon"] + " | on − off ×100 | p |",
        "|---|---|---|---|---|",
    ]
    off, on = report["table"]
    for column, label in COLUMNS:
        test = report["on_vs_off"][column]
        diff = "–" if test["difference"] is None else f"{100 * test['difference']:+.2f}"
        p = "–" if test["p_value"] is None else f"{test['p_value']:.3f}"
        lines.append(
            f"| {column_label(column, label)} | {100 * off[column]['value']:.2f} | {100 * on[column]['value']:.2f} "
            f"| {diff} | {p} |"
        )
    return "\n".join([*lines, ""])


def markdown(report: dict[str, Any]) -> str:
    def pct(x: float | None, sign: bool = False) -> str:
        return "–" if x is None else (f"{100 * x:+.2f}" if sign else f"{100 * x:.2f}")

    labels = [column_label(c, label) for c, label in COLUMNS]
    lines = [
        f"# Sealed experiment, {report['split']} split ({report['n_samples']} studies, seeds {report['seeds']})",
        "",
        "Mean ± sd over training seeds, ×100. Judges first; (reward) columns were optimised by the RL arms.",
        "",
        "| arm | " + " | ".join(labels) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    for name, summary in report["summaries"].items():
        cells = [
            pct(summary[c]["mean"]) + (f" ± {pct(summary[c]['sd'])}" if summary[c]["sd"] is not None else "")
            for c, _ in COLUMNS
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Pre-stated comparisons (difference of means over seeds ×100; paired bootstrap pooled over seeds):"]
    lines += ["", "| comparison | " + " | ".join(labels) + " |", "|---|" + "---|" * len(COLUMNS)]
    for name, columns in report["comparisons"].items():
        cells = [
            f"{pct(columns[c]['difference'], True)} (p {columns[c]['p_value']:.3f})"
            if columns[c]["p_value"] is not None
            else "–"
            for c, _ in COLUMNS
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    goal = report["goal"]
    wins = ", ".join(f"{control}: {'won' if won else 'not won'}" for control, won in goal["wins"].items())
    lines += [
        "",
        f"Goal (RGRO beats {' and '.join(GOAL_CONTROLS)} on label micro-F1, each p < {GOAL_MAX_P}, with ROUGE-L "
        f"at least {GOAL_ROUGE_BASELINE}'s): **{'met' if goal['met'] else 'not met'}** ({wins}; ROUGE-L "
        f"{pct(goal['rougeL'])} vs {pct(goal['rougeL_floor'])}).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from rgro_bench.results.io import atomic_write_text, write_json

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--final", action="store_true", help="read the test split (once per recipe; logged)")
    parser.add_argument("--reread", default=None, help="why the test split is read again for the same recipe")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS), help="training seeds (at least 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of generation and bootstrap")
    parser.add_argument("--out", type=Path, default=Path("runs/experiment"), help="results folder")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="folder caching the trained models")
    parser.add_argument("--note", default="", help="what this validation run tries (written to its log line)")
    parser.add_argument(
        "--addon", choices=sorted(ADDONS), default=None, help="report an RGRO add-on on vs off (validation, seed 0)"
    )
    args = parser.parse_args(argv)
    if args.addon:
        addon = run_addon(args.addon, args.out / "validation", args.cache, args.seed)
        write_json(args.out / "validation" / f"addon-{args.addon}.json", addon)
        atomic_write_text(args.out / "validation" / f"addon-{args.addon}.md", addon_markdown(addon))
        print(addon_markdown(addon))
        return 0
    started = git_state()  # the code this run loaded, not whatever is checked out when it ends
    try:
        if len(set(args.seeds)) < 3:
            raise ConfigError(f"--seeds: {args.seeds}; expected at least 3 distinct training seeds")
        hashes = arm_hashes()
        digest = recipe_hash(hashes)
        split = "test" if args.final else "validation"
        if args.final:
            check_final_allowed(digest, args.reread)
        report = run(args.out / split, args.cache, split, args.seeds, args.seed)
    except ConfigError as exc:
        print(f"error: {exc}")
        return 2
    line = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **started,
        "recipe_hash": digest,
        "arm_hashes": hashes,
        "seeds": args.seeds,
        "goal_met": report["goal"]["met"],
        "comparisons": {k: v[GOAL_METRIC] for k, v in report["comparisons"].items()},
    }
    if args.final:
        append_log(TEST_LOG, {**line, "reread": args.reread})
    else:
        append_log(VALIDATION_LOG, {**line, "note": args.note})
    write_json(args.out / split / "results.json", report)
    atomic_write_text(args.out / split / "results.md", markdown(report))
    print(markdown(report))
    print(f"logged to {TEST_LOG if args.final else VALIDATION_LOG}; tuning runs per arm: {tuning_runs()}")
    return 0


if __name__ == "__main__":
    from rgro_bench.reproducibility import pin_process

    pin_process()
    raise SystemExit(main())
