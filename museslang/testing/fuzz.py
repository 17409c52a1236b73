"""Fuzzing the compiler: hypothesis strategies for valid specs and their mutations.

The promise under test: whatever text arrives, `compile_path` returns, with a clean
compile or diagnostics; it never raises and never hangs. `valid_specs` writes
well-formed specs of every family (each family's corpus draws its own) from the
language's own constructs (users, roles, resources and read rules, orders,
constraints, protocols, sweeps, imports, comments); `mutated_specs` then breaks them
the ways people and tools do: a token deleted, duplicated or swapped, a wrong literal,
a huge number, stray unicode, deep nesting, a file cut off mid-way.

Needs the dev extra (hypothesis). Used by tests/test_fuzz.py (a few hundred cases in
CI) and benchmarks/fuzz.py (10,000 cases, each under a time limit).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import strategies as st

from museslang.compiler import compile_path

NAMES = ["Ana", "Ben", "Chen", "Dana", "Eli", "Femi", "Gus", "Hana", "Ivo", "Jo"]
SLOTS = [f"{d} {h}:{m}" for d in ("Mon", "Tue", "Wed", "Thu", "Fri")
         for h in (9, 10, 11, 13, 14, 15, 16) for m in ("00", "30")]  # fmt: skip
WORDS = ["budget", "plan", "deadline", "report", "server", "launch", "review", "memo"]
UNICODE = ["é", "ß", "日本", "🙂", "\u200b", "\u202e", "Ω", "\t", "\\", "\x00", "ﬁ"]

_TOKEN = re.compile(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|[A-Za-z_][\w.]*|\d+(?:\.\d+)?|\S')


def text(draw) -> str:
    """A short sentence of plain words (family corpora write their fields with it)."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6))
    return " ".join(words).capitalize()


def _bodies():
    """Each family's strategy for a scenario body (museslang.testing.corpus)."""
    from museslang.testing.corpus import Kit, corpora

    kit = Kit(NAMES, WORDS, SLOTS, text)
    return [c.fuzz(kit) for _, c in corpora() if c.fuzz is not None]


@st.composite
def valid_specs(draw) -> str:
    """A well-formed spec of one family, sometimes with imports, comments and a protocol."""
    body = draw(st.one_of(*_bodies()))
    head = []
    if draw(st.booleans()):
        head.append("import std.identity")
    if draw(st.booleans()):
        head.append("# a comment before the scenario")
    lines = [*head, "scenario fuzzed {", *body]
    if draw(st.booleans()):
        lines.insert(len(head) + 2, f'  objective: "{text(draw)}"')
    if draw(st.booleans()):
        lines.append(f"  protocol {{ max_turns: {draw(st.integers(1, 12))} }}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def tokens(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _TOKEN.finditer(text)]


@st.composite
def mutated_specs(draw) -> str:
    """A valid spec broken by one to three mutations."""
    text = draw(valid_specs())
    for _ in range(draw(st.integers(1, 3))):
        spans = tokens(text) or [(0, 0)]
        start, end = draw(st.sampled_from(spans))
        piece = text[start:end]
        kind = draw(st.sampled_from(
            ["delete", "duplicate", "swap", "literal", "huge", "unicode", "nest", "truncate"]
        ))  # fmt: skip
        if kind == "delete":
            text = text[:start] + text[end:]
        elif kind == "duplicate":
            text = text[:end] + " " + piece + text[end:]
        elif kind == "swap":
            s2, e2 = draw(st.sampled_from(spans))
            if e2 <= start:
                text = text[:s2] + piece + text[e2:start] + text[s2:e2] + text[end:]
        elif kind == "literal":
            wrong = draw(st.sampled_from(['"text"', "42", "-7", "3.5", "true", "[]", "{}",
                                          "Mon 25:99", "null", "x.y()"]))  # fmt: skip
            text = text[:start] + wrong + text[end:]
        elif kind == "huge":
            big = draw(st.sampled_from(["9" * 400, "1" + "0" * 30, "-99999999999", "1e308"]))
            text = text[:start] + big + text[end:]
        elif kind == "unicode":
            text = text[:start] + draw(st.sampled_from(UNICODE)) + text[start:]
        elif kind == "nest":
            depth = draw(st.sampled_from([3, 60, 200, 3000]))
            text = text[:start] + "[" * depth + piece + "]" * depth + text[end:]
        else:
            text = text[: draw(st.integers(0, len(text)))]
    return text


def compile_text(text: str, folder: Path | None = None) -> str:
    """'ok' or 'diagnostics': what compiling `text` gave. Any exception propagates."""
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = Path(tmp) / "fuzzed.muses"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        result = compile_path(path)
        return "ok" if result.ok else "diagnostics"
