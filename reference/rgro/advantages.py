"""Credit assignment. For G sampled impressions of the same findings, the advantage of a token in
stage k is

    A = (R − mean_G R) / std_G R  +  λ · (G_k − μ) / σ,    G_k = Σ_{j≥k} r_j,

with μ, σ taken over all stages of all G impressions. The first term is GRPO's sequence advantage,
computed by TRL and passed in unchanged, so λ = 0 gives GRPO's advantages exactly.

``scale="batch"`` keeps μ per group but takes σ over the whole batch, as TRL's ``scale_rewards="batch"``
does for the sequence term: with a per-group σ, a group where one stage of six costs −0.5 and the rest
nothing turns that small cost into a full-size advantage, the same size as a missed finding elsewhere.

That pooled form ("pooled" credit) is biased, and :func:`relative_stage_terms` ("relative" credit)
corrects it:

- pooling μ over stage positions compares a completion's late stages with other completions' early
  ones, so six identical completions get ±0.96 per token where they should get nothing;
- its stage-0 term is a second, differently scaled sequence advantage: a one-stage completion got
  credit beyond its sequence reward;
- σ of the stage term was taken per group while the sequence term's is per batch.

The relative term of stage k of completion i in a group is

    D_ik = (G_ik − b_k) − (G_i0 − b_0),    b_k = mean of G_jk over the group's completions j with a stage k,

divided by the σ the sequence term is divided by. Identical completions get exactly 0; stage 0, and so
a one-stage completion, gets exactly its sequence advantage; the term only moves credit between a
completion's own stages, so "GRPO with the summed stage reward in R" is the same method without it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

EPS = 1e-4  # the same guard TRL adds to a group's std


def stage_returns(rewards: Sequence[float]) -> list[float]:
    """Return-to-go of each stage: G_k = Σ_{j≥k} r_j."""
    return np.cumsum(np.asarray(rewards, dtype=float)[::-1])[::-1].tolist()


def normalised_group_returns(group: Sequence[Sequence[float]]) -> list[list[float]]:
    """(G_k − μ)/σ for each stage of each impression of one group; μ, σ over every stage of the group.
    A group with fewer than two stages, or with equal returns, carries no stage signal (all zeros)."""
    returns = [stage_returns(r) for r in group]
    flat = np.array([g for r in returns for g in r], dtype=float)
    if flat.size < 2:
        return [[0.0] * len(r) for r in returns]
    mu, sigma = flat.mean(), flat.std(ddof=1)
    return [[float((g - mu) / (sigma + EPS)) for g in r] for r in returns]


def centred_group_returns(group: Sequence[Sequence[float]]) -> list[list[float]]:
    """G_k − μ for each stage of each impression of one group, μ over every stage of the group."""
    returns = [stage_returns(r) for r in group]
    flat = [g for r in returns for g in r]
    mu = float(np.mean(flat)) if flat else 0.0
    return [[g - mu for g in r] for r in returns]


def normalised_returns(
    stage_rewards: Sequence[Sequence[float]], group_size: int, scale: str = "group"
) -> list[list[float]]:
    """Stage values of consecutive groups of ``group_size`` impressions: :func:`normalised_group_returns`
    per group (``scale="group"``), or returns centred per group and divided by the σ of every centred
    stage return in the batch (``scale="batch"``)."""
    if len(stage_rewards) % group_size:
        raise ValueError(f"{len(stage_rewards)} completions do not split into groups of {group_size}")
    groups = [stage_rewards[start : start + group_size] for start in range(0, len(stage_rewards), group_size)]
    if scale == "group":
        return [values for group in groups for values in normalised_group_returns(group)]
    if scale != "batch":
        raise ValueError(f"stage scale must be 'group' or 'batch', got {scale!r}")
    centred = [values for group in groups for values in centred_group_returns(group)]
    flat = np.array([g for r in centred for g in r], dtype=float)
    if flat.size < 2:
        return [[0.0] * len(r) for r in centred]
    sigma = flat.std(ddof=1)
    return [[float(g / (sigma + EPS)) for g in r] for r in centred]


def relative_group_terms(group: Sequence[Sequence[float]]) -> list[list[float]]:
    """D_ik of the module docstring for one group's stage rewards, unscaled."""
    returns = [stage_returns(r) for r in group]
    depth = max((len(r) for r in returns), default=0)
    baseline = [float(np.mean([r[k] for r in returns if len(r) > k])) for k in range(depth)]
    return [[(g - baseline[k]) - (r[0] - baseline[0]) for k, g in enumerate(r)] for r in returns]


