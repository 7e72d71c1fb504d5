"""bert-score's scoring with the references' token embeddings kept between calls.

Every entry of a task is scored against the same reference impressions, and encoding the texts is most of
BERTScore's cost, so a leaderboard build (or ``nox -s benchmark``) that scores ten entries encoded the
references ten times. :class:`ReferenceCachedScorer` encodes each reference once per process and keeps it;
a candidate is encoded afresh (unless it is a reference text), so the memory held is bounded by the
references of the tasks scored, never by the entries.

It follows bert-score 0.3.12's ``BERTScorer.score`` (single references, no idf, no baseline rescaling:
the options this harness uses) step for step: texts encoded longest first in batches, greedy cosine
matching with ``bert_score.utils.greedy_cos_idf``. A text's embedding depends on which texts share its
batch only through float rounding (padding is masked), as it already did in bert-score, whose batches
follow ``set`` order and so change between processes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any


class ReferenceCachedScorer:
    """``score(cands, refs, batch_size)`` as ``BERTScorer.score``, for a scorer built without idf and
    baseline rescaling."""

    def __init__(self, scorer: Any) -> None:
        if scorer.idf or scorer.rescale_with_baseline or scorer.all_layers:
            raise ValueError("ReferenceCachedScorer covers plain BERTScore only (no idf, rescaling, all layers)")
        self.scorer = scorer
        tokenizer = scorer._tokenizer
        self._idf = defaultdict(lambda: 1.0, {tokenizer.sep_token_id: 0, tokenizer.cls_token_id: 0})
        #: reference text -> (token embeddings, token idf weights), kept for the process
        self.references: dict[str, tuple[Any, Any]] = {}

    def score(self, cands: Sequence[str], refs: Sequence[str], batch_size: int = 64) -> tuple[Any, Any, Any]:
        import torch
        from bert_score.utils import greedy_cos_idf

        cands, refs = list(cands), list(refs)
        stats = self._embeddings(cands, refs, batch_size)
        device = next(self.scorer._model.parameters()).device
        preds = []
        with torch.no_grad():
            for start in range(0, len(refs), batch_size):
                ref_stats = _padded([stats[s] for s in refs[start : start + batch_size]], device)
                hyp_stats = _padded([stats[s] for s in cands[start : start + batch_size]], device)
                p, r, f = greedy_cos_idf(*ref_stats, *hyp_stats, False)
                preds.append(torch.stack((p, r, f), dim=-1).cpu())
        out = torch.cat(preds, dim=0)
        return out[..., 0], out[..., 1], out[..., 2]

    def _embeddings(self, cands: list[str], refs: list[str], batch_size: int) -> dict[str, tuple[Any, Any]]:
        """Every text's (embedding, idf); texts not seen as references before are encoded now, in
        bert-score's order (distinct texts, most words first), and the references among them kept."""
        from bert_score.utils import get_bert_embedding

        stats = {s: self.references[s] for s in {*refs, *cands} if s in self.references}
        missing = sorted({*refs, *cands} - stats.keys(), key=lambda s: len(s.split(" ")), reverse=True)
        scorer = self.scorer
        for start in range(0, len(missing), batch_size):
            batch = missing[start : start + batch_size]
            embs, masks, idf = get_bert_embedding(
                batch, scorer._model, scorer._tokenizer, self._idf, device=scorer.device
            )
            embs, masks, idf = embs.cpu(), masks.cpu(), idf.cpu()
            for i, text in enumerate(batch):
                length = masks[i].sum().item()
                stats[text] = (embs[i, :length], idf[i, :length])
        wanted = set(refs)
        self.references.update((s, stats[s]) for s in missing if s in wanted)
        return stats


def _padded(stats: list[tuple[Any, Any]], device: Any) -> tuple[Any, Any, Any]:
    """bert-score's ``pad_batch_stats``: embeddings padded with 2.0, idf with 0, and the length mask."""
    import torch
    from torch.nn.utils.rnn import pad_sequence

    emb = [e.to(device) for e, _ in stats]
    idf = [i.to(device) for _, i in stats]
    lengths = torch.tensor([e.size(0) for e in emb], dtype=torch.long)
    mask = torch.arange(int(lengths.max()), dtype=torch.long).expand(len(lengths), -1) < lengths.unsqueeze(1)
    return (
        pad_sequence(emb, batch_first=True, padding_value=2.0),
        mask.to(device),
        pad_sequence(idf, batch_first=True),
    )
