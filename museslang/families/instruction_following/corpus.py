"""What this family lends museslang's robustness tests: a hostile constraint, a fuzz
strategy and the stub server's answer. museslang.testing.corpus reads these names (BASE,
hostile, record, fuzz, stub); this module imports nothing of museslang.testing (a floor
above), which hands the fuzz strategy its helpers (`kit`) and the stub play its reply type."""

from __future__ import annotations

from typing import Any

FAMILY = "instruction_following"
CONSTRAINTS = [
    "change_case.english_lowercase()",
    "change_case.english_capital()",
    "punctuation.no_comma()",
    "detectable_format.title()",
    "detectable_format.json_format()",
    "detectable_format.number_bullet_lists(num_bullets: 3)",
    'length_constraints.number_words(relation: "at least", num_words: 40)',
    'keywords.existence(keywords: ["budget", "plan"])',
    'startend.end_checker(end_phrase: "Any questions?")',
    'detectable_content.postscript(postscript_marker: "P.S.")',
]


def hostile(scale: int) -> list[tuple[str, str | bytes]]:
    return [(
        "bullets",
        f'scenario s {{\n  family: {FAMILY}\n  user A {{ task: "x" '
        "constraints: [detectable_format.number_bullet_lists(num_bullets: 1000000000)] }\n}\n",
    )]  # fmt: skip


def fuzz(kit: Any) -> Any:
    from hypothesis import strategies as st

    @st.composite
    def body(draw) -> list[str]:
        n = draw(st.integers(1, 4))
        binding = draw(st.sampled_from(["", "  binding: all", "  binding: top"]))
        lines = [f"  family: {FAMILY}"] + ([binding] if binding else [])
        for i, name in enumerate(kit.names[:n]):
            rules = draw(st.lists(st.sampled_from(CONSTRAINTS), min_size=1, max_size=2,
                                  unique=True))  # fmt: skip
            lines.append(
                f'  user {name} {{ authority: {1 + i}  task: "{kit.text(draw)}."'
                f"  constraints: [{', '.join(rules)}] }}"
            )
        return lines

    return body()


def stub(turn: Any, reply: Any) -> Any:
    if "answer" in turn.tools:
        return reply(tool_calls=[("answer", {"text": "Noted."})])
    return None
