"""The Python API's public face: exactly these names, each importable, and importing it
loads no command-line machinery (typer, rich, click)."""

from __future__ import annotations

import subprocess
import sys

import museslang.api as api

PUBLIC = {
    "compile",
    "load",
    "evaluate",
    "evaluate_async",
    "generate",
    "GenerateOptions",
    "Generated",
    "rescore",
    "report",
    "EvalOptions",
    "ModelOptions",
    "RayOptions",
    "RescoreOptions",
    "ReportOptions",
    "Compiled",
    "Evaluation",
    "Rescored",
    "Report",
    "Progress",
    "MuseslangError",
    "OptionError",
    "SpecError",
    "RunError",
}


def test_the_public_names_are_exactly_these_and_each_is_there() -> None:
    assert set(api.__all__) == PUBLIC
    for name in api.__all__:
        assert getattr(api, name) is not None, name


def test_importing_the_api_loads_no_command_line_library() -> None:
    probe = (
        "import sys, museslang.api; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'rich', 'click')"
        " or m.startswith('museslang.cli')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_an_option_error_speaks_of_fields_and_of_flags() -> None:
    err = api.OptionError("top_p", "--top-p must be above 0 and at most 1")
    assert str(err) == "top_p must be above 0 and at most 1"
    assert err.as_flag() == "--top-p must be above 0 and at most 1"
    assert err.field == "top_p"
    assert isinstance(err, api.MuseslangError)
