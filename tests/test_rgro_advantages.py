import numpy as np
import pytest

from reference.rgro.advantages import (
    grpo_advantages,
    normalised_group_returns,
    normalised_returns,
    relative_group_terms,
    relative_stage_terms,
    sequence_sigmas,
    stage_returns,
    token_advantages,
    token_stage_terms,
    token_stages,
)


def test_stage_returns_are_returns_to_go():
    assert stage_returns([1.0, -1.0, 0.5]) == [0.5, -0.5, 0.5]
    assert stage_returns([]) == []


def test_group_normalisation_spans_every_stage_of_the_group():
    values = normalised_group_returns([[1.0, 0.0], [-1.0]])  # returns 1, 0, -1
    flat = np.concatenate([np.array(v) for v in values])
    assert flat.mean() == pytest.approx(0.0)
    assert flat.std(ddof=1) == pytest.approx(1.0, abs=1e-3)
    assert normalised_group_returns([[2.0], []]) == [[0.0], []]  # one stage: no stage signal


def test_groups_must_divide_the_batch():
    with pytest.raises(ValueError, match="groups of 4"):
        normalised_returns([[1.0]] * 6, 4)


@pytest.mark.parametrize("dtype", ["numpy", "torch"])
def test_lambda_zero_is_exactly_grpo(dtype):
    rng = np.random.default_rng(0)
    rewards = rng.random(8)
    seq = grpo_advantages(rewards, group_size=4)
    terms = rng.normal(size=(8, 5)) * 10
    if dtype == "torch":
        torch = pytest.importorskip("torch")
        seq, terms = torch.tensor(seq, dtype=torch.float32), torch.tensor(terms, dtype=torch.float32)
        out = token_advantages(seq, terms, 0.0)
        assert torch.equal(out, seq[:, None].expand(8, 5))
    else:
        out = token_advantages(seq, terms, 0.0)
        assert np.array_equal(out, np.repeat(seq[:, None], 5, axis=1))


def test_grpo_advantages_match_trl():
    torch = pytest.importorskip("torch")
    from trl.trainer.utils import nanstd

    rewards = torch.tensor([0.1, 0.9, 0.4, 0.4, 1.0, 0.0, 0.5, 0.2])
    grouped = rewards.view(-1, 4)
    expected = (grouped - grouped.mean(1, keepdim=True)) / (nanstd(grouped, dim=1).unsqueeze(1) + 1e-4)
    np.testing.assert_allclose(grpo_advantages(rewards.numpy(), 4), expected.view(-1).numpy(), rtol=1e-5, atol=1e-6)


def test_tokens_map_to_the_stage_that_covers_them():
    # "1. A. 2. B." with token ends at chars 3, 5, 9, 11; stages span (3, 5) and (9, 11)
    assert token_stages([3, 5, 9, 11, 11], [(3, 5), (9, 11)]) == [0, 0, 1, 1, 1]
    assert token_stages([2, 4], []) == [-1, -1]
    assert token_stage_terms([0.5, -1.0], [0, 1, -1], 5).tolist() == [0.5, -1.0, 0.0, 0.0, 0.0]


def test_hallucinated_stage_gets_a_lower_advantage_than_a_supported_one():
    # one group of two samples; sample 0: supported stage then hallucinated stage
    from reference.rgro.rewards import StageWeights

    w = StageWeights()
    group = [[w.supported, w.unsupported], [w.supported]]
    values = normalised_returns(group, 2)
    seq = grpo_advantages([0.6, 0.4], 2)
    terms = np.stack([token_stage_terms(values[0], [0, 0, 1, 1], 4), token_stage_terms(values[1], [0, 0, -1, -1], 4)])
    adv = token_advantages(seq, terms, 0.5)
    assert adv[0, 2] < adv[0, 0]  # hallucinated stage below the supported stage of the same sample


def test_token_ends_follow_the_generated_ids(tiny_model_dir):
    from transformers import AutoTokenizer

    from reference.rgro.stages import parse_stages
    from reference.rgro_trainer import token_ends

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    text = " 1. Small left pleural effusion. 2. No pneumothorax."
    ids = [*tokenizer(text, add_special_tokens=False).input_ids, tokenizer.eos_token_id]
    ends = token_ends(tokenizer, ids)
    assert ends[-1] == len(text) and ends == sorted(ends)
    stages = parse_stages(text)
    index = token_stages(ends, [(s.start, s.end) for s in stages])
    decoded_first = tokenizer.decode([i for i, k in zip(ids, index, strict=True) if k == 0])
    assert "effusion" in decoded_first and "pneumothorax" not in decoded_first


