"""One evaluation run: task -> prompts -> model -> metrics -> typed results on disk."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from rgro_bench.environment import environment, git_commit, git_dirty
from rgro_bench.errors import ConfigError
from rgro_bench.hashing import short_digest
from rgro_bench.metrics import ScoredRun, score_predictions
from rgro_bench.metrics.bootstrap import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES
from rgro_bench.models import Model, load_model
from rgro_bench.results import ModelInfo, RunResult, SampleRecord, TaskInfo, write_json, write_jsonl
from rgro_bench.results.schema import Bootstrap, RunStatus
from rgro_bench.store import GenerationStats, GenerationStore
from rgro_bench.store import generate as generate_through_store
from rgro_bench.tasks import Task, get_task

DEFAULT_OUTPUT_DIR = Path("runs")


@dataclass
class Evaluation:
    result: RunResult
    samples: pd.DataFrame  # one row per sample: id, prediction, reference, one column per metric column
    results_path: Path | None = None
    samples_path: Path | None = None
    generation: GenerationStats | None = None  # prompts generated / reused from the store, tokens/s
    scored: ScoredRun | None = None  # what the numbers were computed from; a submission can reuse it


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:120] or "model"


def run_folder_name(model: Model) -> str:
    """Readable and unique: baselines by spec; path-like specs by kind, name and a short hash of the spec."""
    if model.kind == "baseline":
        return slug(model.spec)
    return f"{slug(model.kind + '_' + model.name)}-{short_digest(model.spec)}"


def check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit {limit}: expected a positive number of studies")


def evaluate(
    model: str | Model,
    task: str | Task,
    *,
    split: str | None = None,
    metrics: Sequence[str] | None = None,
    output_dir: str | Path | None = DEFAULT_OUTPUT_DIR,
    model_args: dict[str, str] | None = None,
    generation: dict | None = None,
    limit: int | None = None,
    ids: Sequence[str] | None = None,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    store: GenerationStore | str | Path | bool | None = True,
) -> Evaluation:
    """Run ``model`` on ``task`` and score it. Writes ``results.json`` and ``samples.jsonl`` under
    ``output_dir/<task>/<model>/`` unless ``output_dir`` is None. ``ids`` restricts the split to those
    studies (in split order); ``limit`` then keeps the first N. ``store``: True uses $RGRO_BENCH_STORE or
    ``output_dir/generations.sqlite``, a path or an open store that one, False/None none."""
    started = time.perf_counter()
    task = get_task(task) if isinstance(task, str) else task
    split = split or task.spec.split.eval_split
    task.studies(split)  # missing data or an unknown split fails before a model is loaded
    check_limit(limit)
    model = load_model(model, options=model_args) if isinstance(model, str) else model
    folder = None if output_dir is None else Path(output_dir) / task.id / run_folder_name(model)
    status = RunStatus(
        status="started",
        run_id=uuid.uuid4().hex,
        model=model.spec,
        task=task.id,
        started_at=datetime.now(timezone.utc),
        git_commit=git_commit(),
        git_dirty=git_dirty(),
    )
    _write_status(folder, status)
    try:
        evaluation = _evaluate_loaded(
            model,
            task,
            split,
            ids,
            limit,
            metrics,
            output_dir,
            generation,
            seed,
            resamples,
            confidence,
            store,
            status,
            started,
        )
    except BaseException as exc:
        ended = "cancelled" if isinstance(exc, KeyboardInterrupt) else "error"
        error = (
            None if ended == "cancelled" else f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        )
        _write_status(folder, status.model_copy(update={"status": ended, "error": error, "ended_at": _now()}))
        raise
    if folder is not None:
        write_evaluation(evaluation, evaluation.scored, folder)
        _write_status(folder, status.model_copy(update={"status": "success", "ended_at": _now()}))
    return evaluation


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _write_status(folder: Path | None, status: RunStatus) -> None:
    if folder is not None:
        write_json(folder / "status.json", status)


def _evaluate_loaded(
    model, task, split, ids, limit, metrics, output_dir, generation, seed, resamples, confidence, store, status, started
) -> Evaluation:
    """The run once its model is loaded; ``started`` is when ``evaluate`` began (setup counts from it)."""
    timings: dict[str, float] = {}
    requests = task.requests(split, ids=ids, limit=limit, seed=seed)
    # backend options (--model-args temperature=...) override the task; explicit generation overrides win
    args = task.generation_args(seed, model.generation_overrides, generation)
    model.fit(task)  # a retrieval baseline indexes this task's pool; most models learn nothing here
    timings["setup"] = time.perf_counter() - started

    t0 = time.perf_counter()
    studies = [r.study for r in requests]
    predictions, stats = generate_through_store(model, requests, args, store, output_dir)
    timings["generate"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    scored = score_predictions(
        task, studies, predictions, metrics, seed=seed, resamples=resamples, confidence=confidence
    )
    timings["score"] = time.perf_counter() - t0

    result = RunResult(
        run_id=status.run_id,
        created_at=_now(),
        model=ModelInfo(spec=model.spec, name=model.name, kind=model.kind, identity=model.identity()),
        task=TaskInfo(
            id=task.id,
            version=task.version,
            data_hash=task.data_hash,
            split=split,
            n_samples=len(studies),
            primary_metric=task.spec.primary_metric,
        ),
        metrics=scored.aggregates,
        generation=args.as_dict(),
        seed=seed,
        bootstrap=Bootstrap(resamples=resamples, confidence=confidence, seed=seed),
        environment=environment(),
        samples_file="samples.jsonl",
        timings=timings,
    )
    return Evaluation(result=result, samples=samples_frame(scored), generation=stats, scored=scored)


def samples_frame(scored: ScoredRun) -> pd.DataFrame:
    base = pd.DataFrame(
        {
            "id": [s.id for s in scored.samples],
            "prediction": [s.prediction for s in scored.samples],
            "reference": [s.reference for s in scored.samples],
        }
    )
    return pd.concat([base, scored.per_sample.reset_index(drop=True)], axis=1)


def sample_records(scored: ScoredRun) -> list[SampleRecord]:
    records = []
    scores = scored.per_sample.to_dict(orient="records")
    for i, sample in enumerate(scored.samples):
        records.append(
            SampleRecord(
                id=sample.id,
                findings=sample.findings,
                reference=sample.reference,
                prediction=sample.prediction,
                scores={k: (None if v != v else float(v)) for k, v in scores[i].items()},
                explanations={name: values[i] for name, values in scored.explanations.items() if values[i] is not None},
            )
        )
    return records


def write_evaluation(evaluation: Evaluation, scored: ScoredRun, folder: Path) -> None:
    evaluation.samples_path = write_jsonl(folder / "samples.jsonl", sample_records(scored))
    evaluation.results_path = write_json(folder / "results.json", evaluation.result)
