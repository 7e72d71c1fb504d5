"""The generation store and the generation loop over it, with a counting fake backend (no model)."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from rgro_bench.errors import ConfigError, DataError, RgroError
from rgro_bench.models.backend import Backend, BackendOptions, truncate_at_stop, with_system_prompt
from rgro_bench.models.base import Generation, GenerationArgs, GenerationRequest
from rgro_bench.models.identity import folder_identity, resolve_model
from rgro_bench.runner import evaluate
from rgro_bench.store import CachingModel, GenerationStore, generate
from rgro_bench.store.rescore import StoredModel
from rgro_bench.tasks import build_prompts, get_task


class Echo(Backend):
    """Generates the first words of the findings, in batches of two, and counts what it was asked."""

    kind = "fake"

    def __init__(self, fail_after: int | None = None) -> None:
        self.spec = "fake:echo"
        self.generation_overrides = {}
        self.asked: list[str] = []
        self.fail_after = fail_after

    def identity(self):
        return {"kind": self.kind, "version": 1}

    def iter_batches(self, requests, args):
        for start in range(0, len(requests), 2):
            if self.fail_after is not None and start >= self.fail_after:
                raise RuntimeError("killed")
            chunk = requests[start : start + 2]
            self.asked += [r.study.id for r in chunk]
            yield [
                (start + j, Generation(" ".join(r.study.findings.split()[:4]), 5, 4, "stop"))
                for j, r in enumerate(chunk)
            ]


@pytest.fixture(scope="module")
def requests():
    task = get_task("iu-xray")
    studies = task.studies("test")[:10]
    prompts = build_prompts(task.spec.prompt, studies, [])
    return [GenerationRequest(s, p) for s, p in zip(studies, prompts, strict=True)]


ARGS = GenerationArgs(max_new_tokens=8)


def test_store_generates_only_missing_prompts(tmp_path, requests):
    path = tmp_path / "g.sqlite"
    first = Echo()
    with GenerationStore(path) as store:
        texts, stats = generate(first, requests[:4], ARGS, store)
    assert first.asked == [r.study.id for r in requests[:4]] and stats.generated == 4 and stats.completion_tokens == 16
    second = Echo()
    with GenerationStore(path) as store:
        again, stats = generate(second, requests, ARGS, store)
    assert second.asked == [r.study.id for r in requests[4:]]
    assert (stats.reused, stats.generated) == (4, 6)
    assert again[:4] == texts and again == Echo().generate(requests, ARGS)
    other_args = Echo()
    with GenerationStore(path) as store:
        generate(other_args, requests[:2], GenerationArgs(max_new_tokens=9), store)
        assert store.count() == 12  # new arguments are a new key
    assert len(other_args.asked) == 2


def test_identical_prompts_are_generated_once(tmp_path, requests):
    model = Echo()
    texts, stats = generate(model, [requests[0], requests[1], requests[0]], ARGS, tmp_path / "g.sqlite")
    assert model.asked == [requests[0].study.id, requests[1].study.id]
    assert texts[0] == texts[2] and stats.prompts == 3


def test_a_failed_run_keeps_committed_batches(tmp_path, requests):
    path = tmp_path / "g.sqlite"
    with pytest.raises(RuntimeError), GenerationStore(path) as store:
        generate(Echo(fail_after=4), requests, ARGS, store)
    with GenerationStore(path) as store:
        assert store.count() == 4
        rows = store.conn.execute("SELECT writer, created_at FROM generations").fetchall()
        resumed = Echo()
        generate(resumed, requests, ARGS, store)
        assert resumed.asked == [r.study.id for r in requests[4:]]
        # rows are never replaced: the first run's rows keep their writer and time
        kept = store.conn.execute("SELECT writer, created_at FROM generations ORDER BY created_at LIMIT 4").fetchall()
        assert sorted(kept) == sorted(rows) and store.count() == 10


def test_wal_mode_and_concurrent_reader(tmp_path, requests):
    path = tmp_path / "g.sqlite"
    with GenerationStore(path) as store:
        generate(Echo(), requests[:2], ARGS, store)
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        store.conn.execute("BEGIN IMMEDIATE")  # a writer holds the write lock ...
        store.conn.execute("DELETE FROM generations")
        seen = []
        reader = threading.Thread(
            target=lambda: seen.append(sqlite3.connect(path).execute("SELECT COUNT(*) FROM generations").fetchone()[0])
        )
        reader.start()
        reader.join(10)
        store.conn.rollback()
    assert seen == [2]  # ... and a reader still sees the last committed state, unblocked


def test_baselines_bypass_the_store(tmp_path):
    evaluation = evaluate("baseline:lead-1", "iu-xray", limit=3, output_dir=tmp_path, metrics=["rouge"])
    assert not (tmp_path / "generations.sqlite").exists() and evaluation.generation.generated == 3


def test_stored_model_rescores_and_names_what_is_missing(tmp_path):
    path = tmp_path / "g.sqlite"
    run = evaluate(Echo(), "iu-xray", limit=6, output_dir=tmp_path / "runs", metrics=["rouge"], store=path)
    with GenerationStore(path) as store:
        stored = StoredModel("fake:echo", "fake", Echo().identity(), store)
        again = evaluate(stored, "iu-xray", limit=6, output_dir=None, metrics=["rouge"], store=store)
        assert again.samples["prediction"].tolist() == run.samples["prediction"].tolist()
        assert again.result.metrics["rougeL"].value == run.result.metrics["rougeL"].value
        assert again.generation.generated == 0 and again.generation.reused == 6
        with pytest.raises(DataError, match="no generation of fake:echo for 1 prompt"):
            evaluate(stored, "iu-xray", limit=7, output_dir=None, metrics=["rouge"], store=store)


def test_folder_identity_hash_is_cached_and_follows_content(tmp_path, monkeypatch):
    monkeypatch.setenv("RGRO_BENCH_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"weights-1")
    (folder / "config.json").write_text("{}")
    first = folder_identity(folder)
    calls = []
    import rgro_bench.models.identity as identity

    real = identity.file_sha256
    monkeypatch.setattr(identity, "file_sha256", lambda p: calls.append(p.name) or real(p))
    assert folder_identity(folder) == first and calls == []  # warm: no file read
    (folder / "model.safetensors").write_bytes(b"weights-2")
    changed = folder_identity(folder)
    assert changed["weights_sha256"] != first["weights_sha256"] and calls == ["model.safetensors"]


def test_model_resolution_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_model("hf:/no/such/dir", "/no/such/dir")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no weights file"):
        resolve_model("hf:x", str(tmp_path / "empty"))


def test_backend_options_are_typed_and_checked():
    options, generation = BackendOptions.parse(
        "hf:x",
        {"batch_size": "4", "trust_remote_code": "yes", "max_tokens": "7", "temperature": "0.5"},
        ("batch_size", "trust_remote_code"),
    )
    assert options.batch_size == 4 and options.trust_remote_code is True
    assert generation == {"max_new_tokens": 7, "temperature": 0.5}
    assert BackendOptions().trust_remote_code is False
    with pytest.raises(ConfigError, match="unknown model option 'concurrency'"):
        BackendOptions.parse("hf:x", {"concurrency": "2"}, ("batch_size",))
    with pytest.raises(ConfigError, match=r"batch_size='many'; expected int"):
        BackendOptions.parse("hf:x", {"batch_size": "many"}, ("batch_size",))
    with pytest.raises(ConfigError, match="chat_template='maybe'"):
        BackendOptions.parse("hf:x", {"chat_template": "maybe"}, ("chat_template",))


def test_prompt_helpers(requests):
    prompt = with_system_prompt(requests[0].prompt, "Be brief.")
    assert prompt.messages[0] == {"role": "system", "content": "Be brief."}
    assert prompt.text.startswith("Be brief.\n\n") and "You are a radiologist" not in prompt.text
    assert truncate_at_stop("No effusion.\n\nFINDINGS: x", ["\n\n", "FINDINGS"]) == "No effusion."


def test_missing_store_for_rescore_is_one_line(tmp_path):
    with pytest.raises(RgroError, match="does not exist"):
        GenerationStore(tmp_path / "none.sqlite", create=False)


def test_caching_model_is_a_model_in_front_of_another(tmp_path, requests):
    with GenerationStore(tmp_path / "g.sqlite") as store:
        inner = Echo()
        cached = CachingModel(inner, store)
        assert (cached.spec, cached.kind, cached.identity()) == (inner.spec, inner.kind, inner.identity())
        first = cached.generate(requests[:4], ARGS)
        assert cached.stats.generated == 4 and inner.asked == [r.study.id for r in requests[:4]]
        again = CachingModel(Echo(), store)
        assert again.generate(requests[:4], ARGS) == first and again.stats.reused == 4 and again.model.asked == []
