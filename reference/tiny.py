"""The tiny CPU recipe's model: a byte-level BPE tokenizer trained on the iu-xray train split and a
small, randomly initialised Llama, built locally with no downloads and deterministic under a seed.

    python -m reference.tiny --out runs/tiny/base
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

BOS, EOS, PAD, UNK = "<|bos|>", "<|eos|>", "<|pad|>", "<|unk|>"


@dataclass(frozen=True)
class TinyConfig:
    vocab_size: int = 2048
    hidden_size: int = 192
    intermediate_size: int = 512
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    max_position_embeddings: int = 512
    seed: int = 0
    task: str = "iu-xray"
    split: str = "train"
    #: bumped when the builder makes something else from the same fields (v2: the tokenizer learns the
    #: whole prompt, system line included), so cached models built by an older builder are not reused
    builder_version: int = 2


def corpus(task_id: str, split: str) -> list[str]:
    """Texts the tokenizer learns from: the split's prompts exactly as the benchmark builds them (system
    line included, so the fixed wording costs a few tokens, not dozens) and its impressions."""
    from rgro_bench.tasks import build_prompts, get_task

    task = get_task(task_id)
    studies = task.studies(split)
    texts = [p.text for p in build_prompts(task.spec.prompt, studies, [], seed=0)]
    return texts + [s.impression for s in studies if s.impression]


def train_tokenizer(texts: list[str], vocab_size: int, out: Path):
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer(add_prefix_space=False)
    # sorted input makes the merges independent of dict/set ordering upstream
    bpe.train_from_iterator(
        sorted(texts), vocab_size=vocab_size, min_frequency=2, special_tokens=[BOS, EOS, PAD, UNK], show_progress=False
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token=BOS, eos_token=EOS, pad_token=PAD, unk_token=UNK, model_max_length=512
    )
    tokenizer.save_pretrained(out)
    return tokenizer


def build_tiny_model(out: str | Path, config: TinyConfig = TinyConfig()) -> Path:
    """Write tokenizer + randomly initialised LlamaForCausalLM (safetensors) to ``out``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(corpus(config.task, config.split), config.vocab_size, out)
    torch.manual_seed(config.seed)
    model_config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_hidden_layers,
        num_attention_heads=config.num_attention_heads,
        num_key_value_heads=config.num_key_value_heads,
        max_position_embeddings=config.max_position_embeddings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
        dtype="float32",
    )
    model = LlamaForCausalLM(model_config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out, safe_serialization=True)
    (out / "tiny_config.json").write_text(json.dumps(asdict(config), indent=2) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="folder to write the tokenizer and model to")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random initialisation")
    parser.add_argument("--vocab-size", type=int, default=TinyConfig.vocab_size, help="BPE vocabulary size")
    args = parser.parse_args(argv)
    path = build_tiny_model(args.out, TinyConfig(seed=args.seed, vocab_size=args.vocab_size))
    print(f"tiny model written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
