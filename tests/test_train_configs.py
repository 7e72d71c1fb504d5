import shutil
from pathlib import Path

import pytest

from reference.config_files import CONFIG_DIR, parse_config
from reference.launch import cpu_launch, launch_command, main, recipe_stage, validate_recipe
from rgro_bench.errors import ConfigError

RECIPES = sorted(CONFIG_DIR.glob("*.yaml"))
ACCELERATE = sorted((CONFIG_DIR / "accelerate").glob("*.yaml"))


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.name)
def test_every_recipe_validates(recipe):
    assert validate_recipe(recipe) == recipe_stage(recipe)


@pytest.mark.parametrize("accelerate", ACCELERATE, ids=lambda p: p.name)
def test_gpu_recipes_build_their_launch_command(accelerate):
    command = launch_command(
        CONFIG_DIR / "gpu-rgro.yaml", accelerate, machine_rank=1 if "multinode" in accelerate.name else None
    )
    assert command[:4] == ["accelerate", "launch", "--config_file", str(accelerate)]
    assert command[-4:] == ["-m", "reference.rgro_trainer", "--config", str(CONFIG_DIR / "gpu-rgro.yaml")]
    if "multinode" in accelerate.name:
        assert command[command.index("--machine_rank") + 1] == "1"
        assert "--main_process_ip" in command


def test_gpu_recipe_keeps_vllm_colocated_and_bf16():
    from reference.config_files import read_yaml

    values = read_yaml(CONFIG_DIR / "gpu-rgro.yaml")
    assert values["use_vllm"] is True and values["vllm_mode"] == "colocate" and values["bf16"] is True


def test_unknown_recipe_field_names_the_file(tmp_path):
    bad = tmp_path / "x-rgro.yaml"
    bad.write_text("model: m\nstage_lamda: 0.5\n")
    with pytest.raises(ConfigError, match=r"x-rgro.yaml: unknown recipe field\(s\) stage_lamda"):
        validate_recipe(bad)
    with pytest.raises(ConfigError, match="-sft, -grpo or -rgro"):
        recipe_stage(Path("recipe.yaml"))


def test_config_help_doubles_as_cli_help():
    from reference.rgro_config import RgroConfig
    from reference.sft_config import ScriptArguments

    _script, config = parse_config(None, (ScriptArguments, RgroConfig), {"stage_lambda": 0.25, "use_cpu": True})
    assert config.stage_lambda == 0.25 and config.stage_weights().unsupported < 0
    from dataclasses import fields

    assert all(f.metadata.get("help") for f in fields(ScriptArguments))


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="needs Open MPI's mpirun (apt-get install openmpi-bin)")
def test_cpu_launch_goes_through_an_mpi_hostfile(tmp_path, capsys):
    recipe = CONFIG_DIR / "tiny-cpu-sft.yaml"
    command, env = cpu_launch(recipe, 2, tmp_path / "hostfile", ["--max_steps", "4"], port=29512)
    assert command[:5] == ["accelerate", "launch", "--cpu", "--num_processes", "2"]
    assert command[command.index("--mpirun_hostfile") + 1] == str(tmp_path / "hostfile")
    assert (tmp_path / "hostfile").read_text() == "localhost slots=2\n"
    assert command[-6:] == ["-m", "reference.sft_trainer", "--config", str(recipe), "--max_steps", "4"]
    assert env["MASTER_ADDR"] == "127.0.0.1" and env["MASTER_PORT"] == "29512"
    # the CLI hands everything after "--" to the trainer
    assert main([str(recipe), "--cpu-processes", "2", "--hostfile", str(tmp_path / "h"), "--", "--max_steps", "4"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("--max_steps 4")


@pytest.mark.parametrize("stage", ["grpo", "rgro"])
def test_gpu_recipes_reward_the_shipped_tool_alike(stage):
    from trl import GRPOConfig

    from reference.grpo_config import RewardArguments
    from reference.grpo_trainer import reward_functions
    from reference.rgro_config import RgroConfig
    from reference.sft_config import ScriptArguments

    config_type = RgroConfig if stage == "rgro" else GRPOConfig
    on_cpu = {"bf16": False, "use_cpu": True, "use_vllm": False}  # this machine has no GPU
    types = (ScriptArguments, RewardArguments, config_type)
    _, rewards, _ = parse_config(CONFIG_DIR / f"gpu-{stage}.yaml", types, on_cpu)
    funcs, weights = reward_functions(rewards)
    assert dict(zip([f.__name__ for f in funcs], weights, strict=True))["tools"] == 0.25
    findings = ["There is a 4 mm nodule in the right upper lobe."]
    assert funcs[-1](completions=["9 mm nodule."], findings=findings) == [0.0]
