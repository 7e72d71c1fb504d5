"""What the three trainers share around TRL's ``train()``: the starting model, the checkpoint a killed run
resumes from, and the command line (recipe YAML plus ``--field value`` overrides, train, leave the process
group)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reference.config_files import parse_cli
from reference.sft_config import ScriptArguments


def prepare_model(script: ScriptArguments) -> str:
    """The starting model: built when the recipe asks for the tiny one and it is absent."""
    path = Path(script.model)
    if script.build_tiny and not (path / "config.json").exists():
        from reference.tiny import build_tiny_model

        build_tiny_model(path)
    return script.model


def last_checkpoint(output_dir: str) -> str | None:
    """The checkpoint a killed run resumes from (None for a fresh run)."""
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(output_dir) if Path(output_dir).is_dir() else None


def end_distributed() -> None:
    """Tear down the process group a launched trainer joined; a process that exits with it still open
    is aborted by torch ("terminate called without an active exception"). No-op in a single process."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def run_cli(
    config_types: tuple[type, ...], train: Callable[..., Path], argv: list[str] | None, description: str, name: str
) -> int:
    """A trainer's ``python -m`` entry point: ``--config recipe.yaml`` and overrides into ``config_types``
    (fields' help is the CLI help), ``train`` on them, then leave the process group."""
    out = train(*parse_cli(config_types, argv, description))
    end_distributed()
    print(f"{name} model written to {out}")
    return 0