def relative_stage_terms(
    stage_rewards: Sequence[Sequence[float]], group_size: int, sigmas: Sequence[float | None]
) -> list[list[float]]:
    """Relative stage terms of consecutive groups of ``group_size`` completions, each group's divided by
    its σ (+ε) from :func:`sequence_sigmas`, so both terms are in the same units (None: not scaled)."""
    if len(stage_rewards) % group_size:
        raise ValueError(f"{len(stage_rewards)} completions do not split into groups of {group_size}")
    if len(sigmas) * group_size != len(stage_rewards):
        raise ValueError(f"{len(sigmas)} sigmas for {len(stage_rewards) // group_size} groups")
    out = []
    for sigma, start in zip(sigmas, range(0, len(stage_rewards), group_size), strict=True):
        scale = 1.0 if sigma is None else sigma + EPS
        out += [[d / scale for d in r] for r in relative_group_terms(stage_rewards[start : start + group_size])]
    return out


def sequence_sigmas(rewards: Sequence[float], group_size: int, scale: str) -> list[float | None]:
    """The σ TRL divides each group's sequence advantages by (``scale_rewards``, summed rewards R with
    TRL's NaN-aware, Bessel-corrected std): the group's own (``"group"``), the batch's (``"batch"``), or
    None (``"none"``)."""
    r = np.asarray(rewards, dtype=float)
    groups = len(r) // group_size
    if scale == "none":
        return [None] * groups
    if scale == "batch":
        return [_nanstd(r)] * groups
    if scale == "group":
        return [_nanstd(g) for g in r.reshape(groups, group_size)]
    raise ValueError(f"scale_rewards must be 'group', 'batch' or 'none', got {scale!r}")


def _nanstd(values: np.ndarray) -> float:
    kept = values[~np.isnan(values)]
    return float(kept.std(ddof=1)) if kept.size > 1 else 0.0


def token_stages(token_ends: Sequence[int], spans: Sequence[tuple[int, int]]) -> list[int]:
    """Stage index of each token, from the character offset where each token ends and each stage's
    (start, end) span. A token belongs to the first stage that ends at or after the token's end; tokens
    after the last stage (trailing punctuation, end of sequence) belong to the last stage. -1 when the
    impression has no stage."""
    if not spans:
        return [-1] * len(token_ends)
    ends = np.array([end for _, end in spans])
    index = np.searchsorted(ends, np.asarray(token_ends), side="left")
    return np.minimum(index, len(spans) - 1).tolist()


def token_stage_terms(stage_values: Sequence[float], stages_of_tokens: Sequence[int], length: int) -> np.ndarray:
    """Per-token stage term of one completion, padded with zeros to ``length`` tokens."""
    out = np.zeros(length, dtype=float)
    values = np.asarray([*stage_values, 0.0], dtype=float)  # index -1 (no stage) reads the 0.0
    idx = np.asarray(stages_of_tokens[:length], dtype=int)
    out[: idx.size] = values[idx]
    return out


def token_advantages(sequence_advantages, stage_terms, lam: float):
    """(B, T) advantages: each row's sequence advantage plus λ times its tokens' stage terms (numpy arrays
    or torch tensors). Stage terms are finite, so with λ = 0 every token carries its sequence advantage
    bit for bit."""
    return sequence_advantages[:, None] + lam * stage_terms


def grpo_advantages(rewards: Sequence[float], group_size: int) -> np.ndarray:
    """GRPO's sequence advantage (R − mean_G R)/(std_G R + ε) with Bessel's correction, as TRL computes it
    (scale_rewards="group"); used by tests and the step-time benchmark as the λ = 0 reference."""
    r = np.asarray(rewards, dtype=float).reshape(-1, group_size)
    std = r.std(axis=1, ddof=1, keepdims=True) if group_size > 1 else np.zeros((r.shape[0], 1))
    return ((r - r.mean(axis=1, keepdims=True)) / (std + EPS)).reshape(-1)
