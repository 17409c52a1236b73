"""The command line stays thin (issue 34): every function in `museslang/cli/` is short,
the options eval and generate share are declared once and read alike in both, and nothing
in museslang imports the command line."""

from __future__ import annotations

import ast
from pathlib import Path

import typer

from museslang.cli import app
from museslang.cli.options import ModelFlags

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "museslang" / "cli"
MAX_BODY = 60  # lines of a def's body, docstring included; its signature does not count


def _bodies() -> dict[str, int]:
    found = {}
    for f in sorted(CLI.rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                lines = node.end_lineno - node.body[0].lineno + 1
                found[f"{f.relative_to(ROOT)}:{node.lineno} {node.name}"] = lines
    return found


def test_no_function_of_the_command_line_is_long() -> None:
    bodies = _bodies()
    assert len(bodies) > 50  # the package was read: every command and helper
    long = {name: n for name, n in bodies.items() if n > MAX_BODY}
    assert long == {}, f"over {MAX_BODY} lines: move the logic into museslang.api or a helper"


def test_the_length_rule_counts_a_body_and_not_its_signature(tmp_path: Path) -> None:
    source = "def f(\n    a: int = 1,\n    b: int = 2,\n) -> None:\n" + "    x = 1\n" * 61
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef) and node.end_lineno is not None
    assert node.end_lineno - node.body[0].lineno + 1 == 61


def _options(command: str) -> dict[str, tuple[tuple[str, ...], object, str | None]]:
    found = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    return {p.name: (tuple(p.opts), p.default, getattr(p, "help", None)) for p in found.params}


def test_eval_and_generate_take_every_model_flag_with_one_default_and_help() -> None:
    evaluate, generate = _options("eval"), _options("generate")
    for field in ModelFlags.__dataclass_fields__:
        assert field in evaluate and field in generate, field
        assert evaluate[field] == generate[field], field
    assert evaluate["tensor_parallel"] == (
        ("--tensor-parallel",),
        1,
        generate["tensor_parallel"][2],
    )
    assert evaluate["ray"][0] == ("--ray",)


def test_a_command_called_with_keywords_gets_its_model_flags_gathered() -> None:
    """The loop calls `eval_cmd` and `generate` with keyword arguments, as typer does."""
    from museslang.cli.options import MODEL_FLAGS, with_model_flags

    seen: list[ModelFlags] = []

    @with_model_flags
    def command(file: str, model: ModelFlags = MODEL_FLAGS, own: int = 0) -> None:
        seen.append(model)

    command(file="x", top_p=0.5, own=3)
    assert seen == [ModelFlags(top_p=0.5)]
    import inspect

    names = list(inspect.signature(command).parameters)
    assert names[0] == "file" and names[-1] == "own" and "model" not in names
    assert names[1:-1] == list(ModelFlags.__dataclass_fields__)


def test_nothing_in_museslang_imports_the_command_line() -> None:
    from tests.test_architecture import graph

    users = sorted(
        m
        for m, targets in graph().items()
        if not m.startswith("museslang.cli") and m != "museslang.__main__"
        and any(t == "museslang.cli" or t.startswith("museslang.cli.") for t in targets)
    )  # fmt: skip
    assert users == []
