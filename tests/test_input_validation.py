"""Each malformed input yields one line `error: ...` naming the file/row/field, exit status 2, no traceback."""

import subprocess
import sys
import textwrap

import pytest

from rgro_bench.cli import main

GOOD_CSV = "id,findings,impression\n1,Heart size normal.,Normal.\n2,Small left effusion.,Left effusion.\n"


def user_task(tmp_path, data_name: str, content: bytes | str | None) -> str:
    data = tmp_path / data_name
    if isinstance(content, str):
        data.write_text(content, encoding="utf-8")
    elif isinstance(content, bytes):
        data.write_bytes(content)
    task = tmp_path / "mine.yaml"
    task.write_text(f"id: mine\nversion: '1'\ndata:\n  path: {data_name}\nsplit:\n  method: none\n")
    return str(task)


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    err = capsys.readouterr().err
    return code, err


CASES = {
    "missing column": ("d.csv", "id,findings\n1,Heart normal.\n", ["d.csv", "missing column(s) 'impression'"]),
    "empty findings": (
        "d.csv",
        "id,findings,impression\n1,Heart normal.,Normal.\n2,  ,Normal.\n",
        ["d.csv", "row 2", "empty 'findings'"],
    ),
    "duplicate id": ("d.csv", GOOD_CSV + "1,Other.,Other.\n", ["d.csv", "row 3", "duplicate id '1'", "first at row 1"]),
    "non-UTF-8": (
        "d.csv",
        b"id,findings,impression\n1,Heart \xff normal.,Normal.\n",
        ["d.csv", "line 2", "0xff", "UTF-8"],
    ),
    "missing file": ("absent.csv", None, ["absent.csv", "does not exist"]),
    "bad JSONL": (
        "d.jsonl",
        '{"id": "1", "findings": "a", "impression": "b"}\n{"id": 2,\n',
        ["d.jsonl", "line 2", "invalid JSON"],
    ),
    "unknown format": ("d.txt", "whatever", ["d.txt", "expected one of csv, json, jsonl, parquet"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_data_gives_one_line_error(tmp_path, capsys, case):
    name, content, expected = CASES[case]
    task = user_task(tmp_path, name, content)
    code, err = run_cli(
        capsys, "run", "--model", "baseline:constant", "--task", task, "--output-dir", str(tmp_path / "o")
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for part in expected:
        assert part in lines[0]
    assert "Traceback" not in err


def test_unreadable_data_path_is_named(tmp_path, capsys):
    (tmp_path / "folder.csv").mkdir()
    task = user_task(tmp_path, "folder.csv", None)
    code, err = run_cli(capsys, "run", "--model", "baseline:constant", "--task", task)
    assert code == 2 and "folder.csv: is a folder; expected a data file" in err


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("id: mine\nversion: '1'\ndata: [unclosed\n", "invalid YAML"),
        ("id: mine\nversion: '1'\ndata:\n  path: d.csv\nsplit:\n  method: sideways\n", "field 'split.method'"),
        ("- just\n- a list\n", "expected a YAML mapping"),
        ("version: '1'\ndata:\n  path: d.csv\n", "field 'id': Field required"),
        ("id: mine\nversion: '1'\ndata:\n  path: d.csv\n  colour: red\n", "field 'data.colour'"),
    ],
)
def test_malformed_yaml_gives_one_line_error(tmp_path, capsys, yaml_text, expected):
    task = tmp_path / "bad.yaml"
    task.write_text(yaml_text)
    code, err = run_cli(capsys, "run", "--model", "baseline:constant", "--task", str(task))
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "bad.yaml" in err and expected in err


def test_user_task_of_a_few_lines_runs(tmp_path, capsys):
    task = user_task(
        tmp_path, "d.jsonl", '{"id": "a", "findings": "Small left effusion.", "impression": "Left effusion."}\n'
    )
    code = main(["run", "--model", "baseline:copy-findings", "--task", task, "--output-dir", str(tmp_path / "o")])
    assert code == 0
    assert (tmp_path / "o" / "mine" / "baseline_copy-findings" / "results.json").is_file()


def test_cli_error_has_no_traceback_in_a_real_process(tmp_path):
    task = user_task(tmp_path, "d.csv", "id,findings\n1,x\n")
    proc = subprocess.run(
        [sys.executable, "-m", "rgro_bench.cli", "run", "--model", "baseline:constant", "--task", task],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


def test_credentialed_task_says_what_is_needed(capsys, monkeypatch):
    monkeypatch.delenv("RGRO_MIMIC_CXR_DIR", raising=False)
    code, err = run_cli(capsys, "run", "--model", "baseline:constant", "--task", "mimic-cxr-rrs")
    assert code == 2
    assert "RGRO_MIMIC_CXR_DIR" in err and "PhysioNet" in err and "test.findings.tok" in textwrap.dedent(err)
