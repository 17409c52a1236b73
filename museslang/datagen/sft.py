"""From a perfect teacher episode to one line of SFT data in the chat `messages` format.

The layout is what `datasets.load_dataset("json", ...)` and TRL's SFTTrainer read
as they are: `messages` (system, user, assistant with `tool_calls`, tool results),
`tools` when the agent acted through tools, and `metadata` for filtering and
provenance. Tool-call arguments are written as objects, which is what Hugging Face
chat templates expect (the OpenAI wire format carries them as JSON strings).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from museslang.ir.results import EpisodeResult
from museslang.runtime.conversation import hf_message


def record(result: EpisodeResult, *, spec_sha256: str, teacher: str) -> dict[str, Any]:
    messages = [hf_message(m) for m in result.conversation or []]
    line: dict[str, Any] = {"messages": messages}
    if result.tools and any("tool_calls" in m for m in messages):
        line["tools"] = result.tools
    line["metadata"] = {
        "spec_sha256": spec_sha256,
        "episode": result.id,
        "scenario": result.scenario,
        "family": result.family,
        "cell": {k: str(v) for k, v in result.cell.items()},
        "seed": str(result.seed),  # 63-bit: as text, so every JSON reader keeps it exact
        "trial": result.trial,
        "teacher": teacher,
        "scores": {k: float(v) for k, v in result.metrics.items() if isinstance(v, int | float)},
    }
    return line


def conversation_key(line: dict[str, Any]) -> str:
    """Two lines with the same conversation are the same example, whatever their metadata."""
    text = json.dumps(line["messages"], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_validation(episode_id: str, share: float) -> bool:
    """A stable split: the same episode always falls on the same side, on any machine."""
    digest = hashlib.sha256(episode_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 10_000 < round(share * 10_000)
