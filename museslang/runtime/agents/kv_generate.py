"""Generation for `hf:` that keeps each episode's KV cache between its turns.

An agent's prompt on turn t is its prompt on turn t-1, the reply it wrote, and what the
users said since: almost all of it was already run through the model. `model.generate`
recomputes it every turn, and on a CPU prefilling a 3,000-token prompt of a 10-turn
episode costs seconds per turn. Here each episode keeps the cache of the tokens it has
seen; the next turn runs only the tokens after the longest common prefix (a chat
template that re-renders the reply differently only moves that point back).

Prefill goes one episode at a time (per-token cost is the same batched or not); decoding
goes in one batch across episodes, their caches left-padded to a common length, and a
finished row leaves the batch at once (a weak model rambles to the token limit; the
others need not wait for it). Sampling draws from a generator seeded per episode and
turn, so a reply does not depend on which other episodes shared its batch.

Needs torch and transformers; imported only by the `hf:` backend.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import torch

PREFILL_CHUNK = 512  # tokens per forward pass when filling the cache


@dataclass
class Request:
    key: str  # whose cache: one per episode and trial
    ids: list[int]  # the whole prompt, tokenized
    max_new_tokens: int
    seed: int
    temperature: float = 0.0
    top_p: float = 1.0
    repetition_penalty: float = 1.0


@dataclass
class Output:
    ids: list[int]  # generated tokens, the stop token excluded
    prompt_tokens: int
    reused_tokens: int  # prompt tokens whose cache was kept from the episode's last turn
    stopped: bool  # ended on a stop token (else: the token limit)


@dataclass
class _Row:
    request: Request
    pairs: list[tuple[torch.Tensor, torch.Tensor]]  # this row's cache, per layer
    logits: torch.Tensor  # the next-token logits after its last fed token
    reused: int
    generator: torch.Generator
    out: list[int] = field(default_factory=list)
    stopped: bool = False


def cache_pairs(cache: Any) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(keys, values) per layer of a transformers cache (5.x `layers`, 4.x lists)."""
    layers = getattr(cache, "layers", None)
    if layers is not None:
        return [(layer.keys, layer.values) for layer in layers]
    return list(zip(cache.key_cache, cache.value_cache, strict=True))


def make_cache(pairs: list[tuple[torch.Tensor, torch.Tensor]]) -> Any:
    from transformers import DynamicCache

    if hasattr(DynamicCache, "from_legacy_cache"):  # transformers 4.x
        return DynamicCache.from_legacy_cache(tuple(pairs))
    return DynamicCache(ddp_cache_data=pairs)


def common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


