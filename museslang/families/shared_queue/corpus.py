"""What this family lends museslang's robustness tests: a fuzz strategy and the stub
server's decision. museslang.testing.corpus reads these names (BASE, hostile, record,
fuzz, stub); this module imports nothing of museslang.testing (a floor above), which
hands the fuzz strategy its helpers (`kit`) and the stub play its reply type."""

from __future__ import annotations

from typing import Any

FAMILY = "shared_queue"


def fuzz(kit: Any) -> Any:
    from hypothesis import strategies as st

    @st.composite
    def body(draw) -> list[str]:
        n = draw(st.integers(2, 5))
        lines = [f"  family: {FAMILY}", "  resource gpu { capacity: 2 }"]
        for i, name in enumerate(kit.names[:n]):
            lines.append(f"  user {name} {{ authority: {1 + i * 2} }}")
        for k in range(draw(st.integers(1, 6))):
            by = draw(st.sampled_from(kit.names[:n]))
            harmful = "  harmful: true" if draw(st.booleans()) and k else ""
            lines.append(
                f'  order o{k} {{ by: {by}  text: "{kit.text(draw)}"  ref: "{1000 + k}"'
                f"  target: gpu{harmful} }}"
            )
        return lines

    return body()


def stub(turn: Any, reply: Any) -> Any:
    if "decide_orders" in turn.tools:
        return reply(tool_calls=[("decide_orders", {"accept": [], "reject": []})])
    return None
