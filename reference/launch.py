"""Launch commands for the GPU and multi-node recipes: validate a recipe YAML and an accelerate config,
then build the ``accelerate launch`` command (printed, or run with --run).

    python -m reference.launch reference/configs/gpu-rgro.yaml \\
        --accelerate reference/configs/accelerate/multinode-deepspeed.yaml --machine-rank 1
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
from pathlib import Path

from rgro_bench.errors import ConfigError

TRAINER_MODULES = {"sft": "reference.sft_trainer", "grpo": "reference.grpo_trainer", "rgro": "reference.rgro_trainer"}


def recipe_stage(recipe: Path) -> str:
    """The trainer a recipe file is for, from its name (…-sft.yaml, …-grpo.yaml, …-rgro.yaml)."""
    for stage in TRAINER_MODULES:
        if recipe.stem.endswith(stage):
            return stage
    raise ConfigError(f"{recipe}: name must end in -sft, -grpo or -rgro to choose the trainer")


def recipe_types(stage: str) -> tuple[type, ...]:
    from trl import GRPOConfig, SFTConfig

    from reference.grpo_config import RewardArguments
    from reference.rgro_config import RgroConfig
    from reference.sft_config import ScriptArguments

    return {
        "sft": (ScriptArguments, SFTConfig),
        "grpo": (ScriptArguments, RewardArguments, GRPOConfig),
        "rgro": (ScriptArguments, RewardArguments, RgroConfig),
    }[stage]


def validate_recipe(recipe: Path) -> str:
    """Every key of the recipe is a field of its trainer's dataclasses, with a value of the right type.
    Device checks (bf16 support, vLLM) are left to the machine that runs it."""
    from reference.config_files import parse_config, read_yaml

    stage = recipe_stage(recipe)
    values = read_yaml(recipe)
    # parse on this machine as a CPU run: what is validated is the recipe, not this machine's devices
    device_free = {k: v for k, v in values.items() if k not in ("bf16", "fp16", "use_vllm")}
    try:
        parse_config(None, recipe_types(stage), {**device_free, "use_cpu": True})
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("overrides:", f"{recipe}:", 1)) from None
    return stage


def validate_accelerate(config: Path):
    from accelerate.commands.config.config_args import load_config_from_file

    if not config.is_file():
        raise ConfigError(f"{config}: accelerate config not found")
    try:
        return load_config_from_file(str(config))
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigError(f"{config}: invalid accelerate config ({exc})") from None


def launch_command(
    recipe: Path,
    accelerate_config: Path,
    *,
    machine_rank: int | None = None,
    main_process_ip: str | None = None,
    main_process_port: int | None = None,
    num_processes: int | None = None,
) -> list[str]:
    stage = validate_recipe(recipe)
    cluster = validate_accelerate(accelerate_config)
    command = ["accelerate", "launch", "--config_file", str(accelerate_config)]
    if num_processes is not None:
        command += ["--num_processes", str(num_processes)]
    if cluster.num_machines > 1 or machine_rank is not None:
        command += ["--machine_rank", str(machine_rank or 0)]
        ip = main_process_ip or cluster.main_process_ip
        port = main_process_port or cluster.main_process_port
        if cluster.num_machines > 1 and not ip:
            raise ConfigError(f"{accelerate_config}: a multi-node run needs main_process_ip")
        if ip:
            command += ["--main_process_ip", ip, "--main_process_port", str(port or 29500)]
    return [*command, "-m", TRAINER_MODULES[stage], "--config", str(recipe)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipe", type=Path, help="recipe YAML (reference/configs/gpu-*.yaml)")
    parser.add_argument("--accelerate", type=Path, required=True, help="accelerate config YAML")
    parser.add_argument("--machine-rank", type=int, default=None, help="this node's rank in a multi-node run")
    parser.add_argument("--main-process-ip", default=None, help="address of rank 0 (multi-node)")
    parser.add_argument("--main-process-port", type=int, default=None, help="port of rank 0 (multi-node)")
    parser.add_argument("--num-processes", type=int, default=None, help="total processes, overriding the config")
    parser.add_argument("--run", action="store_true", help="run the command instead of printing it")
    args = parser.parse_args(argv)
    command = launch_command(
        args.recipe,
        args.accelerate,
        machine_rank=args.machine_rank,
        main_process_ip=args.main_process_ip,
        main_process_port=args.main_process_port,
        num_processes=args.num_processes,
    )
    print(shlex.join(command))
    return subprocess.call(command) if args.run else 0


if __name__ == "__main__":
    raise SystemExit(main())
