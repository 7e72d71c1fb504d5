"""Render tables: ``<task>.csv`` and ``<task>.json`` (the machine-readable source), ``<task>.md``, and one
static ``index.html`` with every task, sortable columns and intervals.

Every user-supplied string (model names, URLs, notes) is escaped for its medium: ``html.escape`` in
HTML, Markdown specials and HTML in Markdown, the csv module in CSV (with formula-like cells neutralised). The page carries a Content
Security Policy that allows only its own inline script and style (by hash) and local images."""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
import re
from datetime import datetime, timezone

from rgro_bench.leaderboard.layout import Layout
from rgro_bench.leaderboard.significance import ALPHA, RESAMPLES
from rgro_bench.leaderboard.table import REFERENCE_SOURCE, REPORTED, Column, Row, Table
from rgro_bench.metrics import METRICS
from rgro_bench.results.io import atomic_write_text
from rgro_bench.results.schema import MetricValue
from rgro_bench.version import __version__

DAGGER = "†"
SIGNIFICANCE = (
    f"paired bootstrap ({RESAMPLES:,} resamples) of each entry against its group's leader on the "
    f"primary metric's per-sample scores, Holm-corrected, p < {ALPHA}"
)


def scaled(value: float | None, column: Column) -> float | None:
    return None if value is None else value * (100.0 if column.percent else 1.0)


def cell_text(metric: MetricValue | None, column: Column) -> str:
    if metric is None:
        return "—"
    if metric.unavailable:
        return "unavailable"
    value = scaled(metric.value, column)
    if value is None:
        return "—"
    if metric.ci_low is None or metric.ci_high is None:
        return f"{value:.2f}"
    return f"{value:.2f} [{scaled(metric.ci_low, column):.2f}, {scaled(metric.ci_high, column):.2f}]"


def flags(row: Row) -> list[str]:
    out = []
    if row.contamination.flagged:
        out.append(
            f"{DAGGER} contaminated: {row.contamination.overlap} evaluated ids in declared training data "
            f"({', '.join(row.contamination.sources)})"
        )
    if row.source != "recomputed":
        out.append(row.source)
    if row.note:
        out.append(row.note)
    return out


def group_text(row: Row) -> str:
    return str(row.verdict.group) if row.verdict else "—"


def rank_text(row: Row) -> str:
    return str(row.rank) if row.rank is not None else "—"


# --- CSV and JSON: the source ---------------------------------------------------------------------------


def table_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["rank", "model", "url", "source", "group", "p_holm"]
    for column in table.columns:
        header += [column.name, f"{column.name}_ci_low", f"{column.name}_ci_high"]
    writer.writerow([*header, "n", "contaminated_ids", "flags"])
    for row in table.rows:
        line = [
            row.rank,
            csv_text(row.model),
            csv_text(row.url or ""),
            csv_text(row.source),
            row.verdict.group if row.verdict else "",
            "" if not row.verdict or row.verdict.p_holm is None else f"{row.verdict.p_holm:.4g}",
        ]
        for column in table.columns:
            m = row.metrics.get(column.name)
            line += [
                _number(m.value if m else None),
                _number(m.ci_low if m else None),
                _number(m.ci_high if m else None),
            ]
        writer.writerow([*line, row.n or "", row.contamination.overlap, csv_text("; ".join(flags(row)))])
    return buffer.getvalue()


#: a spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """A text cell a spreadsheet shows as text: a leading formula character gets a "'" before it. Only
    submitter-supplied text goes through here; numbers are written as numbers."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def table_json(table: Table) -> dict:
    task = table.task
    return {
        "task": task.id,
        "task_version": task.version,
        "split": task.spec.split.eval_split,
        "primary_metric": table.primary.name,
        "significance": SIGNIFICANCE,
        "generated_by": f"rgro-bench {__version__}",
        "columns": [c.__dict__ for c in table.columns],
        "rows": [
            {
                "rank": row.rank,
                "model": row.model,
                "slug": row.slug,
                "url": row.url,
                "source": row.source,
                "n": row.n,
                "group": row.verdict.group if row.verdict else None,
                "tested_against": row.verdict.leader if row.verdict else None,
                "p_holm": row.verdict.p_holm if row.verdict else None,
                "contamination": {"overlap": row.contamination.overlap, "sources": row.contamination.sources},
                "metrics": {k: v.model_dump(mode="json") for k, v in row.metrics.items()},
                "note": row.note,
            }
            for row in table.rows
        ],
    }


