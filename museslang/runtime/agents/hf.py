"""`hf:PATH`: a local Hugging Face model directory, run with transformers on CPU or GPU.

For small models, tests and machines without vLLM. Prompts of a batch are rendered
with the tokenizer's chat template (tools included when offered), left-padded and
generated in one `generate` call. Sampling is seeded from the batch's episode seeds
and turns, so a run is repeatable. Needs the [hf] extra.
"""

from __future__ import annotations

from pathlib import Path

from museslang.lower.seeds import derive_seed
from museslang.runtime.agents import AGENTS
from museslang.runtime.agents.batch import BatchAgent, Generated, chat_messages, missing_extra
from museslang.runtime.engine import Agent, EpisodeView
from museslang.runtime.options import BackendError, BackendOptions


class HFAgent(BatchAgent):
    def __init__(self, path: str, options: BackendOptions) -> None:
        super().__init__(options, max_batch=32)
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise missing_extra("hf", exc) from None
        self.torch = torch
        if not Path(path).is_dir():
            raise BackendError(f"hf:{path}: no such model folder (hf: runs a local model)")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            self.model = AutoModelForCausalLM.from_pretrained(path)
        except (OSError, ValueError) as exc:
            raise BackendError(
                f"hf:{path}: cannot load a model and tokenizer there ({exc})"
            ) from None
        if options.lora:
            try:
                from peft import PeftModel
            except ImportError as exc:
                raise missing_extra("train", exc) from None
            self.model = PeftModel.from_pretrained(self.model, options.lora)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model.eval()

    def generate(self, views: list[EpisodeView]) -> list[Generated]:
        tok, torch = self.tokenizer, self.torch
        prompts = [
            tok.apply_chat_template(
                chat_messages(v), tools=v.tools, add_generation_prompt=True, tokenize=False
            )
            for v in views
        ]
        batch = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        sample = self.options.temperature > 0
        torch.manual_seed(derive_seed(*[(v.episode.seed, v.turn, v.trial) for v in views]) % 2**32)
        with torch.no_grad():
            out = self.model.generate(
                **batch,
                max_new_tokens=self.options.max_tokens,
                do_sample=sample,
                temperature=self.options.temperature if sample else None,
                top_p=None,
                top_k=None,
                pad_token_id=tok.pad_token_id,
            )
        new = out[:, batch["input_ids"].shape[1] :]
        texts = tok.batch_decode(new, skip_special_tokens=True)
        prompt_lens = batch["attention_mask"].sum(dim=1).tolist()
        done = (new != tok.pad_token_id).sum(dim=1).tolist()
        return [
            Generated(t, int(p), int(c)) for t, p, c in zip(texts, prompt_lens, done, strict=True)
        ]


@AGENTS.register("hf")
def _hf(arg: str | None, options: BackendOptions) -> Agent:
    if not arg:
        raise BackendError("name the model folder: hf:PATH (a local Hugging Face model)")
    return HFAgent(arg, options)
