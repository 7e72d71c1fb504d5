"""Arguments of the SFT recipe besides TRL's ``SFTConfig``; every field's help doubles as CLI help."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ScriptArguments:
    """What to train on and from: shared by the SFT, GRPO and RGRO recipes."""

    model: str = field(
        default="runs/tiny/base",
        metadata={"help": "model folder or Hub id to start from; with build_tiny, a tiny model is built there first"},
    )
    build_tiny: bool = field(
        default=False, metadata={"help": "build the tiny CPU model (BPE tokenizer + small Llama) at `model` if absent"}
    )
    task: str = field(default="iu-xray", metadata={"help": "task id whose prompt template and data are used"})
    split: str = field(default="train", metadata={"help": "split to train on"})
    limit: int | None = field(default=None, metadata={"help": "train on the first N studies of the split only"})
    retrieve: str | None = field(
        default=None,
        metadata={
            "help": "'tfidf': every prompt shows the impression of the most similar other report of the split "
            "(rgro_bench.models.retrieval); the model is then evaluated with the model option retrieve=tfidf"
        },
    )
    abnormal_fraction: float | None = field(
        default=None,
        metadata={
            "help": "RL only: keep every study whose findings have a positive finding and sample the others so "
            "that those make up this fraction of the prompts (by the harness's extractor, on the findings only)"
        },
    )
    log_all_ranks: bool = field(
        default=False, metadata={"help": "every process writes its own log.rank<N>.jsonl (to check that ranks agree)"}
    )
    peak_flops: float | None = field(
        default=None,
        metadata={
            "help": "peak FLOP/s of one device for the MFU estimate (e.g. 9.89e14 for an H100 SXM in bf16); unset: "
            "looked up by GPU name in reference.throughput.PEAK_FLOPS, and no MFU where the device is not listed"
        },
    )
