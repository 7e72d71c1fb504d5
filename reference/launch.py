"""Launch commands for the recipes: validate a recipe YAML and an accelerate config, then build the
``accelerate launch`` command (printed, or run with --run). Arguments after ``--`` go to the trainer
(its recipe fields as ``--field value``).

    python -m reference.launch reference/configs/gpu-rgro.yaml \\
        --accelerate reference/configs/accelerate/multinode-deepspeed.yaml --machine-rank 1

Several CPU processes on one machine (gloo), e.g. to check data parallelism without a GPU:

    python -m reference.launch reference/configs/tiny-cpu-sft.yaml --cpu-processes 2 --run -- --max_steps 4

Dry runs (nothing started): the exact command of every node, after checking the recipe against the
accelerate config's world size (whole prompt groups per generation batch, vLLM's tensor parallel group
inside a node, mixed precision); ``--vllm-server HOST[:PORT]`` switches the rollouts to TRL's server mode;
``fleet`` prints a vLLM server fleet (vLLM's own multi-node data parallelism) for the openai backend:

    python -m reference.launch reference/configs/gpu-rgro.yaml --accelerate reference/configs/accelerate/fsdp.yaml --dry-run
    python -m reference.launch fleet --model Qwen/Qwen2.5-0.5B-Instruct --hosts 10.0.0.1,10.0.0.2 --data-parallel-per-host 8

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


def recipe_stage(recipe: Path) -> str:
    """The trainer a recipe file is for, from its name (…-sft.yaml, …-grpo.yaml, …-rgro.yaml)."""
    from reference.training_stages import TRAINING_STAGES

    for stage in TRAINING_STAGES:
        if recipe.stem.endswith(stage):
            return stage
    raise ConfigError(f"{recipe}: name must end in -sft, -grpo or -rgro to choose the trainer")


def trainer_module(recipe: Path) -> str:
    """What ``python -m`` runs for a recipe file (validated first, see :func:`validate_recipe`)."""
    from reference.training_stages import TRAINING_STAGES

    return TRAINING_STAGES[validate_recipe(recipe)].module


def validate_recipe(recipe: Path) -> str:
    """Every key of the recipe is a field of its trainer's dataclasses, with a value of the right type.
    Device checks (bf16 support, vLLM) are left to the machine that runs it."""
    from reference.config_files import read_yaml

    stage = recipe_stage(recipe)
    # parse on this machine as a CPU run: what is validated is the recipe, not this machine's devices
    parse_device_free(recipe, read_yaml(recipe), stage)
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
    module = trainer_module(recipe)
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
    return [*command, "-m", module, "--config", str(recipe)]


def recipe_values(recipe: Path, trainer_args: Sequence[str] = ()) -> dict:
    """The recipe's fields with ``--field value`` overrides applied (values as YAML reads them)."""
    import yaml

    from reference.config_files import read_yaml

    values = dict(read_yaml(recipe))
    args = list(trainer_args)
    for key, value in zip(args[::2], args[1::2], strict=False):
        values[key.removeprefix("--")] = yaml.safe_load(value)
    return values


def check_scale(recipe: Path, cluster, trainer_args: Sequence[str] = ()) -> list[str]:
    """What TRL and vLLM would reject only once every node has loaded the model, checked on this machine
    against the accelerate config's world size: full prompt groups per generation batch, vLLM's tensor
    parallel group inside one node, the mixed precision the recipe trains in. Returns the checks passed,
    raises ConfigError naming the first that fails."""
    values = recipe_values(recipe, trainer_args)
    stage = recipe_stage(recipe)
    if trainer_args:
        parse_device_free(recipe, values, stage)
    world, machines = int(cluster.num_processes), int(cluster.num_machines)
    passed = []
    if world % machines:
        raise ConfigError(f"num_processes {world} is not a multiple of num_machines {machines}")
    passed.append(f"{world} processes on {machines} machine(s), {world // machines} per machine")
    precision = "bf16" if values.get("bf16") else "fp16" if values.get("fp16") else "no"
    if str(cluster.mixed_precision) not in (precision, "no") and precision != "no":
        raise ConfigError(f"the recipe trains in {precision} but the accelerate config asks {cluster.mixed_precision}")
    if stage != "sft":
        per_device = int(values.get("per_device_train_batch_size", 8))
        steps = int(values.get("steps_per_generation") or values.get("gradient_accumulation_steps", 1))
        generations = int(values.get("num_generations", 8))
        batch = per_device * world * steps
        if batch % generations:
            raise ConfigError(
                f"generation batch {per_device} per device x {world} processes x {steps} steps = {batch} is not a "
                f"multiple of num_generations {generations} (TRL needs whole prompt groups)"
            )
        passed.append(f"generation batch {batch} = {batch // generations} prompts x {generations} generations")
        if values.get("use_vllm") and values.get("vllm_mode", "colocate") == "colocate":
            tp = int(values.get("vllm_tensor_parallel_size", 1))
            if (world // machines) % tp:
                raise ConfigError(
                    f"vllm_tensor_parallel_size {tp} does not divide the {world // machines} GPUs per node"
                )
            passed.append(f"colocated vLLM: {world // tp} engine(s) of tensor parallel size {tp}")
    kind = str(cluster.distributed_type).rsplit(".", 1)[-1]
    if kind == "DEEPSPEED":
        stage3 = (cluster.deepspeed_config or {}).get("zero_stage")
        passed.append(f"DeepSpeed ZeRO-{stage3} (needs the deepspeed extra on every node)")
    elif kind == "FSDP":
        passed.append(f"FSDP v{(cluster.fsdp_config or {}).get('fsdp_version', 1)}")
    else:
        passed.append(kind)
    return passed


def parse_device_free(recipe: Path, values: dict, stage: str) -> None:
    from reference.training_stages import parse_stage_config

    device_free = {k: v for k, v in values.items() if k not in ("bf16", "fp16", "use_vllm")}
    try:
        parse_stage_config(stage, None, {**device_free, "use_cpu": True})
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("overrides:", f"{recipe}:", 1)) from None


