"""Supervised fine-tuning (TRL ``SFTTrainer``) on findings → impression, with the benchmark's prompt.

python -m reference.sft_trainer --config reference/configs/tiny-cpu-sft.yaml
"""

from __future__ import annotations

from pathlib import Path

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


def train_sft(script: ScriptArguments, config) -> Path:
    """Train, resume if a checkpoint exists, save the final model to ``config.output_dir``; returns it."""
    from transformers import AutoTokenizer
    from trl import SFTTrainer

    from reference.data import sft_dataset
    from reference.throughput import (
        device_name,
        jsonl_callback,
        plot_log,
        resolve_peak,
        sft_clock_callback,
        throughput_callback,
    )

    model = prepare_model(script)
    out = Path(config.output_dir)
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=sft_dataset(script.task, script.split, script.limit, script.retrieve),
        processing_class=AutoTokenizer.from_pretrained(model),
    )
    n_params = sum(p.numel() for p in trainer.model.parameters())
    device = device_name()
    peak, source = resolve_peak(script.peak_flops, device)
    # the clock first: it adds the time/ and throughput/ keys the two writers read
    trainer.add_callback(sft_clock_callback(n_params, peak))
    trainer.add_callback(jsonl_callback(out / "log.jsonl", script.log_all_ranks))
    trainer.add_callback(
        throughput_callback(out, "SFT", device=device, peak_flops=peak, peak_source=source, n_params=n_params)
    )
    trainer.train(resume_from_checkpoint=last_checkpoint(config.output_dir))
    trainer.save_model(config.output_dir)
    if trainer.accelerator.is_main_process:
        trainer.processing_class.save_pretrained(config.output_dir)
        plot_log(out / "log.jsonl", out / "curves.png", title="SFT")
    return out


def main(argv: list[str] | None = None) -> int:
    from trl import SFTConfig

    from reference.config_files import parse_cli
    from reference.launch import end_distributed

    script, config = parse_cli((ScriptArguments, SFTConfig), argv, __doc__)
    out = train_sft(script, config)
    end_distributed()
    print(f"SFT model written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