# --- Markdown -------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")


def md_escape(text: str) -> str:
    """Text safe in a Markdown table cell: no HTML, no links/emphasis, no pipes, one line."""
    text = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", text)
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def reward_notes(table: Table) -> list[str]:
    """One line per reward metric in the table: what the reference trainers were paid for."""

    names = dict.fromkeys(c.metric for c in table.columns if c.role == "reward")
    if not names:
        return []
    lines = ["Columns marked (reward) were optimised by a reference trainer: they grade no trainer.", ""]
    return lines + [f"- {md_escape(name)}: rewards {md_escape(METRICS.get(name).rewards)}" for name in names]


def table_markdown(table: Table) -> str:
    task = table.task
    header = [
        "#",
        "Model",
        "Group",
        *[c.label + (" (primary)" if c is table.primary else "") for c in table.shown_columns],
        "n",
        "Notes",
    ]
    lines = [
        f"# {md_escape(task.id)} (v{md_escape(task.version)}, split {md_escape(task.spec.split.eval_split)})",
        "",
        f"Sorted by {table.primary.name}; values ×100 for percent metrics, with 95% bootstrap intervals. "
        f"Group: {SIGNIFICANCE}. {DAGGER}: the entry's declared training data overlaps the evaluated ids.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in table.rows:
        name = md_escape(row.model) + (f" {DAGGER}" if row.contamination.flagged else "")
        cells = [
            rank_text(row),
            name,
            group_text(row),
            *[cell_text(row.metrics.get(c.name), c) for c in table.shown_columns],
            str(row.n or ""),
            md_escape("; ".join(flags(row))),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", *reward_notes(table)]
    lines += [
        "",
        f"Generated by rgro-bench {__version__} from `submissions/` and `reported.yaml`; "
        "edit those and run `rgro-bench leaderboard build`, not this file.",
        "",
    ]
    return "\n".join(lines)


# --- HTML -----------------------------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3;cursor:pointer;user-select:none}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
.primary{background:#fff6d5;font-weight:600}
tr.reported td{color:#666;font-style:italic}
tr.ceiling td{background:#f0f6ff;font-style:italic}
.dagger{color:#b00}
.ci{color:#666;font-size:.8em}
img{max-width:640px}
.scroll{overflow-x:auto}
td.notes{min-width:22rem;font-size:.8em}
"""

SCRIPT = """
document.querySelectorAll("table.leaderboard").forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    th.addEventListener("click", function () {
      var numeric = th.dataset.type === "num";
      var current = th.getAttribute("aria-sort");
      var descending = current ? current === "ascending" : numeric;
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.sort, y = b.cells[col].dataset.sort;
        if (numeric) {
          if (x === "" || y === "") { return (x === "") - (y === ""); }
          return descending ? parseFloat(y) - parseFloat(x) : parseFloat(x) - parseFloat(y);
        }
        return descending ? y.localeCompare(x) : x.localeCompare(y);
      });
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _td(text: str, sort: str | float | None, css: str = "") -> str:
    sort_value = "" if sort is None else str(sort)
    klass = f' class="{css}"' if css else ""
    return f'<td{klass} data-sort="{html.escape(sort_value)}">{text}</td>'


def _metric_td(metric: MetricValue | None, column: Column, primary: bool) -> str:
    css = "primary" if primary else ""
    if metric is None or metric.value is None:
        title = html.escape(metric.unavailable) if metric and metric.unavailable else ""
        text = f'<span title="{title}">unavailable</span>' if title else "—"
        return _td(text, None, css)
    value = scaled(metric.value, column)
    text = f"{value:.2f}"
    if metric.ci_low is not None and metric.ci_high is not None:
        text += f' <span class="ci">[{scaled(metric.ci_low, column):.2f}, {scaled(metric.ci_high, column):.2f}]</span>'
    return _td(text, value, css)


def _row_html(row: Row, table: Table) -> str:
    name = html.escape(row.model)
    if row.url:
        name = f'<a href="{html.escape(row.url)}" rel="nofollow noopener noreferrer">{name}</a>'
    if row.contamination.flagged:
        name += (
            f' <span class="dagger" title="{row.contamination.overlap} evaluated ids in training data">{DAGGER}</span>'
        )
    classes = [
        c
        for c, on in (
            ("reported", row.source == REPORTED),
            ("ceiling", row.source == REFERENCE_SOURCE),
            ("contaminated", row.contamination.flagged),
        )
        if on
    ]
    cells = [
        _td(rank_text(row), row.rank),
        _td(name, row.model.lower(), "model"),
        _td(group_text(row), row.verdict.group if row.verdict else None),
    ]
    cells += [_metric_td(row.metrics.get(c.name), c, c is table.primary) for c in table.shown_columns]
    cells += [
        _td(str(row.n or ""), row.n),
        _td(html.escape("; ".join(flags(row))), "; ".join(flags(row)).lower(), "notes"),
    ]
    klass = f' class="{" ".join(classes)}"' if classes else ""
    return f"<tr{klass}>" + "".join(cells) + "</tr>"


def _section_html(table: Table, has_plot: bool) -> str:
    task = table.task
    tid = html.escape(task.id)
    heads = ['<th data-type="num">#</th>', '<th data-type="text">Model</th>', '<th data-type="num">Group</th>']
    for column in table.shown_columns:
        is_primary = column is table.primary
        attrs = (
            ' class="primary" aria-sort="descending"'
            if is_primary and column.higher_is_better is not False
            else (' class="primary" aria-sort="ascending"' if is_primary else "")
        )
        direction = {True: "higher is better", False: "lower is better", None: "descriptive"}[column.higher_is_better]
        role = "reward: optimised by a reference trainer" if column.role == "reward" else "judge"
        heads.append(
            f'<th data-type="num" data-column="{html.escape(column.name)}" title="{html.escape(column.metric)}: '
            f'{direction}; {role}"{attrs}>{html.escape(column.label)}</th>'
        )
    heads += ['<th data-type="num">n</th>', '<th data-type="text">Notes</th>']
    body = "\n".join(_row_html(row, table) for row in table.rows)
    plot = f'<img src="plots/{tid}.png" alt="plot for {tid}">' if has_plot else ""
    return (
        f'<section id="task-{tid}"><h2>{tid} <small>v{html.escape(task.version)}, split '
        f"{html.escape(task.spec.split.eval_split)}, primary metric {html.escape(table.primary.name)}</small></h2>\n"
        f'<div class="scroll"><table class="leaderboard" data-task="{tid}"><thead><tr>{"".join(heads)}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody></table></div>\n{plot}</section>"
    )


def index_html(tables: list[Table], plots: set[str]) -> str:
    style, script = STYLE.strip(), SCRIPT.strip()
    csp = (
        f"default-src 'none'; img-src 'self' data:; style-src '{_csp_hash(style)}'; "
        f"script-src '{_csp_hash(script)}'; base-uri 'none'; form-action 'none'"
    )
    sections = "\n".join(_section_html(t, t.task.id in plots) for t in tables) or "<p>No entries yet.</p>"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rgro-bench leaderboards</title>
<style>{style}</style></head>
<body>
<h1>rgro-bench leaderboards</h1>
<p>Every number is recomputed from the submitted predictions, except rows marked
<em>self-computed (credentialed data)</em> (scored by the submitter with the harness; predictions never
published) and <em>{REPORTED}</em> (published numbers, often on a different subset). Values ×100 for percent
metrics, with 95% bootstrap intervals; the primary metric is highlighted. Group: {html.escape(SIGNIFICANCE)}.
{DAGGER}: the entry's declared training data overlaps the evaluated ids. Click a column header to sort.</p>
{sections}
<p><small>Generated {stamp} by rgro-bench {__version__}.</small></p>
<script>{script}</script>
</body></html>
"""


def write_task_files(layout: Layout, table: Table) -> None:
    stem = table.task.id
    atomic_write_text(layout.root / f"{stem}.csv", table_csv(table))
    atomic_write_text(layout.root / f"{stem}.json", json.dumps(table_json(table), indent=2, allow_nan=False) + "\n")
    atomic_write_text(layout.root / f"{stem}.md", table_markdown(table))


def write_index(layout: Layout, tables: list[Table]) -> None:
    plots = {t.task.id for t in tables if (layout.plots / f"{t.task.id}.png").is_file()}
    atomic_write_text(layout.root / "index.html", index_html(tables, plots))