def dry_run(
    recipe: Path, accelerate_config: Path, trainer_args: Sequence[str] = (), **launch: object
) -> tuple[list[list[str]], list[str]]:
    """(the exact command of every node, the checks passed) for ``recipe`` under ``accelerate_config``,
    validated without starting anything; node r's command has ``--machine_rank r``."""
    cluster = validate_accelerate(accelerate_config)
    checks = check_scale(recipe, cluster, trainer_args)
    machines = int(cluster.num_machines)
    commands = [
        [
            *launch_command(recipe, accelerate_config, machine_rank=rank if machines > 1 else None, **launch),
            *trainer_args,
        ]
        for rank in range(machines)
    ]
    for command in commands:
        validate_command(command)
    checks.append("every node's command parsed by accelerate launch's own parser")
    return commands, checks


def fleet_commands(
    model: str,
    hosts: Sequence[str],
    *,
    tensor_parallel: int = 1,
    data_parallel_per_host: int = 1,
    port: int = 8000,
    rpc_port: int = 13345,
    served_name: str = "policy",
    task: str = "iu-xray",
) -> tuple[list[list[str]], list[str]]:
    """A vLLM server fleet for evaluation through the openai backend, by vLLM's own multi-node data
    parallelism (no scheduler of ours): the first host runs the one OpenAI-compatible API server and its
    local data-parallel ranks, every other host runs ``--headless`` ranks that join it; each rank is a
    tensor-parallel group of ``tensor_parallel`` GPUs. Returns (one ``vllm serve`` command per host, the
    harness's ``rgro-bench run`` command against the head)."""
    if not hosts:
        raise ConfigError("a fleet needs at least one host")
    if tensor_parallel < 1 or data_parallel_per_host < 1:
        raise ConfigError("tensor_parallel and data_parallel_per_host must be at least 1")
    size = data_parallel_per_host * len(hosts)
    head = hosts[0]
    common = ["--tensor-parallel-size", str(tensor_parallel), "--data-parallel-size", str(size)]
    common += ["--data-parallel-size-local", str(data_parallel_per_host)]
    servers = []
    for i, _host in enumerate(hosts):
        command = ["vllm", "serve", model, *common]
        if len(hosts) > 1:
            command += ["--data-parallel-address", head, "--data-parallel-rpc-port", str(rpc_port)]
        if i == 0:
            command += ["--host", "0.0.0.0", "--port", str(port), "--served-model-name", served_name]
        else:
            command += ["--headless", "--data-parallel-start-rank", str(i * data_parallel_per_host)]
        servers.append(command)
    spec = f"openai:http://{head}:{port}/v1#{served_name}"
    client = ["rgro-bench", "run", "--model", spec, "--task", task, "--model-args", f"concurrency={64 * size}"]
    return servers, client


def server_training_commands(
    recipe: Path,
    accelerate_config: Path,
    model: str,
    host: str,
    *,
    port: int = 8000,
    tensor_parallel: int = 1,
    **launch: object,
) -> tuple[list[str], list[list[str]], list[str]]:
    """TRL's server mode: a vLLM server on GPUs of its own (tensor parallel; TRL refuses data parallelism
    for dense models) with the weight-transfer engine the trainers push their weights through, and the
    trainer pointed at it. The server command is the one ``trl vllm-serve`` (deprecated in TRL 1.16)
    would run, built by TRL itself; it needs ``VLLM_SERVER_DEV_MODE=1``. Returns (server command, trainer
    commands per node, checks)."""
    from trl.scripts.vllm_serve import ScriptArguments as ServeArguments
    from trl.scripts.vllm_serve import build_command

    built = build_command(ServeArguments(model=model, tensor_parallel_size=tensor_parallel, port=port))
    server = ["vllm", *built[built.index("serve") :]]
    args = ["--use_vllm", "true", "--vllm_mode", "server", "--vllm_server_host", host, "--vllm_server_port", str(port)]
    trainers, checks = dry_run(recipe, accelerate_config, args, **launch)
    validate_command(server)
    checks.append("server command (TRL's build of `trl vllm-serve`) parsed by vllm serve's own parser")
    return server, trainers, checks


