"""Supervised fine-tuning (TRL ``SFTTrainer``) on findings → impression, with the benchmark's prompt.

python -m reference.sft_trainer --config reference/configs/tiny-cpu-sft.yaml
"""

from __future__ import annotations

from pathlib import Path

from trl import SFTConfig, SFTTrainer

from reference.sft_config import ScriptArguments
from reference.training import last_checkpoint, prepare_model, run_cli

#: the dataclasses a recipe file of this stage fills (its CLI's too), in the order train_sft takes them
CONFIG_TYPES = (ScriptArguments, SFTConfig)


def train_sft(script: ScriptArguments, config: SFTConfig) -> Path:
    """Train, resume if a checkpoint exists, save the final model to ``config.output_dir``; returns it."""
    from transformers import AutoTokenizer

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
    return run_cli(CONFIG_TYPES, train_sft, argv, __doc__, "SFT")


if __name__ == "__main__":
    raise SystemExit(main())
