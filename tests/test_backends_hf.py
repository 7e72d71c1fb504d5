"""The transformers backend on the tiny Llama: batching, chat templates, kill -9 resume, rescore without
the model, one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from backend_models import sharp_model_dir  # noqa: F401  (fixture)

from rgro_bench.cli import main
from rgro_bench.models import GenerationArgs, GenerationRequest, load_model
from rgro_bench.tasks import build_prompts, get_task

ARGS = GenerationArgs(max_new_tokens=12)


@pytest.fixture(scope="module")
def requests():
    task = get_task("iu-xray")
    studies = task.studies("test")[:6]
    return [GenerationRequest(s, p) for s, p in zip(studies, build_prompts(task.spec.prompt, studies, []), strict=True)]


@pytest.fixture(scope="module")
def hf_model(sharp_model_dir):  # noqa: F811
    model = load_model(f"hf:{sharp_model_dir}", options={"batch_size": "4"})
    yield model
    model.close()


def test_batched_left_padded_generation_equals_one_by_one(hf_model, requests):
    batched = hf_model.generate(requests, ARGS)
    one_by_one = [hf_model.generate([r], ARGS)[0] for r in requests]
    assert batched == one_by_one
    assert len(set(batched)) > 1 and all(batched)  # distinct, non-empty impressions: the check has teeth


def test_generation_details_and_identity(hf_model, requests, sharp_model_dir):  # noqa: F811
    batch = next(hf_model.iter_batches(requests[:2], ARGS))
    assert sorted(i for i, _ in batch) == [0, 1]
    for _, g in batch:
        assert g.completion_tokens == 12 and g.finish_reason == "length" and g.prompt_tokens > 20
    identity = hf_model.identity()
    assert identity["path"] == str(Path(sharp_model_dir).resolve()) and len(identity["weights_sha256"]) == 64
    assert identity["dtype"] == "float32" and identity["chat_template"] is False


def test_chat_template_is_used_when_the_tokenizer_has_one(sharp_model_dir, tmp_path, requests):  # noqa: F811
    folder = shutil.copytree(sharp_model_dir, tmp_path / "chat")
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config["chat_template"] = "{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}<assistant>"
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    chat = load_model(f"hf:{folder}", options={"system_prompt": "Be brief."})
    plain = load_model(f"hf:{folder}", options={"chat_template": "off"})
    text = chat.tokenizer.decode(chat.encode(requests[:1])[0])
    assert text.startswith("<system>Be brief.\n<user>Summarize") and text.endswith("<assistant>")
    assert plain.tokenizer.decode(plain.encode(requests[:1])[0]) == requests[0].prompt.text
    assert chat.identity()["chat_template"] is True and chat.identity() != plain.identity()
    with pytest.raises(Exception, match="chat_template=on but the tokenizer has no chat template"):
        load_model(f"hf:{sharp_model_dir}", options={"chat_template": "on"})


def run_command(model_dir: Path, out: Path, limit: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "rgro_bench.cli",
        "run",
        "--model",
        f"hf:{model_dir}",
        "--task",
        "iu-xray",
        "--limit",
        str(limit),
        "--max-new-tokens",
        "12",
        "--model-args",
        "batch_size=1",
        "--metrics",
        "rouge",
        "--output-dir",
        str(out),
    ]


def store_rows(path: Path) -> dict[str, tuple[str, float]]:
    try:
        with sqlite3.connect(path) as conn:
            return {k: (w, t) for k, w, t in conn.execute("SELECT prompt_key, writer, created_at FROM generations")}
    except sqlite3.OperationalError:  # not created yet
        return {}


#: the CLI, killed with SIGKILL by itself right after its KILL_AFTER-th committed batch: a kill -9 at a
#: known point, so the test never races the generation it interrupts
KILL_AFTER = 3
KILLED_CLI = f"""
import os, signal, sys
from rgro_bench.store.sqlite import GenerationStore
insert, done = GenerationStore.insert, []
def insert_then_die(self, *args, **kwargs):
    out = insert(self, *args, **kwargs)
    done.append(out)
    if len(done) == {KILL_AFTER}:
        os.kill(os.getpid(), signal.SIGKILL)
    return out