def command_parser(command: Sequence[str]):
    """(the real argument parser of ``command``'s program, the arguments it parses): accelerate's own
    ``launch`` parser, vLLM's ``serve`` parser, TRL's ``vllm-serve`` parser."""
    head = tuple(command[:2])
    if head == ("accelerate", "launch"):
        from accelerate.commands.launch import launch_command_parser

        return launch_command_parser(), command[2:]
    if head == ("vllm", "serve"):
        from vllm.entrypoints.launchers.cli_args import make_arg_parser
        from vllm.utils.argparse_utils import FlexibleArgumentParser

        return make_arg_parser(FlexibleArgumentParser(prog="vllm serve")), ["--model", *command[2:]]
    if head == ("trl", "vllm-serve"):
        from trl.scripts.vllm_serve import make_parser

        return make_parser(), command[2:]
    raise ConfigError(f"no parser known for {shlex.join(command[:2])}")


def validate_command(command: Sequence[str]):
    """Parse ``command`` with its program's own parser (nothing is started); the parsed namespace, or a
    ConfigError with the parser's complaint."""
    import contextlib
    import io

    parser, args = command_parser(command)
    complaint = io.StringIO()
    try:
        with contextlib.redirect_stderr(complaint):
            parsed = parser.parse_args(list(args))
    except SystemExit:
        lines = [line for line in complaint.getvalue().splitlines() if line.strip()]
        raise ConfigError(f"{shlex.join(command[:2])}: {lines[-1] if lines else 'invalid arguments'}") from None
    return parsed[0] if isinstance(parsed, tuple) else parsed


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
    module = trainer_module(recipe)
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
        module,
        "--config",
        str(recipe),
        *trainer_args,
    ]
    return command, env


def fleet_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference.launch fleet", description=fleet_commands.__doc__)
    parser.add_argument("--model", required=True, help="model folder (the same path on every host) or Hub id")
    parser.add_argument("--hosts", required=True, help="comma-separated hosts; the first serves the API")
    parser.add_argument("--tensor-parallel", type=int, default=1, help="GPUs per vLLM engine")
    parser.add_argument("--data-parallel-per-host", type=int, default=1, help="engines per host")
    parser.add_argument("--port", type=int, default=8000, help="API port on the first host")
    parser.add_argument("--task", default="iu-xray", help="task the printed rgro-bench command runs")
    args = parser.parse_args(argv)
    servers, client = fleet_commands(
        args.model,
        [h for h in args.hosts.split(",") if h],
        tensor_parallel=args.tensor_parallel,
        data_parallel_per_host=args.data_parallel_per_host,
        port=args.port,
        task=args.task,
    )
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        for command in servers:
            validate_command(command)
        print("# ok: every server command parsed by vllm serve's own parser")
    else:
        print("# not validated: vllm is not installed here")
    for host, command in zip(args.hosts.split(","), servers, strict=True):
        print(f"# on {host}\n{shlex.join(command)}")
    print(f"# then, anywhere that reaches {args.hosts.split(',')[0]}\n{shlex.join(client)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        return fleet_main(argv[1:]) if argv[:1] == ["fleet"] else launch_main(argv)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def launch_main(argv: list[str]) -> int:
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
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="validate recipe and accelerate config against each other; print every node's command and the checks",
    )
    parser.add_argument(
        "--vllm-server", default=None, metavar="HOST[:PORT]", help="rollouts from `trl vllm-serve` there (server mode)"
    )
    # what follows "--" goes to the trainer untouched (argparse would read its --options as its own)
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    args.trainer_args = argv[split + 1 :]
    if args.cpu_processes is not None:
        command, env = cpu_launch(args.recipe, args.cpu_processes, args.hostfile, args.trainer_args)
        print(shlex.join([f"{k}={v}" for k, v in env.items()] + command))
        return subprocess.call(command, env={**os.environ, **env}) if args.run else 0
    if args.dry_run or args.vllm_server:
        launch = {
            "main_process_ip": args.main_process_ip,
            "main_process_port": args.main_process_port,
            "num_processes": args.num_processes,
        }
        if args.vllm_server:
            host, _, port = args.vllm_server.partition(":")
            model = str(recipe_values(args.recipe)["model"])
            server, commands, checks = server_training_commands(
                args.recipe, args.accelerate, model, host, port=int(port or 8000), **launch
            )
            print(f"# rollout server, on {host} (GPUs of its own)\nVLLM_SERVER_DEV_MODE=1 {shlex.join(server)}")
            commands = [[*c, *args.trainer_args] for c in commands]
        else:
            commands, checks = dry_run(args.recipe, args.accelerate, args.trainer_args, **launch)
        for check in checks:
            print(f"# ok: {check}")
        for rank, command in enumerate(commands):
            print(f"# node {rank}\n{shlex.join(command)}" if len(commands) > 1 else shlex.join(command))
        if args.run and not args.dry_run:
            return subprocess.call(commands[args.machine_rank or 0])
        return 0
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
