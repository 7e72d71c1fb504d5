"""The recipe's cache contract: what ``ensure_trained`` hands the benchmark (rgro_bench/benchmark.py)."""

import json

import numpy as np

from reference.recipe import STAGES, ensure_trained, fingerprint, recipe_files
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
