"""What this family lends museslang's robustness tests (museslang.testing.corpus): a
fuzz strategy and the stub server's decision. Imported only by museslang.testing."""

from __future__ import annotations

from typing import Any

from museslang.testing.corpus import CORPORA, Corpus, StubTurn

FAMILY = "shared_queue"


def _fuzz() -> Any:
    from hypothesis import strategies as st

    from museslang.testing.fuzz import NAMES, text

    @st.composite
    def body(draw) -> list[str]:
        n = draw(st.integers(2, 5))
        lines = [f"  family: {FAMILY}", "  resource gpu { capacity: 2 }"]
        for i, name in enumerate(NAMES[:n]):
            lines.append(f"  user {name} {{ authority: {1 + i * 2} }}")
        for k in range(draw(st.integers(1, 6))):
            by = draw(st.sampled_from(NAMES[:n]))
            harmful = "  harmful: true" if draw(st.booleans()) and k else ""
            lines.append(
                f'  order o{k} {{ by: {by}  text: "{text(draw)}"  ref: "{1000 + k}"'
                f"  target: gpu{harmful} }}"
            )
        return lines

    return body()


def _stub(turn: StubTurn):
    from museslang.testing.openai_stub import StubReply

    if "decide_orders" in turn.tools:
        return StubReply(tool_calls=[("decide_orders", {"accept": [], "reject": []})])
    return None


CORPORA.register(FAMILY)(Corpus(fuzz=_fuzz, stub=_stub))
