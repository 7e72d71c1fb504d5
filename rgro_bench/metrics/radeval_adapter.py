"""Optional field metrics through the ``radeval`` package (pip name RadEval): RadGraph F1, F1-CheXbert.

Runs only when RadEval is installed and can load its weights; otherwise the metric reports
*unavailable* with the reason, so tables say why the columns are empty. RadEval returns corpus values,
so each sample is scored on its own (the per-sample values then aggregate as a mean with a bootstrap
interval, like every other column).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from tqdm import tqdm

from rgro_bench.metrics.base import Metric, MetricOutput, Sample, register_metric

#: our column -> pattern of the RadEval result key it reads
RADEVAL_KEYS = {"radgraph_f1": re.compile(r"^radgraph_partial$"), "f1chexbert": re.compile(r"chexbert.*micro.*f1")}


@register_metric
class RadEvalAdapter(Metric):
    name = "radeval"
    version = "1"
    columns = {"radgraph_f1": True, "f1chexbert": True}
    description = "RadGraph F1 (partial) and F1-CheXbert through the optional RadEval package, per sample."

    def compute(self, samples: Sequence[Sample]) -> MetricOutput:
        n = len(samples)
        try:
            from RadEval import RadEval
        except ImportError:
            return self.unavailable("RadEval is not installed (pip install RadEval; it downloads its weights)", n)
        scored = [i for i, s in enumerate(samples) if s.reference is not None]
        out = {c: np.full(n, np.nan) for c in self.columns}
        try:
            evaluator = RadEval(do_radgraph=True, do_chexbert=True)
            for i in tqdm(scored, desc="radeval", unit="sample", leave=False):
                result = evaluator(refs=[samples[i].reference], hyps=[samples[i].prediction])
                for column, pattern in RADEVAL_KEYS.items():
                    key = next((k for k in result if pattern.search(k)), None)
                    if key is not None:
                        out[column][i] = float(result[key])
        except Exception as exc:  # RadEval raises whatever its model loaders raise: report it, never crash
            return self.unavailable(
                f"RadEval could not run: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}", n
            )
        return MetricOutput(columns=out)
