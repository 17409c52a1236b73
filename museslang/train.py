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
    lora_alpha: int | None = None  # default: twice the rank
    lora_dropout: float = 0.05
    lora_targets: str | list[str] = "all-linear"
    assistant_only: bool = False  # loss on the assistant's replies only


def _as_text(example: dict) -> dict:
    """An example for a chat template without tools: calls and results as text."""
    messages = [{k: v for k, v in m.items() if v is not None} for m in example["messages"]]
    tools = example.get("tools") or []
    if tools:
        return {"messages": inline_tools(messages, tools)}
    return {"messages": [{**m, "content": m.get("content") or ""} for m in messages]}


def assistant_tokens(tokenizer, example: dict, max_length: int) -> dict:
    """Token ids and a mask of the assistant's replies, for a loss on those alone (TRL folds
    `assistant_masks` into the labels of a tokenised dataset). The chat template renders
    each prefix of the conversation; a message's text is what its prefix adds, so any
    append-only template works without `{% generation %}` markers (SmolLM2's has none)."""
    messages = example["messages"]
    tools = example.get("tools") or None
    texts = [tokenizer.apply_chat_template(messages[: i + 1], tools=tools, tokenize=False)
             for i in range(len(messages))]  # fmt: skip
    full = texts[-1]
    spans, start = [], 0
    for message, text in zip(messages, texts, strict=True):
        if not full.startswith(text):
            raise BackendError("the chat template is not append-only: assistant_only needs one "
                               "whose rendering of a conversation extends its prefix")  # fmt: skip
        if message["role"] == "assistant":
            spans.append((start, len(text)))
        start = len(text)
    encoded = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids = encoded["input_ids"][:max_length]
    offsets = encoded["offset_mapping"][: len(ids)]
    mask = [int(any(a <= s < b for a, b in spans)) for s, _ in offsets]
    return {"input_ids": ids, "assistant_masks": mask}


def _last(log: list[dict], key: str):
    values = [entry[key] for entry in log if key in entry]
    return values[-1] if values else None


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
    if settings.assistant_only:
        ds = ds.map(
            lambda example: assistant_tokens(tokenizer, example, settings.max_length),
            remove_columns=ds["train"].column_names,
        ).filter(lambda example: 1 in example["assistant_masks"])  # none cut off entirely
    peft = None
    if settings.lora:
        peft = LoraConfig(
            r=settings.lora_rank,
            lora_alpha=settings.lora_alpha or 2 * settings.lora_rank,
            lora_dropout=settings.lora_dropout,
            target_modules=settings.lora_targets,
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
        "examples": len(ds["train"]),
        "tokens": _last(trainer.state.log_history, "num_tokens"),
        "assistant_only": settings.assistant_only,
        "log": trainer.state.log_history,
    }
    (out / "museslang-train.json").write_text(
        json.dumps(summary, indent=2) + "\n", encoding="utf-8"
    )
    return done
