"""The recipe's cache contract: what ``ensure_trained`` hands the benchmark (reference/benchmark.py)."""

import json

import numpy as np

from reference.recipe import STAGES, ensure_trained, fingerprint, recipe_files, stage_banner
from rgro_bench.leaderboard.schema import ModelCard


def test_ensure_trained_returns_cached_paths_with_valid_model_cards(tmp_path):
    from safetensors.numpy import save_file

    root = tmp_path / fingerprint(recipe_files(), {})
    for stage in STAGES:
        (root / stage).mkdir(parents=True)
        (root / stage / "done.json").write_text(json.dumps({"stage": stage, "seconds": 1.0}))
        weights = {"embed": np.zeros((3, 4), dtype=np.float32), "norm": np.zeros(5, dtype=np.float32)}
        save_file(weights, str(root / stage / "model.safetensors"))

    models = ensure_trained(tmp_path)  # every stage is cached: nothing is trained

    assert sorted(models) == sorted(STAGES)
    for stage, info in models.items():
        assert info["path"] == root / stage
        card = ModelCard.model_validate(info["card"])
        assert card.parameters == 17  # counted from the stored tensors
        assert [t.label() for t in card.training_data] == ["iu-xray:train"]
    assert len({info["card"]["name"] for info in models.values()}) == len(STAGES)
    assert models["rgro"]["card"]["base_model"] == models["sft"]["card"]["name"]


def test_difference_sources_split_the_paired_difference_by_study_kind():
    import math

    import pandas as pd

    from reference.recipe import difference_sources

    nan = math.nan
    # studies: a (abnormal, candidate names it), b (abnormal, both silent), c (normal, candidate hallucinates),
    # d (normal, both silent, candidate rewords)
    candidate = pd.DataFrame(
        {
            "prediction": ["Effusion.", "No acute disease.", "Effusion.", "No acute findings."],
            "fc_recall": [1.0, 0.0, nan, nan],
            "fc_precision": [1.0, nan, 0.0, nan],
            "fc_f1": [1.0, 0.0, 0.0, 1.0],
            "rougeL": [0.5, 0.2, 0.0, 0.9],
        },
        index=["a", "b", "c", "d"],
    )
    baseline = pd.DataFrame(
        {
            "prediction": ["No acute disease."] * 4,
            "fc_f1": [0.0, 0.0, 1.0, 1.0],
            "rougeL": [0.6, 0.2, 0.8, 0.3],
        },
        index=["a", "b", "c", "d"],
    ).iloc[::-1]  # aligned by id, not by position

    rows = {(r["studies"], r["candidate"]): r for r in difference_sources(candidate, baseline)}

    assert rows[("abnormal", "names a finding")] == {
        "studies": "abnormal",
        "candidate": "names a finding",
        "n": 1,
        "changed": 1,
        "rougeL": (0.5 - 0.6) / 4,
        "fc_f1": 1.0 / 4,
    }
    assert rows[("abnormal", "names none")]["changed"] == 0
    assert rows[("normal", "names a finding")]["fc_f1"] == -1.0 / 4
    assert rows[("normal", "names none")]["rougeL"] == (0.9 - 0.3) / 4
    for column in ("rougeL", "fc_f1"):
        total = (candidate[column] - baseline.loc[candidate.index, column]).mean()
        assert math.isclose(sum(r[column] for r in rows.values()), total)


def test_the_stage_banner_estimates_the_time_left_from_the_stages_done():
    arms = ["sft", "grpo", "rgro"]
    assert stage_banner("sft", arms, []) == "training sft (stage 1 of 3); its progress bar shows its time left"
    banner = stage_banner("rgro", arms, [300.0, 420.0])
    assert banner.startswith("training rgro (stage 3 of 3); about 6 min left")  # one stage at 360 s a stage
