"""What `generate`'s teacher is told about a conversation: the situation, whether it
holds a conflict, who behaves how, and each person's private details with whom they may
be shared (rendered by the generic `guidance` clause of stdlib/prompts/teacher.j2)."""

from __future__ import annotations

from typing import Any

from museslang.datagen.teacher import GUIDES
from museslang.ir.models import EpisodeGraph

FAMILY = "conversation"


@GUIDES.register(FAMILY)
def _guide(episode: EpisodeGraph) -> dict[str, Any]:
    truth = episode.truth.conversation
    if truth is None:
        return {}
    lines = [f"The situation ({truth.category}, {truth.complexity} complexity): "
             f"{truth.description}"]  # fmt: skip
    if truth.conflicts:
        lines.append("The participants want conflicting things: hear each side, say what "
                     "you decide and why, and treat everyone fairly.")  # fmt: skip
    for who, cue in truth.cues.items():
        lines.append(f"{who} may behave like this: {cue} Stay calm and keep helping the others.")
    for who, details in truth.private.items():
        for d in details:
            lines.append(f"Private to {who}: {d}. Mention it only in `@{who}(private):` "
                         "messages, never to anyone else or to @all.")  # fmt: skip
    if truth.private_messages and not truth.private:
        lines.append("Some of this needs private messages: use `@Name(private):` for them.")
    lines.append("Answer every person who wrote, on their own line, in the reply format.")
    return {"guidance": "\n".join(lines)}
