"""Launch commands for the recipes: validate a recipe YAML and an accelerate config, then build the
``accelerate launch`` command (printed, or run with --run). Arguments after ``--`` go to the trainer
(its recipe fields as ``--field value``).

    python -m reference.launch reference/configs/gpu-rgro.yaml \\
        --accelerate reference/configs/accelerate/multinode-deepspeed.yaml --machine-rank 1

Several CPU processes on one machine (gloo), e.g. to check data parallelism without a GPU:

    python -m reference.launch reference/configs/tiny-cpu-sft.yaml --cpu-processes 2 --run -- --max_steps 4

accelerate 1.15 starts only one process for ``--cpu --num_processes N`` unless it is given an MPI
hostfile, so the command goes through mpirun (Open MPI: ``apt-get install openmpi-bin``) with a
hostfile of ``localhost slots=N``; rank 0's address and a free port are passed as MASTER_ADDR/PORT.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Sequence
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


def free_port() -> int:
    """A TCP port nothing listens on now (the OS picks it), for rank 0's rendezvous."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_hostfile(path: Path, num_processes: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"localhost slots={num_processes}\n")
    return path


def cpu_launch(
    recipe: Path, num_processes: int, hostfile: Path, trainer_args: Sequence[str] = (), port: int | None = None
) -> tuple[list[str], dict[str, str]]:
    """(command, environment additions) running ``recipe`` as ``num_processes`` CPU processes on this
    machine through mpirun; writes ``hostfile``. Raises ConfigError when no mpirun is installed."""
    stage = validate_recipe(recipe)
    if shutil.which("mpirun") is None and shutil.which("mpiexec") is None:
        raise ConfigError("a multi-process CPU run needs mpirun (Debian/Ubuntu: apt-get install openmpi-bin)")
    write_hostfile(hostfile, num_processes)
    env = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port or free_port())}
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Open MPI refuses to start as root (containers, CI) unless both are set
        env.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"})
    command = [
        "accelerate",
        "launch",
        "--cpu",
        "--num_processes",
        str(num_processes),
        "--num_machines",
        "1",
        "--mpirun_hostfile",
        str(hostfile),
        "-m",
        TRAINER_MODULES[stage],
        "--config",
        str(recipe),
        *trainer_args,
    ]
    return command, env


def end_distributed() -> None:
    """Tear down the process group a launched trainer joined; a process that exits with it still open
    is aborted by torch ("terminate called without an active exception"). No-op in a single process."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipe", type=Path, help="recipe YAML (reference/configs/*.yaml)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--accelerate", type=Path, help="accelerate config YAML (GPUs, multi-node)")
    target.add_argument("--cpu-processes", type=int, help="run as this many CPU processes on this machine (mpirun)")
    parser.add_argument(
        "--hostfile", type=Path, default=Path("runs/launch/hostfile"), help="MPI hostfile written for --cpu-processes"
    )
    parser.add_argument("--machine-rank", type=int, default=None, help="this node's rank in a multi-node run")
    parser.add_argument("--main-process-ip", default=None, help="address of rank 0 (multi-node)")
    parser.add_argument("--main-process-port", type=int, default=None, help="port of rank 0 (multi-node)")
    parser.add_argument("--num-processes", type=int, default=None, help="total processes, overriding the config")
    parser.add_argument("--run", action="store_true", help="run the command instead of printing it")
    argv = sys.argv[1:] if argv is None else argv
    # what follows "--" goes to the trainer untouched (argparse would read its --options as its own)
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    args.trainer_args = argv[split + 1 :]
    if args.cpu_processes is not None:
        command, env = cpu_launch(args.recipe, args.cpu_processes, args.hostfile, args.trainer_args)
        print(shlex.join([f"{k}={v}" for k, v in env.items()] + command))
        return subprocess.call(command, env={**os.environ, **env}) if args.run else 0
    command = launch_command(
        args.recipe,
        args.accelerate,
        machine_rank=args.machine_rank,
        main_process_ip=args.main_process_ip,
        main_process_port=args.main_process_port,
        num_processes=args.num_processes,
    )
    command += args.trainer_args
    print(shlex.join(command))
    return subprocess.call(command) if args.run else 0


if __name__ == "__main__":
    raise SystemExit(main())
