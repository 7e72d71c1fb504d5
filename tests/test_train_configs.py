import importlib.util
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


def test_reward_and_stage_weights_are_recipe_fields_with_their_help():
    from dataclasses import fields, replace

    from trl import TrlParser

    from reference.grpo_config import RewardArguments
    from reference.rgro.rewards import EpisodeWeights, StageWeights
    from reference.rgro_config import RgroConfig

    cli = {action.dest: action for action in TrlParser((RewardArguments, RgroConfig))._actions}
    for source, prefix in ((EpisodeWeights, "reward_"), (StageWeights, "stage_")):
        for f in fields(source):
            flag = cli[prefix + f.name]
            assert (flag.default, flag.help, flag.choices) == (f.default, f.metadata["help"], f.metadata.get("choices"))
    values = {"reward_stages": 0.5, "stage_hedged": -1.0, "stage_rules": "v0", "use_cpu": True}
    rewards, config = parse_config(None, (RewardArguments, RgroConfig), values)
    assert rewards.weights() == EpisodeWeights(stages=0.5)
    assert config.stage_weights() == replace(StageWeights(), hedged=-1.0, rules="v0")


@pytest.mark.mpi
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
    from reference.grpo_trainer import reward_functions
    from reference.training_stages import parse_stage_config

    on_cpu = {"bf16": False, "use_cpu": True, "use_vllm": False}  # this machine has no GPU
    _, rewards, _ = parse_stage_config(stage, CONFIG_DIR / f"gpu-{stage}.yaml", on_cpu)
    funcs, weights = reward_functions(rewards)
    assert dict(zip([f.__name__ for f in funcs], weights, strict=True))["tools"] == 0.25
    findings = ["There is a 4 mm nodule in the right upper lobe."]
    assert funcs[-1](completions=["9 mm nodule."], findings=findings) == [0.0]


# dry runs: the exact commands of each scale, validated by the programs' own parsers, nothing started
@pytest.mark.parametrize("accelerate", ACCELERATE, ids=lambda p: p.name)
def test_every_accelerate_config_has_a_validated_dry_run(accelerate):
    from reference.launch import dry_run

    commands, checks = dry_run(CONFIG_DIR / "gpu-rgro.yaml", accelerate)
    machines = 2 if "multinode" in accelerate.name else 1
    assert len(commands) == machines
    if machines > 1:
        assert [c[c.index("--machine_rank") + 1] for c in commands] == ["0", "1"]
    assert any("generation batch" in c for c in checks) and "accelerate launch's own parser" in checks[-1]
    kind = {"ddp": "MULTI_GPU", "fsdp": "FSDP v2", "deepspeed-zero3": "ZeRO-3", "multinode-deepspeed": "ZeRO-3"}
    assert any(kind[accelerate.stem] in c for c in checks)


def test_dry_run_rejects_what_fails_only_at_scale_and_bad_flags(capsys):
    from reference.launch import dry_run, validate_command

    ddp = CONFIG_DIR / "accelerate" / "ddp.yaml"
    with pytest.raises(ConfigError, match="vllm_tensor_parallel_size 3 does not divide the 8 GPUs per node"):
        dry_run(CONFIG_DIR / "gpu-rgro.yaml", ddp, ["--vllm_tensor_parallel_size", "3"])
    with pytest.raises(ConfigError, match="unknown recipe field"):
        dry_run(CONFIG_DIR / "gpu-rgro.yaml", ddp, ["--stage_lamda", "1"])
    with pytest.raises(ConfigError, match=r"accelerate launch: .*unrecognized arguments: --num_procs"):
        validate_command(["accelerate", "launch", "--num_procs", "2", "-m", "x"])
    assert (
        main([str(CONFIG_DIR / "gpu-rgro.yaml"), "--accelerate", str(ddp), "--dry-run", "--", "--num_generations", "7"])
        == 2
    )
    assert "error:" in capsys.readouterr().err


@pytest.mark.vllm  # the server command is parsed by vllm's own parser
def test_server_mode_dry_run_points_the_trainer_at_a_vllm_server(capsys):
    from reference.launch import server_training_commands

    server, trainers, checks = server_training_commands(
        CONFIG_DIR / "gpu-rgro.yaml", CONFIG_DIR / "accelerate" / "ddp.yaml", "Qwen/Qwen2.5-0.5B-Instruct", "10.0.0.9"
    )
    assert server[:3] == ["vllm", "serve", "Qwen/Qwen2.5-0.5B-Instruct"] and "vllm serve's own parser" in checks[-1]
    assert server[server.index("--weight-transfer-config") + 1] == '{"backend": "nccl"}'
    (command,) = trainers
    assert command[command.index("--vllm_mode") + 1] == "server" and "10.0.0.9" in command
    ddp = str(CONFIG_DIR / "accelerate" / "ddp.yaml")
    assert main([str(CONFIG_DIR / "gpu-rgro.yaml"), "--accelerate", ddp, "--vllm-server", "10.0.0.9:8001"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("--vllm_server_host 10.0.0.9 --vllm_server_port 8001")


def test_vllm_fleet_for_the_openai_backend_is_vllms_own_data_parallelism():
    from reference.launch import fleet_commands, validate_command

    servers, client = fleet_commands("m", ["10.0.0.1", "10.0.0.2"], tensor_parallel=2, data_parallel_per_host=4)
    assert "--headless" not in servers[0] and "--port" in servers[0]
    assert servers[1][servers[1].index("--data-parallel-start-rank") + 1] == "4" and "--headless" in servers[1]
    assert client[client.index("--model") + 1] == "openai:http://10.0.0.1:8000/v1#policy"
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vllm is not installed: the server commands are not parsed")
    head, other = (validate_command(c) for c in servers)
    assert (head.tensor_parallel_size, head.data_parallel_size, head.data_parallel_size_local) == (2, 8, 4)
    assert other.headless and other.data_parallel_start_rank == 4 and other.data_parallel_address == "10.0.0.1"
    with pytest.raises(ConfigError, match="unrecognized arguments: --tensor-parallel-sise"):
        validate_command(["vllm", "serve", "m", "--tensor-parallel-sise", "2"])
