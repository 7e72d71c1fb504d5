"""Rewards and judges apart: every metric a reference trainer's reward is built from says so."""

import json
import subprocess
import sys

from rgro_bench.metrics import METRICS


class RecordingChecks:
    """The clinical functions the rewards call, recording which ones they were."""

    def __init__(self) -> None:
        import rgro_bench.clinical as clinical

        self.clinical = clinical
        self.called: set[str] = set()

    def __getattr__(self, name):
        function = getattr(self.clinical, name)

        def recorded(*args, **kwargs):
            self.called.add(name)
            return function(*args, **kwargs)

        return recorded


#: the harness metric that wraps each clinical function the rewards may call
METRIC_OF_CHECK = {"consistency": "consistency", "guideline_report": "guidelines", "judge_statement": "consistency"}


def test_every_metric_a_reward_is_built_from_is_declared_a_reward(monkeypatch):
    import rgro_bench.metrics as metrics
    from reference.rgro.rewards import MetricScorer

    used: set[str] = set()
    real_get_metric = metrics.get_metric

    def recording_get_metric(name, *args, **kwargs):
        used.add(name)
        return real_get_metric(name, *args, **kwargs)

    monkeypatch.setattr(metrics, "get_metric", recording_get_metric)
    checks = RecordingChecks()
    MetricScorer(checks).vectors(
        ["Heart is enlarged. Small left effusion."], ["Cardiomegaly."], ["Cardiomegaly and small effusion."]
    )
    used |= {METRIC_OF_CHECK[name] for name in checks.called}
    assert used >= {"rouge", "consistency", "guidelines"}
    for name in used:
        assert METRICS.get(name).role == "reward", name
        assert METRICS.get(name).rewards, f"{name} must say what it rewards"


def test_judges_are_the_metrics_no_reward_reads():
    judges = {name for name, cls in METRICS.items() if cls.role == "judge"}
    assert {"bleu", "bertscore", "observation_f1"} <= judges
    assert all(not METRICS.get(name).rewards for name in judges)


def test_metrics_command_shows_each_role():
    done = subprocess.run(
        [sys.executable, "-m", "rgro_bench.cli", "metrics", "--json"], capture_output=True, text=True, check=True
    )
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert rows["consistency"]["role"] == "reward" and "recall" in rows["consistency"]["rewards"]
    assert rows["bleu"]["role"] == "judge" and rows["bleu"]["rewards"] is None
