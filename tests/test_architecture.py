"""The house's layout, checked from every import statement (top level and inside
functions alike, as `shared/tools/imports.py` counts them): the floors of
docs/architecture.md, no import cycle, and no import up a floor but the few that are
plug-in registrations.

The graph is built by the same rules as the tool: an import under `if TYPE_CHECKING:`
does not count (the bare name), `from a.b import c` reaches `a.b` and, when `c` is a
module, `a.b.c`, and a module importing its own package's face is no edge.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "museslang"

# (floor, pattern) in order, first match wins; docs/architecture.md says what each is
FLOORS: list[tuple[int, str]] = [
    (
        0,
        r"museslang(\.(source|diagnostics|registry|safetext|resources|files|cache_folder"
        r"|parser_tables))?$",
    ),
    (1, r"museslang\.(official|family|ir|actions|instructions)(\.|$)"),
    (2, r"museslang\.(syntax|prompts|fmt|highlight)(\.|$)"),
    (3, r"museslang\.(expr|semantics|authored)(\.|$)"),
    (4, r"museslang\.(lower|compiler|compile_cache)(\.|$)"),
    (5, r"museslang\.runtime(\.|$)"),
    (6, r"museslang\.metrics(\.|$)"),
    (
        7,
        r"museslang\.(run|gate|audit|judge|guards|datagen|report|interop|graph|show|train"
        r"|run_episodes)(\.|$)",
    ),
    (8, r"museslang\.families(\.|$)"),
    (9, r"museslang\.(api|loop|author)(\.|$)"),  # loop, author: api-level pipelines
    (10, r"museslang\.(cli|lsp|testing|__main__)(\.|$)"),
]

# how far the house still is from its plan: each step of issue 34 lowers these
MAX_CYCLES = 0
MAX_UPWARD = 10


def _modules() -> dict[str, Path]:
    found = {}
    for f in PACKAGE.rglob("*.py"):
        parts = list(f.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = f
    return found


@cache
def graph() -> dict[str, frozenset[str]]:
    """Module -> the museslang modules it imports."""
    mods = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, frozenset[str]] = {}
    for m, f in mods.items():
        is_pkg = f.name == "__init__.py"
        tree = ast.parse(f.read_text(encoding="utf-8"))
        typing_only: set[int] = set()
        for node in ast.walk(tree):
            test = getattr(node, "test", None)
            guarded = isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"
            if isinstance(node, ast.If) and guarded:
                typing_only.update(id(sub) for sub in ast.walk(node))
        out: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = m.split(".") if is_pkg else m.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                    prefix = ".".join(base + ([node.module] if node.module else []))
                else:
                    prefix = node.module or ""
                targets = [prefix] + [f"{prefix}.{a.name}" for a in node.names]
            for t in targets:
                if t.split(".")[0] != "museslang":
                    continue
                r = resolve(t)
                if r and r != m and not m.startswith(r + "."):
                    out.add(r)
        edges[m] = frozenset(out)
    return edges


def cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in edges:
        if v not in index:
            strong(v)
    return found


def floor(module: str) -> int | None:
    return next((n for n, pattern in FLOORS if re.match(pattern, module)), None)


def upward() -> list[tuple[str, str]]:
    """Every import of a module on a higher floor than the importer's."""
    out = []
    for m, targets in sorted(graph().items()):
        for t in sorted(targets):
            low, high = floor(m), floor(t)
            if low is not None and high is not None and high > low:
                out.append((m, t))
    return out


def test_every_module_has_a_floor() -> None:
    assert [m for m in graph() if floor(m) is None] == []


def test_no_more_import_cycles_than_the_ratchet() -> None:
    found = cycles()
    assert len(found) <= MAX_CYCLES, found


def test_no_more_upward_imports_than_the_ratchet() -> None:
    found = upward()
    assert len(found) <= MAX_UPWARD, "\n".join(f"{a} -> {b}" for a, b in found)


def test_importing_the_language_model_loads_no_family() -> None:
    """Plug-in discovery is lazy: the checker's model of the language (and the IR, and the
    checker itself) reads what families declare when a check asks, never at import."""
    import subprocess
    import sys

    probe = (
        "import sys, museslang.semantics.model, museslang.semantics.check, museslang.ir.models; "
        "print(sorted(m for m in sys.modules if m.startswith('museslang.families')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_docs_architecture_names_every_floor_and_the_ratchet() -> None:
    """docs/architecture.md's table lists each floor's modules as FLOORS maps them, and
    the upward count it explains is the ratchet's."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for number, pattern in FLOORS:
        names = re.findall(r"[a-z_]+", pattern.split("(", 1)[-1])
        row = next((line for line in text.splitlines() if line.startswith(f"| {number} |")), "")
        missing = [n for n in names if n not in ("museslang", "r") and f"`{n}`" not in row]
        assert row and not missing, (number, missing)
    assert f"`MAX_UPWARD` is {MAX_UPWARD} today" in text


def test_the_checkers_list_of_common_metrics_is_the_metrics_own() -> None:
    """The checker reserves museslang's common metric names from a list on the results
    model (so that checking loads no metric); the metrics that put them on every result
    are the truth, and this keeps the list in step with them."""
    from museslang.ir.results import COMMON_METRICS
    from museslang.metrics.scoring import common_outputs

    assert common_outputs() == COMMON_METRICS