GenerationStore.insert = insert_then_die
from rgro_bench.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_kill_9_then_resume_generates_each_prompt_once(sharp_model_dir, tmp_path):  # noqa: F811
    limit, out = 10, tmp_path / "killed"
    env = {**os.environ, "RGRO_BENCH_STORE": ""}
    env.pop("RGRO_BENCH_STORE")
    command = run_command(sharp_model_dir, out, limit)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_CLI, *command[3:]], env=env, capture_output=True, text=True, timeout=600
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    before = store_rows(out / "generations.sqlite")
    assert len(before) == KILL_AFTER  # batch_size=1: one generation per committed batch

    resumed = subprocess.run(
        run_command(sharp_model_dir, out, limit), env=env, capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"{limit - len(before)} generated, {len(before)} from the store" in resumed.stdout
    after = store_rows(out / "generations.sqlite")
    assert len(after) == limit and all(after[k] == v for k, v in before.items())
    assert len({w for k, (w, _) in after.items() if k not in before}) == 1  # the rest: one writer, the rerun

    clean = subprocess.run(
        run_command(sharp_model_dir, tmp_path / "clean", limit), env=env, capture_output=True, text=True, timeout=600
    )
    assert clean.returncode == 0, clean.stderr[-2000:]
    [killed_dir] = (out / "iu-xray").iterdir()
    [clean_dir] = (tmp_path / "clean" / "iu-xray").iterdir()
    assert (killed_dir / "samples.jsonl").read_text() == (clean_dir / "samples.jsonl").read_text()
    metrics = [json.loads((d / "results.json").read_text())["metrics"] for d in (killed_dir, clean_dir)]
    assert metrics[0] == metrics[1]


def test_rescore_after_the_model_folder_is_deleted(sharp_model_dir, tmp_path, capsys):  # noqa: F811
    folder = shutil.copytree(sharp_model_dir, tmp_path / "model")
    out = tmp_path / "runs"
    assert (
        main(
            [
                "run",
                "--model",
                f"hf:{folder}",
                "--task",
                "iu-xray",
                "--limit",
                "4",
                "--max-new-tokens",
                "12",
                "--metrics",
                "rouge",
                "--output-dir",
                str(out),
            ]
        )
        == 0
    )
    [run_dir] = (out / "iu-xray").iterdir()
    before = (run_dir / "samples.jsonl").read_text()
    shutil.rmtree(folder)
    capsys.readouterr()
    assert main(["rescore", "--run", str(run_dir), "--metrics", "rouge,length"]) == 0
    assert "4 stored generations, none generated" in capsys.readouterr().out
    rescored = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    assert [r["prediction"] for r in rescored] == [json.loads(line)["prediction"] for line in before.splitlines()]
    assert "words" in rescored[0]["scores"]  # the new metric was computed on the stored generations
    assert (
        main(
            [
                "rescore",
                "--model",
                f"hf:{folder}",
                "--task",
                "iu-xray",
                "--limit",
                "4",
                "--max-new-tokens",
                "12",
                "--metrics",
                "rouge",
                "--output-dir",
                str(out),
            ]
        )
        == 0
    )
    assert main(["run", "--model", f"hf:{folder}", "--task", "iu-xray", "--limit", "1", "--output-dir", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("spec", "args", "message"),
    [
        ("hf", "", "expected KIND:TARGET"),
        ("hf:./missing-model-folder", "", "does not exist"),
        ("hf:{model}", "batch_size=0", "batch_size=0; expected a positive integer"),
        ("hf:{model}", "flash=yes", "unknown model option 'flash'"),
        ("nosuch:x", "", "unknown model kind 'nosuch'"),
    ],
)
def test_bad_specs_are_one_line_errors(spec, args, message, sharp_model_dir, tmp_path, capsys):  # noqa: F811
    code = main(
        [
            "run",
            "--model",
            spec.format(model=sharp_model_dir),
            "--model-args",
            args,
            "--task",
            "iu-xray",
            "--limit",
            "1",
            "--output-dir",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: ") and message in err[0]
