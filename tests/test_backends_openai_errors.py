"""The openai backend against scripted loopback servers: refused, timing out, failing then recovering."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rgro_bench.cli import main
from rgro_bench.models import GenerationArgs, GenerationRequest, load_model, openai_backend
from rgro_bench.tasks import build_prompts, get_task


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Script:
    """What the fake server does: whether /models waits for ``release`` before answering, how many
    completions fail with 503 first; it counts the /models requests it answered."""

    def __init__(self, stall: bool = False, failures: int = 0) -> None:
        self.failures, self.posts, self.answered = failures, 0, 0
        self.release = threading.Event()
        if not stall:
            self.release.set()


@pytest.fixture
def server():
    started: list[ThreadingHTTPServer] = []

    def start(script: Script) -> str:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # the client may have given up already (the timeout test)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def do_GET(self):
                script.release.wait(timeout=60)
                script.answered += 1
                self._send(200, {"data": [{"id": "tiny"}]})

            def do_POST(self):
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                script.posts += 1
                if script.posts <= script.failures:
                    self._send(503, {"error": {"message": "overloaded"}})
                    return
                self._send(
                    200,
                    {
                        "choices": [{"text": f"echo {request['prompt'][-12:]}", "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 3, "completion_tokens": 2},
                    },
                )

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        started.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/v1"

    yield start
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def no_backoff(monkeypatch):
    monkeypatch.setattr(openai_backend, "BACKOFF_SECONDS", 0.0)


def requests(n: int) -> list[GenerationRequest]:
    task = get_task("iu-xray")
    studies = task.studies()[:n]
    return [GenerationRequest(s, p) for s, p in zip(studies, build_prompts(task.spec.prompt, studies, []), strict=True)]


def test_refused_connection_is_one_line_after_the_retries(capsys, no_backoff):
    url = f"http://127.0.0.1:{free_port()}/v1#tiny"
    code = main(
        [
            "run",
            "--model",
            f"openai:{url}",
            "--model-args",
            "retries=1",
            "--task",
            "iu-xray",
            "--limit",
            "2",
            "--no-store",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "cannot connect (connection refused) after 2 attempts" in err and "Traceback" not in err


def test_a_server_that_does_not_answer_times_out(server, no_backoff):
    script = Script(stall=True)  # answers only once released, so nothing here depends on the clock
    url = server(script)
    with pytest.raises(openai_backend.ServerError, match=r"no answer within 0\.3 s after 1 attempts"):
        load_model(f"openai:{url}#tiny", options={"timeout": "0.3", "retries": "0"})
    assert script.answered == 0  # it gave up on its own timeout, before the server said anything
    script.release.set()


def test_transient_503s_are_retried_and_the_run_completes(server, no_backoff):
    script = Script(failures=2)
    model = load_model(
        f"openai:{server(script)}#tiny", options={"retries": "3", "concurrency": "1", "chat_template": "off"}
    )
    batch = requests(3)
    texts = model.generate(batch, GenerationArgs(max_new_tokens=8))
    model.close()
    assert texts == [f"echo {r.prompt.text[-12:]}" for r in batch]
    assert script.posts == 3 + 2  # two refused attempts, then one answer per prompt


def test_persistent_errors_give_up_with_the_server_message(server, no_backoff):
    model = load_model(f"openai:{server(Script(failures=99))}#tiny", options={"retries": "1", "chat_template": "off"})
    with pytest.raises(openai_backend.ServerError, match="HTTP 503: overloaded after 2 attempts"):
        model.generate(requests(1), GenerationArgs(max_new_tokens=8))
    model.close()
