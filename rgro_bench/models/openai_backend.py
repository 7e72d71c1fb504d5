"""``openai:BASE_URL#MODEL``: any OpenAI-compatible server (a ``vllm serve`` fleet, for instance).

Options: chat_template (auto/on -> ``/chat/completions`` with the prompt's messages; off ->
``/completions`` with its plain text), system_prompt, concurrency (8 requests in flight), retries (3,
exponential backoff on connection errors, timeouts, 429 and 5xx), timeout (120 s per request),
batch_size (prompts per committed chunk, default 4 x concurrency), api_key_env (the variable holding
the key, OPENAI_API_KEY; the key never enters results or the store), revision (a label of the weights
behind the name, recorded in the identity), and the generation overrides.
Without ``#MODEL`` the server's only model is used.

The identity (the generation store's key) holds the URL, the name, ``revision`` and what ``/v1/models``
reports about the served model (id, owned_by, root, max_model_len): a different model served
under the same name is a different model, unless the server reports nothing that tells them apart, in
which case ``revision=`` must.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rgro_bench.errors import ConfigError, RgroError
from rgro_bench.models.backend import Backend, BackendOptions, truncate_at_stop, with_system_prompt
from rgro_bench.models.base import BACKENDS, Batch, Generation, GenerationArgs, GenerationRequest, ModelContext

ACCEPTS = (
    "batch_size",
    "chat_template",
    "system_prompt",
    "concurrency",
    "retries",
    "timeout",
    "api_key_env",
    "revision",
)
#: the fields of a ``/v1/models`` entry that tell one served model from another (vLLM reports all of them).
#: Not ``created``: vLLM fills it with the time of the request, so it would make every run a new model.
SERVED_FIELDS = ("id", "owned_by", "root", "max_model_len")
RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}
BACKOFF_SECONDS = 0.5


class ServerError(RgroError):
    """The server refused, timed out or answered with an error."""


class OpenAIModel(Backend):
    kind = "openai"

    def __init__(self, target: str, options: dict[str, str]) -> None:
        import httpx

        self.spec = f"openai:{target}"
        self.options, self.generation_overrides = BackendOptions.parse(self.spec, options, ACCEPTS)
        base_url, _, model = target.partition("#")
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"{self.spec}: expected openai:BASE_URL#MODEL, e.g. openai:http://127.0.0.1:8000/v1#name")
        self.base_url = base_url.rstrip("/")
        self.chat = self.options.chat_template != "off"
        headers = {}
        if key := os.environ.get(self.options.api_key_env):
            headers["Authorization"] = f"Bearer {key}"
        limits = httpx.Limits(max_connections=self.options.concurrency)
        self.client = httpx.Client(base_url=self.base_url, headers=headers, timeout=self.options.timeout, limits=limits)
        self.model, self.served = self._check_model(model)
        self.batch_size = self.options.batch_size or 4 * self.options.concurrency

    def identity(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "base_url": self.base_url,
            "model": self.model,
            "api": "chat" if self.chat else "completions",
            "system_prompt": self.options.system_prompt,
            "revision": self.options.revision,
            "served": self.served,
        }

    def _check_model(self, model: str) -> tuple[str, dict[str, Any]]:
        """Reach the server before the run (a refused connection fails here, in one line) and check the name.
        Returns the name and what the server reports about that model."""
        data = self._request("GET", "/models").get("data", [])
        entries = [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []
        listed = [m.get("id") for m in entries]
        if not model and len(listed) == 1:
            model = str(listed[0])
        if model and (model in listed or not listed):
            entry = next((m for m in entries if m.get("id") == model), {})
            return model, {k: entry[k] for k in SERVED_FIELDS if isinstance(entry.get(k), (str, int, float))}
        wanted = f"{model!r} is not among" if model else "name one of"
        raise ConfigError(f"{self.spec}: {wanted} the served models: {', '.join(map(str, listed)) or 'none'}")

    def _request(self, method: str, path: str, body: dict | None = None) -> dict:
        import httpx

        attempts = self.options.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self.client.request(method, path, json=body)
            except httpx.TimeoutException:
                problem = f"no answer within {self.options.timeout:g} s"
            except httpx.TransportError as exc:
                problem = f"cannot connect ({_reason(exc)})"
            else:
                if response.status_code < 400:
                    return self._json(response, method, path)
                problem = f"HTTP {response.status_code}: {_server_message(response)}"
                if response.status_code not in RETRY_STATUS:
                    raise ServerError(f"{self.spec}: {method} {self.base_url}{path}: {problem}")
            if last:
                raise ServerError(f"{self.spec}: {method} {self.base_url}{path}: {problem} after {attempts} attempts")
            time.sleep(BACKOFF_SECONDS * 2**attempt)
        raise AssertionError("unreachable")

    def _json(self, response: Any, method: str, path: str) -> dict:
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            shown = " ".join(response.text.split())[:100]
            raise ServerError(
                f"{self.spec}: {method} {self.base_url}{path}: answer is not a JSON object ({shown!r}); "
                "expected an OpenAI-compatible server"
            )
        return answer

    def _body(self, request: GenerationRequest, args: GenerationArgs) -> tuple[str, dict]:
        prompt = with_system_prompt(request.prompt, self.options.system_prompt)
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": args.max_new_tokens,
            "temperature": args.temperature,
            "top_p": args.top_p if args.temperature > 0 else 1.0,
            "seed": args.seed,
        }
        if args.stop:
            body["stop"] = list(args.stop)
        if self.chat:
            return "/chat/completions", {**body, "messages": list(prompt.messages)}
        return "/completions", {**body, "prompt": prompt.text}

    def _one(self, request: GenerationRequest, args: GenerationArgs) -> Generation:
        path, body = self._body(request, args)
        answer = self._request("POST", path, body)
        try:
            choice = answer["choices"][0]
            text = choice["message"]["content"] if self.chat else choice["text"]
            if text is not None and not isinstance(text, str):
                raise TypeError
        except (KeyError, IndexError, TypeError):
            raise ServerError(
                f"{self.spec}: POST {self.base_url}{path}: answer without choices[0] text: {str(answer)[:200]}"
            ) from None
        usage = answer.get("usage") or {}
        return Generation(
            text=truncate_at_stop(text or "", args.stop),
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            finish_reason=choice.get("finish_reason"),
        )

    def iter_batches(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> Iterator[Batch]:
        with ThreadPoolExecutor(max_workers=self.options.concurrency, thread_name_prefix="openai") as pool:
            for start in range(0, len(requests), self.batch_size):
                chunk = requests[start : start + self.batch_size]
                generations = list(pool.map(lambda r: self._one(r, args), chunk))
                yield [(start + j, g) for j, g in enumerate(generations)]

    def close(self) -> None:
        self.client.close()


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    if "refused" in text.lower():
        return "connection refused"
    return text.splitlines()[-1][:200] if text else type(exc).__name__


def _server_message(response: Any) -> str:
    try:
        body = response.json()
        error = body.get("error", body) if isinstance(body, dict) else body
        message = error.get("message") if isinstance(error, dict) else error
    except ValueError:
        message = response.text
    return " ".join(str(message).split())[:300]


@BACKENDS.register("openai")
def _factory(target: str, context: ModelContext) -> OpenAIModel:
    return OpenAIModel(target, context.options)
