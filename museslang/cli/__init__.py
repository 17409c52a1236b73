"""The `museslang` command line: a thin layer over `museslang.api` and the stages.

Every command turns bad input into one clear message and a non-zero exit:
spec errors are rendered diagnostics on stderr (exit 1), unusable arguments
such as a missing file are a one-line error (exit 2). No traceback reaches
the user.

The commands live in modules by what they work on (`spec_cmds`, `run_cmds`,
`train_cmds`, `interop_cmds`, `catalog_cmds`, `author_cmd`); they are registered here,
in one place, in the order `museslang --help` lists them. Nothing in museslang imports
this package: it sits on top of everything.
"""

from __future__ import annotations

from museslang.cli.app import app, main, optional_address
from museslang.cli.author_cmd import author_cmd
from museslang.cli.catalog_cmds import families_cmd, guards_cmd
from museslang.cli.interop_cmds import export_cmd, import_cmd
from museslang.cli.run_cmds import eval_cmd, generate, report, rescore, show, table
from museslang.cli.shared import _runs, _write_report
from museslang.cli.spec_cmds import check, compile_cmd, fmt, graph, lsp_cmd
from museslang.cli.train_cmds import loop_cmd, train_cmd

for _name, _command in (
    ("check", check),
    ("fmt", fmt),
    ("compile", compile_cmd),
    ("eval", eval_cmd),
    ("generate", generate),
    ("lsp", lsp_cmd),
    ("train", train_cmd),
    ("loop", loop_cmd),
    ("rescore", rescore),
    ("table", table),
    ("report", report),
    ("show", show),
    ("graph", graph),
    ("import", import_cmd),
    ("export", export_cmd),
    ("families", families_cmd),
    ("author", author_cmd),
    ("guards", guards_cmd),
):
    app.command(_name)(_command)

__all__ = [
    "_runs",
    "_write_report",
    "app",
    "eval_cmd",
    "generate",
    "main",
    "optional_address",
]
