"""The bad-input corpus (issue 16): one parametrised test per input class, each asserting the exact
one-line error (or the correct acceptance), and Hypothesis round trips of arbitrary Unicode through
load -> score -> submit -> build -> read-back."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import tarfile
import zipfile

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from leaderboard_support import write_submission

from rgro_bench.cli import main
from rgro_bench.data.loaders import load_records
from rgro_bench.errors import DataError
from rgro_bench.jsonl import read_jsonl, text_problem, write_jsonl
from rgro_bench.leaderboard import SubmissionError, submit_path, submit_predictions
from rgro_bench.leaderboard.build import build_tables
from rgro_bench.leaderboard.contamination import split_ids
from rgro_bench.leaderboard.intake import read_submission
from rgro_bench.leaderboard.layout import Layout
from rgro_bench.leaderboard.render import csv_text
from rgro_bench.leaderboard.submit import score_credentialed
from rgro_bench.metrics.base import Sample, get_metric
from rgro_bench.predictions_jsonl import read_predictions
from rgro_bench.store.sqlite import GenerationStore
from rgro_bench.tasks import registry

FINDINGS = ["Heart size normal. Lungs clear.", "Small left pleural effusion.", "Mild cardiomegaly. No edema."]
IMPRESSIONS = ["No acute disease.", "Left effusion.", "Cardiomegaly."]
CARD = {"name": "bad-input-tester", "authors": ["A. Tester"]}


def clear_task_caches() -> None:
    for cached in (registry._catalogue, registry._load_task, split_ids):
        cached.cache_clear()


@pytest.fixture
def tasks_dir(tmp_path, monkeypatch):
    """A tasks folder on RGRO_BENCH_TASKS holding 'tiny' (public, three studies, cheap metrics) and
    'tiny-cred' (credentialed, RadSum23 layout)."""
    folder = tmp_path / "tasks"
    folder.mkdir()
    rows = [
        {"id": f"s{k}", "findings": f, "impression": i}
        for k, (f, i) in enumerate(zip(FINDINGS, IMPRESSIONS, strict=True))
    ]
    (folder / "tiny.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    write_task(folder / "tiny.yaml", "tiny", "tiny.jsonl")
    radsum = folder / "radsum"
    radsum.mkdir()
    (radsum / "test.findings.tok").write_text("\n".join(FINDINGS) + "\n")
    (radsum / "test.impression.tok").write_text("\n".join(IMPRESSIONS) + "\n")
    spec = task_spec("tiny-cred", str(radsum)) | {"split": {"method": "files", "eval_split": "test"}}
    spec["data"] |= {"format": "radsum", "credentialed": True}
    (folder / "tiny-cred.yaml").write_text(yaml.safe_dump(spec))
    monkeypatch.setenv("RGRO_BENCH_TASKS", str(folder))
    clear_task_caches()
    yield folder
    monkeypatch.delenv("RGRO_BENCH_TASKS")
    clear_task_caches()


def task_spec(task_id: str, data: str, template: str = "{{ findings }}") -> dict:
    return {
        "id": task_id,
        "version": "1",
        "data": {"path": data},
        "split": {"method": "none", "eval_split": "test"},
        "prompt": {"template": template},
        "metrics": ["rouge", "length"],
        "primary_metric": "rougeL",
    }


def write_task(path, task_id: str, data: str, template: str = "{{ findings }}") -> str:
    path.write_text(yaml.safe_dump(task_spec(task_id, data, template)))
    return str(path)


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def messages(err: str) -> list[str]:
    """The CLI's own lines on stderr (progress bars share it)."""
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.startswith(("error: ", "warning: "))]


def one_line_error(capsys, *args: str) -> str:
    code, _, err = cli(capsys, *args)
    lines = messages(err)
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0].removeprefix("error: ")


# --- task data ----------------------------------------------------------------------------------------

