"""One PNG per task: the primary metric against findings-consistency F1 when the task scores it (does a
model buy its ROUGE with clinical errors?), otherwise the primary metric as a bar chart; both with the
95% intervals."""

from __future__ import annotations

import io

from rgro_bench.leaderboard.layout import Layout
from rgro_bench.leaderboard.render import DAGGER, scaled
from rgro_bench.leaderboard.table import Column, Row, Table
from rgro_bench.results.io import atomic_write_bytes

#: the clinical axis of a task's scatter plot, in order of preference: agreement with human labels (a
#: judge), else findings consistency (a reward of the reference trainers, labelled as such on the axis)
CLINICAL_AXES = ("label_micro_f1", "fc_f1")


def clinical_column(table: Table) -> Column | None:
    """The clinical column to plot against the primary metric, when some row has a value."""
    by_name = {c.name: c for c in table.columns}
    for name in CLINICAL_AXES:
        column = by_name.get(name)
        if (
            column is not None
            and column is not table.primary
            and any(_value(r, column) is not None for r in table.rows)
        ):
            return column
    return None


def _value(row: Row, column: Column) -> float | None:
    metric = row.metrics.get(column.name)
    return None if metric is None else scaled(metric.value, column)


def _error(row: Row, column: Column) -> tuple[float, float]:
    metric = row.metrics.get(column.name)
    value = _value(row, column)
    if metric is None or value is None or metric.ci_low is None or metric.ci_high is None:
        return (0.0, 0.0)
    return (value - scaled(metric.ci_low, column), scaled(metric.ci_high, column) - value)


def _label(row: Row) -> str:
    # "$" would switch matplotlib to mathtext on a user-supplied name
    name = row.model.replace("$", r"\$")
    name = name if len(name) <= 40 else name[:39] + "…"
    return name + (f" {DAGGER}" if row.contamination.flagged else "") + (" (not ranked)" if row.rank is None else "")


def render_plot(table: Table) -> bytes | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    primary = table.primary
    rows = [r for r in table.rows if _value(r, primary) is not None]
    if not rows:
        return None
    other = clinical_column(table)
    if other is not None:
        rows = [r for r in rows if _value(r, other) is not None]
        fig, ax = plt.subplots(figsize=(7, 5))
        for row in rows:
            x, y = _value(row, primary), _value(row, other)
            xerr, yerr = _error(row, primary), _error(row, other)
            ax.errorbar([x], [y], xerr=[[xerr[0]], [xerr[1]]], yerr=[[yerr[0]], [yerr[1]]], fmt="o", capsize=3)
            ax.annotate(_label(row), (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8)
        ax.set_xlabel(primary.label)
        ax.set_ylabel(other.label)
    else:
        fig, ax = plt.subplots(figsize=(7, 0.6 + 0.4 * len(rows)))
        positions = list(range(len(rows)))[::-1]
        errors = list(zip(*[_error(r, primary) for r in rows], strict=True))
        colours = ["#999" if r.rank is None else "#4c72b0" for r in rows]
        ax.barh(positions, [_value(r, primary) for r in rows], xerr=errors, color=colours, capsize=3)
        ax.set_yticks(positions, labels=[_label(r) for r in rows])
        ax.set_xlabel(primary.label + (" (×100)" if primary.percent else ""))
    ax.set_title(f"{table.task.id} ({table.task.spec.split.eval_split} split), 95% intervals")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


def write_plot(layout: Layout, table: Table) -> None:
    png = render_plot(table)
    if png is not None:
        atomic_write_bytes(layout.plots / f"{table.task.id}.png", png)