def test_batch_scale_centres_per_group_and_shares_one_sigma():
    groups = [[1.0, 0.0], [-1.0], [0.5], [0.5]]  # two groups of two impressions
    values = normalised_returns(groups, 2, scale="batch")
    centred = [[1.0, 0.0], [-1.0], [0.0], [0.0]]  # returns-to-go 1, 0 | -1 | 0.5 | 0.5; group means 0 and 0.5
    sigma = np.std([g for r in centred for g in r], ddof=1)
    assert np.allclose([g for r in values for g in r], [g / (sigma + 1e-4) for r in centred for g in r])
    # a group whose stages differ a little keeps a small value instead of a unit-size one
    small = normalised_returns([[0.1], [0.0], [2.0], [-2.0]], 2, scale="batch")
    assert abs(small[0][0]) < 0.1 * abs(small[2][0])
    with pytest.raises(ValueError, match="stage scale"):
        normalised_returns(groups, 2, scale="token")


# The failures of the pooled stage term that issue 14 lists, each pinned for the relative term.


def test_pooled_credit_gives_identical_completions_a_stage_advantage():
    pooled = normalised_group_returns([[1.0, 0.0, -1.0]] * 6)
    assert max(abs(v) for r in pooled for v in r) > 0.9  # the bias: ±0.96 per token with nothing to learn


def test_relative_credit_gives_identical_completions_exactly_zero():
    assert relative_group_terms([[1.0, 0.0, -1.0]] * 6) == [[0.0, 0.0, 0.0]] * 6


def test_relative_credit_gives_a_one_stage_completion_nothing_beyond_its_sequence_reward():
    terms = relative_group_terms([[2.0], [0.0, 1.0], [-1.0, 1.0, 1.0], [0.5]])
    assert terms[0] == [0.0] and terms[3] == [0.0]
    assert all(r[0] == 0.0 for r in terms)  # stage 0 carries exactly the sequence advantage


def test_relative_credit_compares_each_stage_with_the_same_position_in_the_group():
    # equal first stages, the second completion hallucinates in stage 1: G = (2, 1), (0, -1); b = (1, 0).
    # Both completions' whole difference lies in stage 1's return, which the total already carries: 0.
    assert relative_group_terms([[1.0, 1.0], [1.0, -1.0]]) == [[0.0, 0.0], [0.0, 0.0]]
    # G = (1, 1), (0, -1); b = (0.5, 0): the stage that earned gains, the hallucinated one loses
    assert relative_group_terms([[0.0, 1.0], [1.0, -1.0]]) == [[0.0, 0.5], [0.0, -0.5]]


def test_relative_credit_uses_the_sequence_terms_sigma_so_small_differences_stay_small():
    # the pooled per-group scale turned a 0.01 difference into +1.99/-0.40
    pooled = normalised_group_returns([[0.0, 0.01], [0.0, 0.0], [0.0, 0.0]])
    assert max(abs(v) for r in pooled for v in r) > 1.0
    relative = relative_stage_terms([[0.0, 0.01], [0.0, 0.0], [0.0, 0.0]], 3, sigmas=[0.5])
    assert max(abs(v) for r in relative for v in r) < 0.02
    # each group scaled by exactly the σ given (its sequence term's), plus TRL's ε; None leaves it unscaled
    raw = relative_group_terms([[0.0, 1.0], [1.0, -1.0]])
    scaled = relative_stage_terms([[0.0, 1.0], [1.0, -1.0]] * 2, 2, sigmas=[2.0, None])
    assert scaled == [[d / (2.0 + 1e-4) for d in r] for r in raw] + raw
    with pytest.raises(ValueError, match="groups of 2"):
        relative_stage_terms([[1.0]] * 3, 2, sigmas=[1.0])


@pytest.mark.parametrize("scale", ["group", "batch"])
def test_sequence_sigmas_are_trls(scale):
    torch = pytest.importorskip("torch")
    from trl.trainer.utils import nanstd

    rewards = torch.tensor([0.1, 0.9, 0.4, float("nan"), 1.0, 0.0, 0.5, 0.2], dtype=torch.float64)
    expected = nanstd(rewards.view(-1, 4), dim=1) if scale == "group" else nanstd(rewards).expand(2)
    np.testing.assert_allclose(
        sequence_sigmas(rewards.numpy(), 4, scale), expected.numpy(), rtol=1e-6
    )  # TRL: float32 correction
    assert sequence_sigmas(rewards.numpy(), 4, "none") == [None, None]