TASK_DATA = {
    "list findings": ('{"id": "1", "findings": ["a", "b"], "impression": "x"}', "row 1: column 'findings' is a list"),
    "number findings": ('{"id": "1", "findings": 3.5, "impression": "x"}', "row 1: column 'findings' is a number"),
    "bool impression": ('{"id": "1", "findings": "a", "impression": true}', "row 1: column 'impression' is a boolean"),
    "object id": ('{"id": {"a": 1}, "findings": "a", "impression": "x"}', "row 1: column 'id' is an object"),
    "NUL in findings": ('{"id": "1", "findings": "a\\u0000b", "impression": "x"}', "line 1: contains a NUL character"),
    "lone surrogate": ('{"id": "1", "findings": "a\\ud800b", "impression": "x"}', "line 1: contains a lone surrogate"),
    "raw NUL byte": ('{"id": "1", "findings": "a\x00b", "impression": "x"}', "line 1: invalid JSON"),
}


@pytest.mark.parametrize("case", list(TASK_DATA))
def test_task_data_cells_of_the_wrong_kind_are_refused(tmp_path, capsys, case):
    line, expected = TASK_DATA[case]
    (tmp_path / "d.jsonl").write_text(line + "\n", encoding="utf-8")
    task = write_task(tmp_path / "t.yaml", "t", "d.jsonl")
    message = one_line_error(capsys, "run", "--model", "baseline:lead-2", "--task", task, "--no-store")
    assert message.startswith(f"{tmp_path / 'd.jsonl'}: ") and expected in message


def test_bytes_cells_of_a_parquet_file_are_refused(tmp_path, capsys):
    import pandas as pd

    pd.DataFrame({"id": [1], "findings": [b"Normal chest."], "impression": ["Normal."]}).to_parquet(tmp_path / "d.pq")
    task = write_task(tmp_path / "t.yaml", "t", "d.pq")
    message = one_line_error(capsys, "run", "--model", "baseline:lead-2", "--task", task, "--no-store")
    assert message == f"{tmp_path / 'd.pq'}: row 1: column 'findings' is bytes; expected a string"


@pytest.mark.parametrize("separator", ["\u2028", "\u0085", "\u2029", "\x0c", "\x1c"])
def test_line_separators_inside_jsonl_strings_are_text(tmp_path, separator):
    rows = [{"id": 7, "findings": f"Heart normal.{separator}Lungs clear.", "impression": "Normal."}]
    (tmp_path / "d.jsonl").write_text(json.dumps(rows[0], ensure_ascii=False) + "\r\n", encoding="utf-8")
    (study,) = load_records(tmp_path / "d.jsonl")
    assert study.id == "7" and study.findings.startswith("Heart normal.") and study.findings.endswith("Lungs clear.")


def test_radsum_lines_split_on_newlines_only(tasks_dir):
    tok = tasks_dir / "radsum" / "test.findings.tok"
    tok.write_text("\n".join([FINDINGS[0] + "\u2028more", *FINDINGS[1:]]) + "\n")
    clear_task_caches()
    from rgro_bench.tasks import get_task

    assert len(get_task("tiny-cred").studies()) == 3


# --- task YAML --------------------------------------------------------------------------------------

ESCAPES = {
    "globals": "{{ cycler.__init__.__globals__.os.popen('touch PWNED').read() }}",
    "class walk": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "mutation": "{% set x = [] %}{{ x.append(1) }}",
}


