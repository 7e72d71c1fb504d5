import os

import pytest

from reference.rgro.tools import MeasurementCheck, ObservationChecks, load_tool, tools_reward
from rgro_bench.errors import ConfigError


def short(findings, impression):
    return 1.0 if len(impression.split()) <= 5 else 0.0


def not_applicable(findings, impression):
    return None


def test_tools_reward_averages_the_tools_that_apply():
    reward = tools_reward([short, not_applicable])
    assert reward(completions=["Effusion.", "one two three four five six"], findings=["f", "f"]) == [1.0, 0.0]
    assert tools_reward([not_applicable])(completions=["x"], findings=["f"]) == [None]


def test_out_of_range_scores_and_bad_specs_are_errors():
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        tools_reward([lambda f, i: 3.0])(completions=["x"], findings=["f"])
    with pytest.raises(ConfigError, match="module:attribute"):
        load_tool("nocolon")
    with pytest.raises(ConfigError, match="cannot load"):
        load_tool("tests.test_rgro_tools:missing")
    assert load_tool("os.path:basename") is os.path.basename


def test_observation_sources_join_the_findings_mentions():
    class Base:
        def extract(self, text):
            return ["rule-based"]

        def guideline_report(self, findings, impression):
            return "report"

    class Source:
        def observations(self, findings):
            return ["from-tool"]

    checks = ObservationChecks(Base(), [Source()])
    assert checks.extract("f") == ["rule-based", "from-tool"]
    assert checks.guideline_report("f", "i") == "report"


def test_the_measurement_check_catches_a_size_the_findings_never_gave():
    tool = load_tool("reference.rgro.tools:MeasurementCheck")
    findings = "There is a 4 mm nodule in the right upper lobe. Heart size is normal."
    assert tool(findings, "4 mm right upper lobe nodule.") == 1.0
    assert tool(findings, "0.4 cm right upper lobe nodule.") == 1.0  # the same size in cm
    assert tool(findings, "4 cm right upper lobe mass.") == 0.0
    assert tool(findings, "1. 4 mm nodule. 2. 9 mm nodule.") == 0.5
    assert tool(findings, "No acute cardiopulmonary abnormality.") is None  # states no size: does not apply
    reward = tools_reward([MeasurementCheck()])
    assert reward(completions=["4 mm nodule.", "Normal."], findings=[findings, findings]) == [1.0, None]
