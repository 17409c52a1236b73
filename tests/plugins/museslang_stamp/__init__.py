"""A guard from another package, for tests: installed through the entry-point group
`museslang.guards`, it stamps every message the agent sends, using nothing but the public
guard API (`NOT_A_GUARD` is what a broken entry point names)."""

from __future__ import annotations

from museslang.ir.results import AGENT, Message
from museslang.runtime.guard import PASS, Guard, GuardContext, Verdict

STAMP = "[stamped] "


class Stamp(Guard):
    name = "stamp"
    summary = "stamps every message the agent sends (a test plug-in)"

    def message(self, ctx: GuardContext, message: Message) -> Verdict:
        if message.sender != AGENT or message.text.startswith(STAMP):
            return PASS
        stamped = message.model_copy(update={"text": STAMP + message.text})
        return Verdict("rewrite", "stamped", messages=(stamped,))


GUARD = Stamp()
NOT_A_GUARD = object()
