"""Whether a written scenario is kept: it checks (the same passes and the same text as
`museslang check`), the reference oracle passes every episode (the oracle gate), the
mutation audit finds no scorer that still passes a damaged play, and it is the family that
was asked for. The diagnostics are rendered exactly as `check` prints them, so the model
is told what a researcher would be told."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from museslang.compiler import compile_path
from museslang.diagnostics import Diagnostics, render_all
from museslang.gate import gate
from museslang.ir.models import EpisodeGraph
from museslang.semantics.model import ScenarioDef
from museslang.source import SourceFile, Span


@dataclass
class Verdict:
    ok: bool
    text: str = ""  # the diagnostics as `check` prints them ("" when clean)
    codes: list[str] = field(default_factory=list)  # error codes, in order (E011, E060, ...)
    episodes: list[EpisodeGraph] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)  # each scenario's title or name


OWN_CODE = "E090"  # the author's own errors: no spec in the reply, another family


def judge(path: Path, family: str) -> Verdict:
    """Check, gate and audit the spec at `path` (it is read from disk, as `check` does)."""
    if not path.read_text(encoding="utf-8").strip():
        return Verdict(
            False, f"{path}: error[{OWN_CODE}]: the reply held no .muses source\n", [OWN_CODE]
        )
    result = compile_path(path)
    if result.ok and result.compiled is not None:
        gate(result, "sample")
    if result.ok and result.compiled is not None and result.checked is not None:
        wrong = [sc for sc in result.checked.scenarios if _family_of(sc) != family]
        if not result.checked.scenarios:
            result.diagnostics.error(
                OWN_CODE,
                "the file declares no scenario",
                Span(str(path), 1, 1, 1, 2),
                hint=f"declare one `scenario NAME {{ family: {family} ... }}`",
            )
        for sc in wrong:
            result.diagnostics.error(
                OWN_CODE,
                f"scenario '{sc.name}' is of family '{_family_of(sc)}', not '{family}'",
                sc.head,
                hint=f"write `family: {family}`",
            )
    diags: Diagnostics = result.diagnostics
    items = diags.sorted()
    sources: dict[str, SourceFile] = result.sources
    text = render_all(items, sources) if items else ""
    codes = [d.code for d in items if d.is_error]
    if diags.has_errors or result.compiled is None:
        return Verdict(False, text, codes)
    episodes = list(result.compiled.episodes)
    titles = sorted({e.title or e.scenario for e in episodes})
    return Verdict(True, text, codes, episodes, titles)


def most_common(codes: list[str], n: int = 8) -> list[tuple[str, int]]:
    return Counter(codes).most_common(n)


def _family_of(scenario: ScenarioDef) -> str:
    return scenario.family
