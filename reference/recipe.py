"""The tiny recipe end to end: tokenizer + model, SFT, GRPO and RGRO from the same SFT checkpoint with
the same budget, evaluation of the three on the iu-xray test split (and the baselines), and a results
table with intervals and paired-bootstrap p-values of RGRO against SFT and GRPO.

    python -m reference.recipe --out runs/recipe

Training is cached under ``--cache`` keyed by the recipe files and overrides, so a second run (or the
benchmark) reuses the models; a killed run resumes from the last checkpoint of the stage it was in.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from pathlib import Path
from typing import Any

from reference.config_files import CONFIG_DIR, read_yaml

STAGES = ("sft", "grpo", "rgro")
EVAL_METRICS = ("label_accuracy", "bertscore", "observation_f1", "rouge", "consistency", "guidelines", "length")
#: the table's columns: (metric column, label). Judges (no trainer optimised them) lead; the columns the
#: RL reward is built from follow, marked "(reward)" by :func:`column_label`
COLUMNS = (
    ("label_micro_f1", "Label micro-F1"),
    ("abnormal_recall", "Abnormal recall"),
    ("bertscore_f1", "BERTScore F1"),
    ("obs_f1", "Obs F1"),
    ("rougeL", "ROUGE-L"),
    ("fc_recall", "FC recall"),
    ("fc_precision", "FC precision"),
    ("fc_f1", "FC F1"),
    ("guideline_score", "Guideline"),
)


def column_role(column: str) -> str:
    """ "judge" or "reward": the role of the harness metric that emits ``column``."""
    from rgro_bench.metrics import METRICS

    return next(cls.role for _, cls in METRICS.items() if column in cls.columns)


def column_label(column: str, label: str) -> str:
    return f"{label} (reward)" if column_role(column) == "reward" else label


BASELINES = ("baseline:constant", "baseline:lead-1", "baseline:lead-2", "baseline:tfidf-nn", "baseline:dense-nn")
DEFAULT_CACHE = Path("runs/tiny-recipe")
#: the significance level of every stated goal (paired bootstrap): the recipe's (RGRO against SFT on FC
#: F1, ROUGE-L above SFT's plus GOAL_ROUGE_FLOOR) and the sealed experiment's (reference.experiment)
GOAL_MAX_P = 0.05
GOAL_ROUGE_FLOOR = -0.01


def recipe_files(config_dir: Path = CONFIG_DIR) -> dict[str, Path]:
    return {stage: config_dir / f"tiny-cpu-{stage}.yaml" for stage in STAGES}


def fingerprint(files: dict[str, Path], overrides: dict[str, dict[str, Any]]) -> str:
    """What the trained models depend on: the recipe files' content, the overrides, the tiny model's
    architecture and tokenizer settings, and the numerics (pinned, or this CPU's own kernels), so that
    an unpinned run never hands its models to a pinned one."""
    from dataclasses import asdict

    from reference.tiny import TinyConfig
    from rgro_bench.reproducibility import numerics_key

    payload = {stage: read_yaml(path) for stage, path in files.items()}
    payload["tiny"] = asdict(TinyConfig())
    payload["numerics"] = numerics_key()
    return hashlib.sha256(json.dumps([payload, overrides], sort_keys=True).encode()).hexdigest()[:12]


def _train_stage(stage: str, path: Path, overrides: dict[str, Any]) -> None:
    # deferred: the trainers import TRL, which the results table and the benchmark's cached models do not need
    from reference.training_stages import train_stage

    train_stage(stage, path, overrides)


#: what each arm trains: (the recipe file it reads, the arm it starts from, None for the tiny base model).
#: The benchmark and the gate train :data:`STAGES`; the sealed experiment (reference.experiment) adds the
#: two controls, whose fields come from :func:`arm_overrides`.
ARMS: dict[str, tuple[str, str | None]] = {
    "sft": ("sft", None),
    "grpo": ("grpo", "sft"),
    "rgro": ("rgro", "sft"),
    "sft-continued": ("sft", "sft"),
    "grpo-summed": ("rgro", "sft"),
}


def arm_overrides(arm: str, files: dict[str, Path]) -> dict[str, Any]:
    """The fields an arm changes in its recipe file.

    - ``sft-continued``, the compute-matched control: SFT continued from its own checkpoint for as many
      updates as the RL arms take, at their learning rate, constant (the RL arms' schedule).
    - ``grpo-summed``, the ablation: RGRO's recipe with λ = 0, which is exactly GRPO on RGRO's reward
      (its summed stage reward included): what per-token stage credit adds beyond the same total reward."""
    if arm == "sft-continued":
        rl = read_yaml(files["grpo"])
        return {
            "build_tiny": False,
            "max_steps": rl["max_steps"],
            "learning_rate": rl["learning_rate"],
            "lr_scheduler_type": "constant",
            "warmup_steps": 0,
        }
    if arm == "grpo-summed":
        return {"stage_lambda": 0.0}
    return {}


def train_stages(
    cache_dir: str | Path = DEFAULT_CACHE,
    overrides: dict[str, dict[str, Any]] | None = None,
    config_dir: Path = CONFIG_DIR,
    arms: tuple[str, ...] = STAGES,
) -> dict[str, Path]:
    """Train the ``arms`` (default: the tiny SFT, GRPO and RGRO models) unless already cached, each after
    the arm it starts from; returns {arm: model folder}. ``overrides`` maps an arm to recipe fields
    replacing the YAML's (e.g. {"grpo": {"max_steps": 10}})."""
    from rgro_bench.results.io import write_json

    overrides = overrides or {}
    files = recipe_files(config_dir)
    root = Path(cache_dir) / fingerprint(files, overrides)
    paths = {arm: root / arm for arm in ARMS}
    ordered = [a for a in ARMS if a in arms or any(ARMS[b][1] == a for b in arms)]  # starts come first
    to_train = [a for a in ordered if not (paths[a] / "done.json").exists()]
    took: list[float] = []
    for arm in ordered:
        stage, start = ARMS[arm]
        done = paths[arm] / "done.json"
        if done.exists():
            continue
        print(stage_banner(arm, to_train, took), flush=True)
        t0 = time.perf_counter()
        fields = {
            **arm_overrides(arm, files),
            "model": str(paths[start] if start else root / "base"),
            "output_dir": str(paths[arm]),
            **overrides.get(arm, {}),
        }
        _train_stage(stage, files[stage], fields)
        took.append(time.perf_counter() - t0)
        write_json(done, {"stage": arm, "seconds": took[-1], "overrides": fields})
    return {arm: paths[arm] for arm in arms}


def stage_banner(arm: str, to_train: list[str], took: list[float]) -> str:
    """The line above a stage's own progress bar (which shows that stage's time left): which stage of how
    many, and once one stage has finished, the time left for all of them at the pace so far."""
    position = f"training {arm} (stage {len(took) + 1} of {len(to_train)})"
    if not took:
        return f"{position}; its progress bar shows its time left"
    left = sum(took) / len(took) * (len(to_train) - len(took))
    return f"{position}; about {left / 60:.0f} min left for this and the remaining stages at the pace so far"


def parameter_count(model_dir: Path) -> int:
    """Parameters stored in the model's safetensors file (tied embeddings are stored, and counted, once)."""
    from safetensors import safe_open

    with safe_open(str(model_dir / "model.safetensors"), framework="np") as weights:
        return sum(math.prod(weights.get_slice(name).get_shape()) for name in weights.keys())  # noqa: SIM118 (safe_open is not iterable)


def model_card(stage: str, model_dir: Path) -> dict[str, Any]:
    """The leaderboard model card (rgro_bench.leaderboard.schema.ModelCard fields) of a trained tiny model."""
    training = read_yaml(recipe_files()[stage])
    how = {
        "sft": "supervised fine-tuning (TRL SFTTrainer) of a tiny Llama built from scratch",
        "grpo": "GRPO from the tiny SFT model, episode reward from the harness's clinical metrics",
        "rgro": f"RGRO (stage credit, lambda {training.get('stage_lambda')}) from the tiny SFT model, same budget as GRPO",
    }[stage]
    hinted = (
        "; prompted with the impression of the most similar train report (model option retrieve=tfidf)"
        if training.get("retrieve")
        else ""
    )
    return {
        "name": f"Tiny {stage.upper()} (reference recipe)",
        "authors": ["rgro-bench reference"],
        "licence": "Apache-2.0",
        "parameters": parameter_count(model_dir),
        "base_model": None if stage == "sft" else "Tiny SFT (reference recipe)",
        "description": f"{how}{hinted}; reference/configs/tiny-cpu-{stage}.yaml",
        "training_data": [f"{training.get('task', 'iu-xray')}:{training.get('split', 'train')}"],
    }


def ensure_trained(
    cache_dir: str | Path = DEFAULT_CACHE,
    overrides: dict[str, dict[str, Any]] | None = None,
    config_dir: Path = CONFIG_DIR,
) -> dict[str, dict[str, Any]]:
    """The trained tiny models (trained on first use, then cached) as the benchmark enters them:
    {stage: {"path": model folder, "card": leaderboard model card, "model_args": how it is evaluated}}."""
    paths = train_stages(cache_dir, overrides, config_dir)
    return {
        stage: {"path": path, "card": model_card(stage, path), "model_args": eval_model_args(config_dir)}
        for stage, path in paths.items()
    }


def eval_model_args(config_dir: Path = CONFIG_DIR) -> dict[str, str]:
    """The model options the trained tiny models are evaluated with: batched, and shown the retrieved
    hint they were trained with (the SFT recipe's ``retrieve``; the RL stages train on the same prompts)."""
    options = {"batch_size": "64"}
    retrieve = read_yaml(recipe_files(config_dir)["sft"]).get("retrieve")
    if retrieve:
        options["retrieve"] = retrieve
    return options


def stage_seconds(paths: dict[str, Path]) -> dict[str, float]:
    return {s: json.loads((p / "done.json").read_text())["seconds"] for s, p in paths.items()}


def evaluate_models(models: dict[str, str], out: Path, limit: int | None, seed: int, split: str = "test"):
    from rgro_bench.runner import evaluate

    evaluations = {}
    for name, spec in models.items():
        model_args = eval_model_args() if spec.startswith("hf:") else None
        evaluations[name] = evaluate(
            spec,
            "iu-xray",
            split=split,
            metrics=list(EVAL_METRICS),
            output_dir=out / "eval",
            model_args=model_args,
            limit=limit,
            seed=seed,
        )
    return evaluations


#: metrics whose columns aggregate counts over the samples (corpus F1): the mean of their per-sample
#: values is another statistic, so their paired test recomputes the corpus value on each replicate
CORPUS_METRICS = ("label_accuracy", "observation_f1")


def corpus_outputs(evaluation, ids: list[str], split: str) -> dict[str, Any]:
    """The :data:`CORPUS_METRICS` outputs of an evaluation's predictions, samples in ``ids`` order."""
    from rgro_bench.metrics import get_metric, task_samples
    from rgro_bench.tasks import get_task

    task = get_task("iu-xray")
    studies = {s.id: s for s in task.studies(split)}
    predictions = evaluation.samples.set_index("id")["prediction"]
    samples = task_samples(task, [studies[i] for i in ids], [predictions[i] for i in ids])
    return {name: get_metric(name).compute(samples) for name in CORPUS_METRICS}


def comparison(evaluations: dict, a: str, b: str, seed: int, split: str = "test") -> dict[str, dict[str, float]]:
    """Paired bootstrap of a − b per compared column, on scores aligned by sample id: of the per-sample
    mean, or of the corpus value for the columns of :data:`CORPUS_METRICS`."""
    from rgro_bench.metrics.bootstrap import paired_bootstrap, paired_statistic_bootstrap

    left = evaluations[a].samples.set_index("id")
    right = evaluations[b].samples.set_index("id").loc[left.index]
    ids = list(left.index)
    corpus_a, corpus_b = corpus_outputs(evaluations[a], ids, split), corpus_outputs(evaluations[b], ids, split)
    out = {}
    for column, _ in COLUMNS:
        owner = next((m for m in CORPUS_METRICS if column in corpus_a[m].aggregators), None)
        if owner is not None:
            test = paired_statistic_bootstrap(
                lambda i, o=corpus_a[owner], c=column: o.aggregate(c, i),
                lambda i, o=corpus_b[owner], c=column: o.aggregate(c, i),
                len(ids),
                seed=seed,
            )
        else:
            test = paired_bootstrap(left[column].to_numpy(float), right[column].to_numpy(float), seed=seed)
        # no pair where both are defined (e.g. precision when neither model asserts anything): no test
        out[column] = {
            "difference": test.difference if test.n else None,
            "p_value": test.p_value if test.n else None,
            "n": test.n,
        }
    return out


#: the columns whose paired difference is split by study kind (see :func:`difference_sources`)
SOURCE_COLUMNS = ("rougeL", "fc_f1")


def difference_sources(candidate, baseline) -> list[dict[str, Any]]:
    """Where a paired difference comes from: the studies split by whether their findings have a positive
    finding (``fc_recall`` defined) and whether the candidate's impression asserts one (``fc_precision``
    defined), each kind with its count, how many predictions differ from the baseline's, and its share
    of the mean difference of each of :data:`SOURCE_COLUMNS`. The shares add up to the whole difference.
    Both arguments are per-sample frames indexed by study id (``Evaluation.samples.set_index("id")``)."""
    baseline = baseline.loc[candidate.index]
    abnormal = candidate["fc_recall"].notna()
    asserts = candidate["fc_precision"].notna()
    changed = candidate["prediction"] != baseline["prediction"]
    rows = []
    for study, is_abnormal in (("abnormal", True), ("normal", False)):
        for says, does_assert in (("names a finding", True), ("names none", False)):
            kind = (abnormal == is_abnormal) & (asserts == does_assert)
            row: dict[str, Any] = {"studies": study, "candidate": says, "n": int(kind.sum())}
            row["changed"] = int((kind & changed).sum())
            for column in SOURCE_COLUMNS:
                delta = (candidate.loc[kind, column] - baseline.loc[kind, column]).sum()
                row[column] = float(delta) / len(candidate)
            rows.append(row)
    return rows


def results_table(evaluations: dict) -> list[dict[str, Any]]:
    rows = []
    for name, evaluation in evaluations.items():
        row: dict[str, Any] = {"model": name}
        for column, _ in COLUMNS:
            m = evaluation.result.metrics[column]
            row[column] = {"value": m.value, "ci_low": m.ci_low, "ci_high": m.ci_high, "n": m.n}
        rows.append(row)
    return rows


def markdown(report: dict[str, Any]) -> str:
    def pct(x):
        return "–" if x is None else f"{100 * x:.1f}"

    numerics = report.get("numerics", {})
    lines = [
        f"# Tiny recipe on iu-xray ({report['split']} split)",
        "",
        f"Training seed {report.get('train_seed', 0)}; trained on {numerics.get('cpu', '?')}, torch kernels "
        f"{numerics.get('torch_capability', '?')}, {numerics.get('threads', '?')} threads, "
        f"{'pinned' if numerics.get('pinned') else 'NOT pinned'} (rgro_bench.reproducibility).",
        "",
        f"{report['n_samples']} {report['split']} studies; SFT, GRPO and RGRO from the same SFT checkpoint, same RL budget. "
        "Values ×100 with 95% bootstrap intervals. Judges first (human labels, BERTScore, observation F1); "
        "columns marked (reward) were optimised by the RL trainers and grade neither of them.",
        "",
        "| model | " + " | ".join(column_label(c, label) for c, label in COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    for row in report["table"]:
        cells = [f"{pct(row[c]['value'])} [{pct(row[c]['ci_low'])}, {pct(row[c]['ci_high'])}]" for c, _ in COLUMNS]
        lines.append(f"| {row['model']} | " + " | ".join(cells) + " |")
    for key, title in (("rgro_vs_sft", "RGRO − SFT"), ("rgro_vs_grpo", "RGRO − GRPO")):
        lines += [
            "",
            f"**{title}** (paired bootstrap, two-sided):",
            "",
            "| metric | difference ×100 | p |",
            "|---|---|---|",
        ]
        for column, label in COLUMNS:
            t = report[key][column]
            if t["n"]:
                lines.append(f"| {column_label(column, label)} | {100 * t['difference']:+.2f} | {t['p_value']:.4f} |")
            else:
                lines.append(f"| {column_label(column, label)} | – (no pair defined) | – |")
    lines += [
        "",
        "**Where RGRO − SFT comes from** (each kind's share of the mean difference, ×100; the shares add up):",
        "",
        "| studies | RGRO's impression | n | changed | ROUGE-L | FC F1 |",
        "|---|---|---|---|---|---|",
    ]
    for row in report["rgro_vs_sft_sources"]:
        lines.append(
            f"| {row['studies']} | {row['candidate']} | {row['n']} | {row['changed']} | "
            f"{100 * row['rougeL']:+.2f} | {100 * row['fc_f1']:+.2f} |"
        )
    goal = report["goal"]
    lines += [
        "",
        f"Goal as first stated (RGRO beats SFT on FC F1 with p < 0.05, ROUGE-L within 1 point; both are "
        "rewards, so this grades RGRO by what it optimised; the judges above are the comparison that counts): "
        f"**{'met' if goal['met'] else 'not met'}** (FC F1 {100 * goal['fc_f1_difference']:+.2f}, "
        f"p = {goal['fc_f1_p']:.4f}; ROUGE-L {100 * goal['rougeL_difference']:+.2f}).",
        "",
        "Training seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in report["train_seconds"].items()) + ".",
        f"Wall time of this run: {report['wall_seconds']:.0f} s.",
        "",
    ]
    return "\n".join(lines)


def seed_overrides(train_seed: int) -> dict[str, dict[str, Any]]:
    """Recipe overrides that train every stage with another seed (its rollouts, data order and, for RL,
    its sample of normal prompts); the tiny model's initialisation and tokenizer stay those of seed 0.
    Seed 0 is the recipe as written: no overrides, so its cache is the default one."""
    if train_seed == 0:
        return {}
    return {arm: {"seed": train_seed, "data_seed": train_seed} for arm in ARMS}


def merge_overrides(*layers: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for layer in layers:
        for stage, fields in layer.items():
            merged[stage] = {**merged.get(stage, {}), **fields}
    return merged


def run(
    out: Path,
    cache: Path,
    overrides: dict[str, dict[str, Any]],
    eval_limit: int | None,
    seed: int,
    baselines: bool = True,
    split: str = "test",
    train_seed: int = 0,
) -> dict[str, Any]:
    """Train (or reuse) the recipe with ``train_seed`` and evaluate it on ``split``. The recipe's
    decisions are made on "validation"; "test" is read for the recorded, pre-stated comparison."""
    from rgro_bench.reproducibility import numerics
    from rgro_bench.results.io import atomic_write_text, write_json

    started = time.perf_counter()
    paths = train_stages(cache, merge_overrides(seed_overrides(train_seed), overrides))
    models = {name.upper(): f"hf:{paths[name]}" for name in STAGES}
    if baselines:
        models.update({b.removeprefix("baseline:"): b for b in BASELINES})
    evaluations = evaluate_models(models, out, eval_limit, seed, split)
    rgro_vs_sft = comparison(evaluations, "RGRO", "SFT", seed, split)
    report = {
        "task": "iu-xray",
        "split": split,
        "n_samples": evaluations["SFT"].result.task.n_samples,
        "seed": seed,
        "train_seed": train_seed,
        "numerics": numerics(),
        "models": models,
        "table": results_table(evaluations),
        "rgro_vs_sft": rgro_vs_sft,
        "rgro_vs_grpo": comparison(evaluations, "RGRO", "GRPO", seed, split),
        "rgro_vs_sft_sources": difference_sources(
            evaluations["RGRO"].samples.set_index("id"), evaluations["SFT"].samples.set_index("id")
        ),
        "goal": {
            "fc_f1_difference": rgro_vs_sft["fc_f1"]["difference"],
            "fc_f1_p": rgro_vs_sft["fc_f1"]["p_value"],
            "rougeL_difference": rgro_vs_sft["rougeL"]["difference"],
            "met": rgro_vs_sft["fc_f1"]["difference"] > 0
            and rgro_vs_sft["fc_f1"]["p_value"] < GOAL_MAX_P
            and rgro_vs_sft["rougeL"]["difference"] > GOAL_ROUGE_FLOOR,
        },
        "train_seconds": stage_seconds(paths),
        "wall_seconds": time.perf_counter() - started,
    }
    write_json(out / "results.json", report)
    atomic_write_text(out / "results.md", markdown(report))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/recipe"), help="folder for results.json/.md and evals")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="folder caching the trained models")
    parser.add_argument("--rl-steps", type=int, default=None, help="override max_steps of GRPO and RGRO")
    parser.add_argument("--sft-epochs", type=float, default=None, help="override num_train_epochs of SFT")
    parser.add_argument("--eval-limit", type=int, default=None, help="evaluate on the first N test studies only")
    parser.add_argument("--seed", type=int, default=0, help="seed of evaluation and bootstrap")
    parser.add_argument(
        "--train-seed", type=int, default=0, help="seed of every training stage (0: the recipe as written)"
    )
    parser.add_argument(
        "--split", default="test", help="split to evaluate on: decide on validation, read test once per comparison"
    )
    parser.add_argument("--no-baselines", action="store_true", help="leave the non-learned baselines out")
    args = parser.parse_args(argv)
    overrides: dict[str, dict[str, Any]] = {}
    if args.rl_steps is not None:
        overrides["grpo"] = overrides["rgro"] = {"max_steps": args.rl_steps}
    if args.sft_epochs is not None:
        overrides["sft"] = {"num_train_epochs": args.sft_epochs}
    report = run(
        args.out,
        args.cache,
        overrides,
        args.eval_limit,
        args.seed,
        baselines=not args.no_baselines,
        split=args.split,
        train_seed=args.train_seed,
    )
    print(markdown(report))
    return 0


if __name__ == "__main__":
    from rgro_bench.reproducibility import pin_process

    pin_process()
    raise SystemExit(main())