@pytest.mark.parametrize("case", list(ESCAPES))
def test_template_escapes_are_refused_in_one_line(tmp_path, capsys, case, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text("id,findings,impression\n1,Heart normal.,Normal.\n")
    task = write_task(tmp_path / "evil.yaml", "evil", "d.csv", template=ESCAPES[case] + " {{ findings }}")
    message = one_line_error(capsys, "run", "--model", "baseline:lead-2", "--task", task, "--no-store")
    assert message.startswith(f"{task}: prompt.template: refused by the template sandbox (")
    assert message.endswith("); expected plain formatting")
    assert not (tmp_path / "PWNED").exists()


def test_one_bad_yaml_does_not_block_the_other_tasks(tasks_dir, capsys):
    (tasks_dir / "broken.yaml").write_text("id: [unclosed\n")
    clear_task_caches()
    code, _, err = cli(capsys, "run", "--model", "baseline:lead-2", "--task", "tiny", "--no-store")
    assert code == 0, err
    message = one_line_error(capsys, "run", "--model", "baseline:lead-2", "--task", "nope", "--no-store")
    assert (
        "unknown task 'nope'" in message
        and f"first: {tasks_dir / 'broken.yaml'}: line 2, column 1: invalid YAML" in message
    )


def test_a_task_id_declared_twice_names_both_files(tasks_dir, capsys):
    write_task(tasks_dir / "zz-copy.yaml", "tiny", "tiny.jsonl")
    clear_task_caches()
    message = one_line_error(capsys, "run", "--model", "baseline:lead-2", "--task", "tiny", "--no-store")
    assert message == (
        f"task id 'tiny' is declared by both {tasks_dir / 'tiny.yaml'} and {tasks_dir / 'zz-copy.yaml'}; "
        "expected each id in one task file"
    )


# --- predictions files (predictions:FILE) -----------------------------------------------------------

PREDICTIONS = {
    "NUL": ('{"id": "s0", "prediction": "a\\u0000"}', "line 1: contains a NUL character (U+0000); expected text"),
    "surrogate": ('{"id": "s0", "prediction": "\\udc00"}', "line 1: contains a lone surrogate (U+DC00)"),
    "list id": ('{"id": ["s0"], "prediction": "x"}', "line 1: 'id' must be a string, got list"),
}


@pytest.mark.parametrize("case", list(PREDICTIONS))
def test_predictions_files_refuse_bad_lines(tasks_dir, tmp_path, capsys, case):
    line, expected = PREDICTIONS[case]
    path = tmp_path / "p.jsonl"
    path.write_text(line + "\n")
    spec = f"predictions:{path}"
    message = one_line_error(capsys, "run", "--model", spec, "--model-args", "allow_partial=1", "--task", "tiny")
    assert message.startswith(f"{path}: {expected}")


def test_predictions_with_u2028_are_read_whole(tasks_dir, tmp_path, capsys):
    path = tmp_path / "p.jsonl"
    rows = [{"id": f"s{k}", "prediction": f"Normal.\u2028Line {k}\u0085."} for k in range(3)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    code, out, err = cli(capsys, "run", "--model", f"predictions:{path}", "--task", "tiny", "--no-store")
    assert code == 0, err and "n=3" in out


# --- submissions ------------------------------------------------------------------------------------


def predictions_of(text: str) -> dict[str, dict[str, str]]:
    return {"tiny": {f"s{k}": text for k in range(3)}}


SUBMITTED = {
    ".": "predictions/tiny.jsonl: line 1: 'prediction' for id 's0' has no letters or digits; expected the impression text",
    " ": "predictions/tiny.jsonl: line 1: 'prediction' for id 's0' is empty; expected the impression text",
    "\u2014 ...": "predictions/tiny.jsonl: line 1: 'prediction' for id 's0' has no letters or digits; "
    "expected the impression text",
    "ok\x00": "predictions/tiny.jsonl: line 1: contains a NUL character (U+0000); expected text",
    "ok\ud800": "predictions/tiny.jsonl: line 1: contains a lone surrogate (U+D800); expected valid Unicode text",
}


@pytest.mark.parametrize("text", list(SUBMITTED), ids=["dot", "blank", "dash", "nul", "surrogate"])
def test_submitted_predictions_that_say_nothing_or_cannot_be_stored_are_refused(tasks_dir, tmp_path, text):
    folder = write_submission(tmp_path / "sub", CARD)
    lines = [json.dumps({"id": f"s{k}", "prediction": text}) for k in range(3)]
    (folder / "predictions" / "tiny.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(SubmissionError) as refused:
        submit_path(tmp_path / "lb", folder)
    assert refused.value.errors[0] == SUBMITTED[text]
    assert not (tmp_path / "lb" / "submissions").exists()


def test_a_symlink_out_of_the_submission_is_refused_without_echoing_it(tasks_dir, tmp_path):
    secret = tmp_path / "secret.jsonl"
    secret.write_text("TOP-SECRET-CONTENT\n")
    folder = write_submission(tmp_path / "sub", CARD)
    (folder / "predictions" / "tiny.jsonl").symlink_to(secret)
    with pytest.raises(SubmissionError) as refused:
        submit_path(tmp_path / "lb", folder)
    assert refused.value.errors == [
        "predictions/tiny.jsonl: resolves outside the submission folder; expected a plain file inside it"
    ]
    assert "TOP-SECRET" not in str(refused.value)


def test_a_card_with_a_lone_surrogate_is_refused(tasks_dir, tmp_path):
    folder = write_submission(tmp_path / "sub", CARD, predictions=predictions_of("Normal."))
    (folder / "model_card.yaml").write_text('name: "bad\\uD800"\nauthors: [a]\n')
    with pytest.raises(SubmissionError) as refused:
        submit_path(tmp_path / "lb", folder)
    assert refused.value.errors == [
        "model_card.yaml: field 'name': Input should be a valid string, unable to parse raw data as a unicode string"
    ]


def test_an_accepted_u2028_entry_builds_on_a_fresh_clone(tasks_dir, tmp_path, capsys):
    text = "No acute disease.\u2028Line two\u0085 end."
    folder = write_submission(tmp_path / "sub", CARD, predictions=predictions_of(text))
    submit_path(tmp_path / "lb", folder)
    assert read_predictions(tmp_path / "lb/submissions/bad-input-tester/predictions/tiny.jsonl")["s0"] == text
    for cached in (tmp_path / "lb" / "cache").rglob("*.parquet"):  # the cache is not in git
        cached.unlink()
    code, out, err = cli(capsys, "leaderboard", "build", "--leaderboard-dir", str(tmp_path / "lb"))
    assert code == 0 and messages(err) == [], err
    second = write_submission(tmp_path / "sub2", CARD | {"name": "second"}, predictions=predictions_of("Normal."))
    code, out, err = cli(capsys, "submit", str(second), "--leaderboard-dir", str(tmp_path / "lb"))
    assert code == 0 and "accepted 'second'" in out, err


def test_a_build_names_a_bad_entry_and_goes_on(tasks_dir, tmp_path, capsys):
    lb = tmp_path / "lb"
    submit_predictions(lb, CARD, predictions_of("Normal."), build=False)
    submit_predictions(lb, CARD | {"name": "other"}, predictions_of("Effusion."), build=False)
    (lb / "submissions" / "other" / "predictions" / "tiny.jsonl").write_text('{"id": "s0", "prediction": 1}\n')
    for cached in (lb / "cache").rglob("*.parquet"):
        cached.unlink()
    (lb / "submissions" / "broken").mkdir()
    (lb / "submissions" / "broken" / "entry.json").write_text("{not json")
    (lb / "reported.yaml").write_text("reported: [{task: tiny}]\n")
    code, _, err = cli(capsys, "leaderboard", "build", "--leaderboard-dir", str(lb))
    assert code == 0, err
    warnings = messages(err)
    assert warnings[0].startswith("warning: broken: left out of the tables (")
    assert warnings[1] == (
        f"warning: other: left out of tiny ({lb}/submissions/other/predictions/tiny.jsonl: line 1: 'prediction' for "
        "id 's0' must be a string, got int)"
    )
    assert warnings[2].startswith(f"warning: reported rows left out ({lb / 'reported.yaml'}: field ")
    rows = json.loads((lb / "tiny.json").read_text())["rows"]
    assert [r["model"] for r in rows if r["rank"]] == ["bad-input-tester"]


def test_a_submit_whose_build_fails_after_installing_says_so(tasks_dir, tmp_path, capsys):
    lb = tmp_path / "lb"
    (lb / "tiny.csv").mkdir(parents=True)  # the table cannot be written
    folder = write_submission(tmp_path / "sub", CARD, predictions=predictions_of("Normal."))
    message = one_line_error(capsys, "submit", str(folder), "--leaderboard-dir", str(lb))
    assert message.startswith("accepted 'bad-input-tester' as bad-input-tester, build failed: ")
    assert message.endswith("; fix it and run `rgro-bench leaderboard build`")
    assert (lb / "submissions" / "bad-input-tester" / "entry.json").is_file()


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(tasks_dir, tmp_path):
    name = "=HYPERLINK(evil)"
    submit_predictions(tmp_path / "lb", CARD | {"name": name}, predictions_of("Normal."))
    cells = (tmp_path / "lb" / "tiny.csv").read_text().splitlines()[1].split(",")
    assert cells[1] == "'=HYPERLINK(evil)"
    assert [csv_text(t) for t in ("@x", "+x", "-x", "\tx", "\rx", "x=1")] == [
        "'@x",
        "'+x",
        "'-x",
        "'\tx",
        "'\rx",
        "x=1",
    ]


# --- credentialed scores ------------------------------------------------------------------------------


def forged(scores: dict, column: str, **changes) -> dict:
    metrics = {**scores["metrics"], column: {**scores["metrics"][column], **changes}}
    return {**scores, "metrics": metrics}


FORGERIES = {
    "above range": (
        lambda s: forged(s, "rougeL", value=5.0, ci_high=5.0),
        "field 'metrics.rougeL': value 5.0, ci_high 5.0 outside [0.0, 1.0], the range of metric 'rouge'",
    ),
    "below range": (
        lambda s: forged(s, "rouge1", value=-3.0, ci_low=-3.0),
        "field 'metrics.rouge1': value -3.0, ci_low -3.0 outside [0.0, 1.0], the range of metric 'rouge'",
    ),
    "NaN": (lambda s: forged(s, "rougeL", value=math.nan), "field 'metrics.rougeL': value not finite"),
    "Infinity": (lambda s: forged(s, "words", ci_high=math.inf), "field 'metrics.words': ci_high not finite"),
    "outside interval": (
        lambda s: forged(s, "rougeL", ci_low=0.0, ci_high=0.1, value=0.5),
        "field 'metrics.rougeL': interval [0.0, 0.1] does not contain the value 0.5",
    ),
    "missing column": (
        lambda s: {**s, "metrics": {k: v for k, v in s["metrics"].items() if k != "rouge2"}},
        "field 'metrics.rouge2': missing; expected every column of metric 'rouge'",
    ),
    "wrong n": (lambda s: {**s, "n": 1000}, "field 'n' is 1000; expected 3, the size of the 'test' split"),
    "percent flipped": (lambda s: forged(s, "rougeL", percent=False), "field 'metrics.rougeL': metric 'rouge'"),
}


@pytest.mark.parametrize("case", list(FORGERIES))
def test_forged_credentialed_scores_are_refused(tasks_dir, tmp_path, case):
    honest = score_credentialed("tiny-cred", dict(zip([f"test-{k}" for k in (1, 2, 3)], IMPRESSIONS, strict=True)))
    forge, expected = FORGERIES[case]
    folder = write_submission(tmp_path / "sub", CARD)
    (folder / "scores").mkdir()
    (folder / "scores" / "tiny-cred.json").write_text(json.dumps(forge(honest.model_dump(mode="json"))))
    with pytest.raises(SubmissionError) as refused:
        submit_path(tmp_path / "lb", folder)
    assert any(e.startswith(f"scores/tiny-cred.json: {expected}") for e in refused.value.errors), refused.value.errors
    assert not (tmp_path / "lb" / "tiny-cred.csv").exists()


# --- archives -------------------------------------------------------------------------------------


def _truncated_zip(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("model_card.yaml", "name: x\n" * 2000)
    data = path.read_bytes()
    path.write_bytes(data[:200] + data[-22:])  # a central directory pointing at a damaged member


def _truncated_tar(path):
    with tarfile.open(path, "w:gz") as tf:
        source = path.parent / "card.yaml"
        source.write_text("name: x\n" * 5000)
        tf.add(source, arcname="model_card.yaml")
    path.write_bytes(path.read_bytes()[:60])


ARCHIVES = {
    "truncated zip": ("s.zip", _truncated_zip, "s.zip: "),
    "truncated tar.gz": ("s.tar.gz", _truncated_tar, "s.tar.gz: damaged archive ("),
    "random bytes": ("s.zip", lambda p: p.write_bytes(os.urandom(64)), "s.zip: not a .zip or .tar.gz archive"),
}


@pytest.mark.parametrize("case", list(ARCHIVES))
def test_damaged_archives_are_one_line_errors(tmp_path, capsys, case):
    name, make, expected = ARCHIVES[case]
    make(tmp_path / name)
    message = one_line_error(capsys, "submit", str(tmp_path / name), "--leaderboard-dir", str(tmp_path / "lb"))
    assert message.startswith(expected) and ("damaged archive" in message or "not a .zip" in message)


# --- store files ----------------------------------------------------------------------------------


def _wrong_schema(path):
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE models (x)")


STORES = {
    "garbage": (
        lambda p: p.write_bytes(b"not sqlite " * 50),
        "not a usable SQLite file (file is not a database); expected a file written by rgro-bench",
    ),
    "other schema": (
        _wrong_schema,
        "not a generation store (no such column: model_key); expected a file written by rgro-bench",
    ),
}


@pytest.mark.parametrize("case", list(STORES))
def test_unusable_store_files_are_one_line_errors(tmp_path, capsys, case):
    make, expected = STORES[case]
    make(tmp_path / "g.sqlite")
    with pytest.raises(DataError) as refused:  # as a run opens it, to write
        GenerationStore(tmp_path / "g.sqlite")
    assert str(refused.value) == f"generation store {tmp_path / 'g.sqlite'}: {expected}"
    args = ["rescore", "--model", "openai:x", "--task", "iu-xray", "--store", str(tmp_path / "g.sqlite")]
    assert one_line_error(capsys, *args) == str(refused.value)  # as a rescore opens it, to read


def test_a_read_only_store_is_called_read_only():
    from rgro_bench.store.sqlite import _reason

    reason = _reason(sqlite3.OperationalError("attempt to write a readonly database"))
    assert reason.startswith("read-only (attempt to write a readonly database); expected a writable file")


def test_a_store_is_read_without_writing_when_rescoring(tmp_path):
    path = tmp_path / "g.sqlite"
    with GenerationStore(path) as store:
        store.register_model("openai:x", "openai", {"a": 1})
    with GenerationStore(path, read_only=True) as store:
        assert store.models_for_spec("openai:x")[0][1] == {"a": 1}
        store.register_model("openai:y", "openai", {"b": 2})  # nothing written: the file may be read-only
        assert store.models_for_spec("openai:y") == []


# --- server responses -----------------------------------------------------------------------------


@pytest.fixture
def fake_server():
    """A loopback OpenAI-compatible server whose answers a test scripts: path -> (status, body bytes)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    answers: dict[str, tuple[int, bytes]] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self):
            if "Content-Length" in self.headers:
                self.rfile.read(int(self.headers["Content-Length"]))
            status, body = answers[self.path.removeprefix("/v1")]
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", answers
    httpd.shutdown()
    httpd.server_close()


MODELS = json.dumps({"data": [{"id": "m", "created": 1, "owned_by": "me", "root": "/w/a", "max_model_len": 512}]})
COMPLETION = json.dumps({"choices": [{"text": "Normal.", "finish_reason": "stop"}]})
SERVER = {
    "HTML models page": ({"/models": (200, b"<html>hello</html>")}, "GET", "/models", "answer is not a JSON object"),
    "JSON list": ({"/models": (200, b"[1, 2]")}, "GET", "/models", "answer is not a JSON object ('[1, 2]')"),
    "text is a number": (
        {"/models": (200, MODELS.encode()), "/completions": (200, b'{"choices": [{"text": 5}]}')},
        "POST",
        "/completions",
        "answer without choices[0] text",
    ),
    "error body not JSON": (
        {"/models": (200, MODELS.encode()), "/completions": (400, b"bad request")},
        "POST",
        "/completions",
        "HTTP 400: bad request",
    ),
}


@pytest.mark.parametrize("case", list(SERVER))
def test_server_answers_that_are_not_openai_are_one_line_errors(fake_server, tasks_dir, capsys, case):
    url, answers = fake_server
    scripted, method, path, expected = SERVER[case]
    answers.update(scripted)
    spec = f"openai:{url}#m"
    args = ("run", "--model", spec, "--model-args", "chat_template=off,retries=0", "--task", "tiny", "--no-store")
    message = one_line_error(capsys, *args)
    assert message.startswith(f"{spec}: {method} {url}{path}: {expected}")


def test_endpoint_identity_tells_served_models_apart_and_reuse_is_said(fake_server, tasks_dir, tmp_path, capsys):
    url, answers = fake_server
    answers.update({"/models": (200, MODELS.encode()), "/completions": (200, COMPLETION.encode())})
    args = ["run", "--model", f"openai:{url}#m", "--model-args", "chat_template=off", "--task", "tiny"]
    args += ["--output-dir", str(tmp_path / "runs")]
    code, out, err = cli(capsys, *args)
    assert code == 0 and "0 from the store" in out and "note:" not in out, err
    code, out, _ = cli(capsys, *args)
    assert "3 from the store" in out and "note: 3 generations reused from the store for this endpoint" in out
    swapped = json.loads(MODELS)
    swapped["data"][0]["root"] = "/w/b"  # another model served under the same name
    answers["/models"] = (200, json.dumps(swapped).encode())
    code, out, _ = cli(capsys, *args)
    assert "3 generated, 0 from the store" in out
    code, out, _ = cli(capsys, *args[:4], "chat_template=off,revision=v2", *args[5:])
    assert "3 generated, 0 from the store" in out
    result = json.loads(next((tmp_path / "runs").rglob("results.json")).read_text())
    identity = result["model"]["identity"]
    assert identity["revision"] == "v2"
    # not 'created': vLLM reports the time of the request there
    assert identity["served"] == {"id": "m", "owned_by": "me", "root": "/w/b", "max_model_len": 512}


def test_generations_with_nul_or_lone_surrogates_are_stored_with_replacement_characters(
    fake_server, tasks_dir, tmp_path, capsys
):
    url, answers = fake_server
    garbled = json.dumps({"choices": [{"text": "Normal.\u0000 \ud800 end", "finish_reason": "stop"}]})
    answers.update({"/models": (200, MODELS.encode()), "/completions": (200, garbled.encode())})
    args = ["run", "--model", f"openai:{url}#m", "--model-args", "chat_template=off", "--task", "tiny"]
    code, _, err = cli(capsys, *args, "--output-dir", str(tmp_path / "runs"))
    assert code == 0, err
    samples = [row for _, row in read_jsonl(next((tmp_path / "runs").rglob("samples.jsonl")))]
    assert {s["prediction"] for s in samples} == {"Normal.\ufffd \ufffd end"}


# --- CLI options ---------------------------------------------------------------------------------

OPTIONS = {
    "limit negative": (["--limit", "-5"], "--limit -5: expected a positive number of studies"),
    "limit zero": (["--limit", "0"], "--limit 0: expected a positive number of studies"),
    "negative temperature": (
        ["--temperature", "-1"],
        "generation option temperature=-1.0: input should be greater than or equal to 0",
    ),
    "top_p zero": (["--top-p", "0"], "generation option top_p=0.0: input should be greater than 0"),
    "top_p above one": (["--top-p", "1.5"], "generation option top_p=1.5: input should be less than or equal to 1"),
    "no tokens": (["--max-new-tokens", "0"], "generation option max_new_tokens=0: input should be greater than 0"),
    "unknown baseline option": (
        ["--model-args", "temprature=0"],
        "baseline:lead-2: unknown option 'temprature'; this baseline accepts: none",
    ),
}


@pytest.mark.parametrize("case", list(OPTIONS))
def test_out_of_range_options_are_one_line_errors(tmp_path, capsys, case):
    extra, expected = OPTIONS[case]
    args = ["run", "--model", "baseline:lead-2", "--task", "iu-xray", "--no-store", "--output-dir", str(tmp_path)]
    assert one_line_error(capsys, *args, *extra) == expected
    assert not list(tmp_path.iterdir())


def test_an_unwritable_output_folder_is_one_line(tasks_dir, tmp_path, capsys):
    (tmp_path / "file").write_text("")
    message = one_line_error(
        capsys,
        "run",
        "--model",
        "baseline:lead-2",
        "--task",
        "tiny",
        "--no-store",
        "--output-dir",
        str(tmp_path / "file"),
    )
    assert message.startswith(f"{tmp_path / 'file'}") and "expected a readable file and a writable folder" in message


# --- metrics on impressions that say nothing ----------------------------------------------------


@pytest.mark.parametrize("text", ["", ".", " - ", "\u2014"])
def test_impressions_that_say_nothing_score_zero(text):
    normal = Sample("1", "Heart size normal. Lungs clear.", text, "Normal.")
    abnormal = Sample("2", "Large right pleural effusion.", text, "Effusion.")
    consistency = get_metric("consistency").compute([normal, abnormal]).columns
    assert consistency["fc_f1"].tolist() == [0.0, 0.0]
    assert math.isnan(consistency["fc_recall"][0]) and consistency["fc_recall"][1] == 0.0
    assert get_metric("guidelines").compute([normal, abnormal]).columns["guideline_score"].tolist() == [0.0, 0.0]


def test_a_real_impression_keeps_its_scores():
    sample = Sample("1", "Heart size normal. Lungs clear.", "No acute disease.", "Normal.")
    assert get_metric("consistency").compute([sample]).columns["fc_f1"].tolist() == [1.0]
    assert get_metric("guidelines").compute([sample]).columns["guideline_score"].tolist() == [1.0]


# --- property tests: arbitrary Unicode round trips ---------------------------------------------------

#: what str.splitlines() splits on, what JSON escapes, and what cannot be stored
SPECIAL = ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c", "\r", "\n", "\x00", "\ud800", "\udfff", '"', "\\"]
TEXT = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(SPECIAL)), max_size=40)
PROPERTY = settings(
    derandomize=True,
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@PROPERTY
@given(texts=st.lists(TEXT, min_size=1, max_size=4))
def test_jsonl_writes_read_back_identically_or_refuse(tmp_path, texts):
    path = tmp_path / "x.jsonl"
    rows = [{"id": str(k), "prediction": t} for k, t in enumerate(texts)]
    problems = [text_problem(t) for t in texts]
    if any(problems):
        with pytest.raises(DataError, match="cannot write JSONL: a value contains"):
            write_jsonl(path, rows)
    else:
        write_jsonl(path, rows)
        assert [row for _, row in read_jsonl(path)] == rows


@PROPERTY
@given(text=TEXT)
def test_task_data_loads_identically_or_names_the_line(tmp_path, text):
    path = tmp_path / "d.jsonl"
    rows = [{"id": "a", "findings": f"Heart {text} normal.", "impression": "Normal."}]
    path.write_text(json.dumps(rows[0]) + "\n", encoding="utf-8")  # ASCII-escaped: any text survives the write
    problem = text_problem(text)
    if problem:
        with pytest.raises(DataError) as refused:
            load_records(path)
        assert str(refused.value) == f"{path}: line 1: {problem}"
    else:
        from rgro_bench.data.clean import clean_text

        (study,) = load_records(path)
        assert study.findings == clean_text(rows[0]["findings"])


@PROPERTY
@given(text=TEXT)
def test_submit_then_build_reads_back_identically_or_refuses(tasks_dir, tmp_path_factory, text):
    root = tmp_path_factory.mktemp("round")
    prediction = f"Normal {text}"
    folder = write_submission(root / "sub", CARD, predictions=predictions_of(prediction))
    try:
        submission = read_submission(folder)
    except SubmissionError as exc:
        assert text_problem(text) or not any(ch.isalnum() for ch in prediction)
        assert exc.errors[0].startswith("predictions/tiny.jsonl: line 1: ")
        assert all("\n" not in line and line.startswith("predictions/tiny.jsonl: ") for line in exc.errors)
        return
    submit_predictions(root / "lb", submission.card, submission.predictions, build=False)
    for cached in (root / "lb" / "cache").rglob("*.parquet"):  # a fresh clone: only the stored files
        cached.unlink()
    report = build_tables(Layout(root / "lb"))
    assert report.warnings == []
    assert [r.model for r in report.tables[0].rows if r.rank] == [CARD["name"]]
    stored = read_predictions(root / "lb" / "submissions" / "bad-input-tester" / "predictions" / "tiny.jsonl")
    assert stored == submission.predictions["tiny"] == predictions_of(prediction)["tiny"]