class KVGenerator:
    """Batched generation with per-episode prefix caches (kept up to `max_bytes`, least
    recently used first out)."""

    def __init__(self, model: Any, stop_ids: set[int], max_bytes: int = 2 << 30) -> None:
        self.model = model
        self.stop_ids = stop_ids
        params = _forward_parameters(model)
        # transformers 5 names the cache argument `cache`; 4.x `past_key_values`
        self._cache_arg = "cache" if "cache" in params else "past_key_values"
        # only the last position's logits are needed (a 512-token chunk's full logits
        # would be 512 x vocabulary floats)
        self._last_only = {
            name: 1 for name in ("logits_to_keep", "num_logits_to_keep") if name in params
        }
        self.max_bytes = max_bytes  # kept caches beyond this are dropped, oldest first
        self._cached: OrderedDict[str, tuple[list[int], list[tuple[torch.Tensor, torch.Tensor]]]]
        self._cached = OrderedDict()
        self.prefilled = 0  # prompt tokens run through the model
        self.reused = 0  # prompt tokens served from a kept cache

    @torch.no_grad()
    def generate(self, requests: list[Request]) -> list[Output]:
        rows = [self._prefill(r) for r in requests]
        self._decode(rows)
        outputs = []
        for row in rows:
            kept = row.request.ids + row.out
            # the cache holds every token fed: the prompt and all generated ones but the last
            fed = len(row.request.ids) + max(len(row.out) - (0 if row.stopped else 1), 0)
            self._keep(row.request.key, kept[:fed], row.pairs, fed)
            outputs.append(Output(row.out, len(row.request.ids), row.reused, row.stopped))
        return outputs

    def forget(self, key: str) -> None:
        self._cached.pop(key, None)

    # ---- prefill, one episode at a time ---------------------------------------------
    def _prefill(self, request: Request) -> _Row:
        ids = request.ids
        kept = self._cached.pop(request.key, None)
        reuse = 0
        pairs: list[tuple[torch.Tensor, torch.Tensor]] = []
        if kept is not None:
            reuse = min(common_prefix(kept[0], ids), len(ids) - 1)
            if reuse > 0:
                pairs = [(k[:, :, :reuse], v[:, :, :reuse]) for k, v in kept[1]]
        self.reused += reuse
        cache = make_cache(pairs) if pairs else make_cache_empty(self.model)
        logits = None
        for start in range(reuse, len(ids), PREFILL_CHUNK):
            chunk = torch.tensor([ids[start : start + PREFILL_CHUNK]])
            out = self.model(input_ids=chunk, use_cache=True, **{self._cache_arg: cache},
                             **self._last_only)  # fmt: skip
            cache = _cache_of(out)
            logits = out.logits[0, -1].float()
        self.prefilled += len(ids) - reuse
        assert logits is not None  # at least one token is always run
        generator = torch.Generator().manual_seed(request.seed % 2**63)
        return _Row(request, cache_pairs(cache), logits, reuse, generator)

    # ---- decode, all episodes at once ------------------------------------------------
    def _decode(self, rows: list[_Row]) -> None:
        """One batch for every row: their caches left-padded to one width once, then one
        forward pass per token; a finished row takes its cache out and leaves."""
        live = [r for r in rows if self._advance(r)]
        if not live:
            return
        lengths = [r.pairs[0][0].shape[2] for r in live]
        width = max(lengths)
        pads = [width - n for n in lengths]
        batch = []
        for layer in range(len(live[0].pairs)):
            keys = [_left_pad(r.pairs[layer][0], p) for r, p in zip(live, pads, strict=True)]
            values = [_left_pad(r.pairs[layer][1], p) for r, p in zip(live, pads, strict=True)]
            batch.append((torch.cat(keys), torch.cat(values)))
        for r in live:
            r.pairs = []  # the batch holds them now
        cache = make_cache(batch)
        mask = torch.zeros(len(live), width, dtype=torch.long)
        for i, p in enumerate(pads):
            mask[i, p:] = 1
        positions = torch.tensor(lengths)
        while live:
            mask = torch.cat([mask, torch.ones(len(live), 1, dtype=torch.long)], dim=1)
            out = self.model(
                input_ids=torch.tensor([[r.out[-1]] for r in live]),
                attention_mask=mask,
                position_ids=positions[:, None],
                use_cache=True,
                **{self._cache_arg: cache},
            )
            cache = _cache_of(out)
            positions = positions + 1
            staying = []
            for i, r in enumerate(live):
                r.logits = out.logits[i, -1].float()
                if self._advance(r):
                    staying.append(i)
                else:  # out of the batch with a copy of its own cache
                    start = pads[i]
                    r.pairs = [
                        (k[i : i + 1, :, start:].clone(), v[i : i + 1, :, start:].clone())
                        for k, v in cache_pairs(cache)
                    ]
            if len(staying) < len(live):
                if staying:
                    index = torch.tensor(staying)
                    cache.batch_select_indices(index)
                    mask, positions = mask[index], positions[index]
                live = [live[i] for i in staying]
                pads = [pads[i] for i in staying]

    def _advance(self, r: _Row) -> bool:
        """Pick the row's next token; whether it goes on (not stopped, under its limit)."""
        if r.request.max_new_tokens <= len(r.out):
            return False
        token = self._pick(r)
        if token in self.stop_ids:
            r.stopped = True
            return False
        r.out.append(token)
        return len(r.out) < r.request.max_new_tokens

    def _pick(self, r: _Row) -> int:
        logits = r.logits
        req = r.request
        if req.repetition_penalty != 1.0:
            seen = torch.tensor(sorted(set(req.ids[-1024:] + r.out)), dtype=torch.long)
            scores = logits[seen]
            logits = logits.clone()
            logits[seen] = torch.where(
                scores > 0, scores / req.repetition_penalty, scores * req.repetition_penalty
            )
        if req.temperature <= 0:
            return int(torch.argmax(logits))
        probs = torch.softmax(logits / req.temperature, dim=-1)
        if req.top_p < 1.0:
            ordered, index = torch.sort(probs, descending=True)
            keep = torch.cumsum(ordered, dim=-1) - ordered < req.top_p
            probs = torch.zeros_like(probs).scatter(0, index[keep], ordered[keep])
        return int(torch.multinomial(probs, 1, generator=r.generator))

    def _keep(
        self, key: str, ids: list[int], pairs: list[tuple[torch.Tensor, torch.Tensor]], n: int
    ) -> None:
        self._cached[key] = (ids, [(k[:, :, :n], v[:, :, :n]) for k, v in pairs])
        while len(self._cached) > 1 and self.kept_bytes() > self.max_bytes:
            self._cached.popitem(last=False)

    def kept_bytes(self) -> int:
        return sum(
            k.element_size() * (k.nelement() + v.nelement())
            for _, pairs in self._cached.values()
            for k, v in pairs
        )


def _forward_parameters(model: Any) -> set[str]:
    import inspect

    target = getattr(model, "get_base_model", lambda: model)()  # a PEFT wrapper
    try:
        return set(inspect.signature(target.forward).parameters)
    except (TypeError, ValueError):
        return {"past_key_values"}


def _cache_of(out: Any) -> Any:
    cache = getattr(out, "cache", None)
    return cache if cache is not None else out.past_key_values


def _left_pad(t: torch.Tensor, n: int) -> torch.Tensor:
    return torch.nn.functional.pad(t, (0, 0, n, 0)) if n else t


def make_cache_empty(model: Any) -> Any:
    from transformers import DynamicCache

    try:
        return DynamicCache(config=model.config)
    except TypeError:  # transformers 4.x takes no config
        return DynamicCache()
