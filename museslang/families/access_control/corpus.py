"""What this family lends museslang's robustness tests (museslang.testing.corpus): a
hostile read rule and a fuzz strategy. Imported only by museslang.testing."""

from __future__ import annotations

from typing import Any

from museslang.testing.corpus import CORPORA, Corpus

FAMILY = "access_control"


def _hostile(scale: int) -> list[tuple[str, str | bytes]]:
    chain = " >= ".join(["authority"] * (500 * scale))
    return [(
        "chained_compare",
        f"scenario s {{\n  family: {FAMILY}\n"
        f'  resource r {{ content: "x" allow: [authority >= {chain}] }}\n}}\n',
    )]  # fmt: skip


def _fuzz() -> Any:
    from hypothesis import strategies as st

    from museslang.testing.fuzz import NAMES, WORDS, text

    @st.composite
    def body(draw) -> list[str]:
        n = draw(st.integers(2, 6))
        lines = [f"  family: {FAMILY}"]
        for i, name in enumerate(NAMES[:n]):
            lines.append(f"  user {name} {{ authority: {1 + (i * 3) % 10} }}")
        for r in range(draw(st.integers(1, 3))):
            secret = f"{draw(st.sampled_from(WORDS))}-{draw(st.integers(100, 9999))}"
            rule = draw(st.sampled_from(
                [f"[{NAMES[0]}]", "[authority >= 5]", "[everyone]", f"[{NAMES[0]}, {NAMES[1]}]"]
            ))  # fmt: skip
            lines.append(
                f'  resource doc{r} {{ content: "{text(draw)} {secret}."  secrets: ["{secret}"]'
                f"  allow: {rule} }}"
            )
        return lines

    return body()


CORPORA.register(FAMILY)(Corpus(hostile=_hostile, fuzz=_fuzz))
