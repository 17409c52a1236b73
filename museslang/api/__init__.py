"""museslang from Python: compile a spec, evaluate an agent on it, rescore a run, write a
report, generate training data. Every function returns a typed result or raises a
`MuseslangError` (`OptionError` for an option that cannot work, `SpecError` for a spec
with errors, `RunError` for a run that
could not go on); nothing here prints, exits or reads `sys.argv`, and importing it imports
neither typer nor rich. The command line is a thin layer over these functions.

    from museslang import api
    compiled = api.compile("specs/meeting.muses")
    done = api.evaluate(compiled, "reference:oracle", api.EvalOptions(limit=4, out=Path("r")))
    print(done.summary.ok, done.report)
"""

from __future__ import annotations

from museslang.api.compile import Compiled, compile, load
from museslang.api.errors import MuseslangError, OptionError, RunError, SpecError
from museslang.api.evaluate import Evaluation, Progress, evaluate, evaluate_async
from museslang.api.generate import Generated, GenerateOptions, generate
from museslang.api.options import (
    EvalOptions,
    ModelOptions,
    RayOptions,
    ReportOptions,
    RescoreOptions,
)
from museslang.api.report import Report, report
from museslang.api.rescore import Rescored, rescore

__all__ = [
    "Compiled",
    "EvalOptions",
    "Evaluation",
    "GenerateOptions",
    "Generated",
    "ModelOptions",
    "MuseslangError",
    "OptionError",
    "Progress",
    "RayOptions",
    "Report",
    "ReportOptions",
    "RescoreOptions",
    "Rescored",
    "RunError",
    "SpecError",
    "compile",
    "evaluate",
    "evaluate_async",
    "generate",
    "load",
    "report",
    "rescore",
]
