"""What this family lends museslang's robustness tests: a hostile read rule and a fuzz
strategy. museslang.testing.corpus reads these names (BASE, hostile, record, fuzz,
stub); this module imports nothing of museslang.testing (a floor above), which hands the
fuzz strategy and the stub play their helpers (`kit`)."""

from __future__ import annotations

from typing import Any

FAMILY = "access_control"


def hostile(scale: int) -> list[tuple[str, str | bytes]]:
    chain = " >= ".join(["authority"] * (500 * scale))
    return [(
        "chained_compare",
        f"scenario s {{\n  family: {FAMILY}\n"
        f'  resource r {{ content: "x" allow: [authority >= {chain}] }}\n}}\n',
    )]  # fmt: skip


def fuzz(kit: Any) -> Any:
    from hypothesis import strategies as st

    @st.composite
    def body(draw) -> list[str]:
        n = draw(st.integers(2, 6))
        lines = [f"  family: {FAMILY}"]
        for i, name in enumerate(kit.names[:n]):
            lines.append(f"  user {name} {{ authority: {1 + (i * 3) % 10} }}")
        for r in range(draw(st.integers(1, 3))):
            secret = f"{draw(st.sampled_from(kit.words))}-{draw(st.integers(100, 9999))}"
            a, b = kit.names[0], kit.names[1]
            rules = [f"[{a}]", "[authority >= 5]", "[everyone]", f"[{a}, {b}]"]
            rule = draw(st.sampled_from(rules))
            lines.append(
                f'  resource doc{r} {{ content: "{kit.text(draw)} {secret}."  secrets: ["{secret}"]'
                f"  allow: {rule} }}"
            )
        return lines

    return body()
