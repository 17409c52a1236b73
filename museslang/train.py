"""`museslang train`: supervised fine-tuning on `museslang generate` data (TRL + PEFT LoRA).

A thin, documented recipe rather than a training framework: it loads train.jsonl and
val.jsonl as chat data (the `tools` column goes to the chat template), fine-tunes the
base model with TRL's SFTTrainer, with a LoRA adapter by default, and saves the
adapter (or the full model) and a summary of the losses. Evaluate the result with
`museslang eval SPEC --agent vllm:BASE --lora OUT` (or `hf:BASE --lora OUT`).
Needs the [train] extra.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from museslang.runtime.agents.batch import missing_extra
from museslang.runtime.agents.chat_render import inline_tools, supports_tools
from museslang.runtime.agents.hf import dequantized
from museslang.runtime.options import BackendError


@dataclass(frozen=True)
class TrainSettings:
    lora: bool = True
    epochs: float = 1.0
    max_steps: int = -1  # > 0 overrides epochs
    learning_rate: float = 2e-4
    batch_size: int = 1
    max_length: int = 8192
    lora_rank: int = 16
    seed: int = 0
    cpu: bool = False


def _as_text(example: dict) -> dict:
    """An example for a chat template without tools: calls and results as text."""
    messages = [{k: v for k, v in m.items() if v is not None} for m in example["messages"]]
    tools = example.get("tools") or []
    if tools:
        return {"messages": inline_tools(messages, tools)}
    return {"messages": [{**m, "content": m.get("content") or ""} for m in messages]}


@dataclass
class Trained:
    out: Path
    steps: int
    train_loss: float
    eval_loss: float | None


def train(data: Path, base: str, out: Path, settings: TrainSettings) -> Trained:
    try:
        from datasets import load_dataset
        from peft import LoraConfig
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from trl import SFTConfig, SFTTrainer
    except ImportError as exc:
        raise missing_extra("train", exc) from None
    if not (data / "train.jsonl").exists():
        raise BackendError(f"{data} has no train.jsonl (write one with museslang generate)")
    local = Path(base).expanduser()
    gguf = local.suffix == ".gguf"
    if (base.startswith((".", "/", "~")) or gguf) and not (local.is_dir() or local.is_file()):
        raise BackendError(f"no model folder or .gguf file at {base}")
    files = {"train": str(data / "train.jsonl")}
    if (data / "val.jsonl").exists() and (data / "val.jsonl").stat().st_size:
        files["validation"] = str(data / "val.jsonl")
    ds = load_dataset("json", data_files=files, cache_dir=str(out / ".cache"))
    ds = ds.remove_columns([c for c in ds["train"].column_names if c not in {"messages", "tools"}])
    where = {"gguf_file": local.name} if gguf else {}
    source = str(local.parent) if gguf else base
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **where)
        model = AutoModelForCausalLM.from_pretrained(source, **where)
    except (OSError, ValueError) as exc:
        raise BackendError(f"cannot load the base model {base}: {exc}") from None
    if gguf:
        model = dequantized(model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not supports_tools(tokenizer.chat_template):
        # the model sees tools as hf: shows them at evaluation: written into the text
        ds = ds.map(
            _as_text, remove_columns=[c for c in ("tools",) if c in ds["train"].column_names]
        )
    peft = None
    if settings.lora:
        peft = LoraConfig(
            r=settings.lora_rank,
            lora_alpha=2 * settings.lora_rank,
            lora_dropout=0.05,
            target_modules="all-linear",
            task_type="CAUSAL_LM",
        )
    args = SFTConfig(
        output_dir=str(out),
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps,
        learning_rate=settings.learning_rate,
        per_device_train_batch_size=settings.batch_size,
        per_device_eval_batch_size=settings.batch_size,
        max_length=settings.max_length,
        logging_steps=1,
        save_strategy="no",
        eval_strategy="no",
        report_to=[],
        seed=settings.seed,
        use_cpu=settings.cpu,
        dataloader_pin_memory=False,
    )
    try:
        trainer = SFTTrainer(
            model=model,
            args=args,
            train_dataset=ds["train"],
            eval_dataset=ds.get("validation"),
            processing_class=tokenizer,
            peft_config=peft,
        )
    except ValueError as exc:  # TRL's and transformers' refusals are worded for a user
        raise BackendError(f"cannot train {base}: {exc}") from None
    result = trainer.train()
    eval_loss = None
    if "validation" in ds:
        eval_loss = float(trainer.evaluate()["eval_loss"])
    trainer.save_model(str(out))
    tokenizer.save_pretrained(str(out))
    done = Trained(out, int(result.global_step), float(result.training_loss), eval_loss)
    summary = {
        "base": base,
        "data": str(data),
        "lora": settings.lora,
        "steps": done.steps,
        "train_loss": done.train_loss,
        "eval_loss": done.eval_loss,
        "finite": math.isfinite(done.train_loss),
        "log": trainer.state.log_history,
    }
    (out / "museslang-train.json").write_text(
        json.dumps(summary, indent=2) + "\n", encoding="utf-8"
    )
    return done
