"""What the Python API raises: one family of errors, each carrying the one-line message
the command line prints, so a notebook and a shell see the same words."""

from __future__ import annotations

import re

_FLAG = re.compile(r"--([a-z][a-z0-9-]*)")


class MuseslangError(Exception):
    """Anything the API refuses or cannot do; `str(e)` says what, in one line."""


class OptionError(MuseslangError, ValueError):
    """An option value that cannot work. `field` names the option; `str(e)` speaks of
    options by their field names (`top_p must be above 0 and at most 1`), `as_flag()` of
    the command line's flags (`--top-p must be above 0 and at most 1`)."""

    def __init__(self, field: str, flag_message: str):
        self.field = field
        self.flag_message = flag_message
        super().__init__(_FLAG.sub(lambda m: m.group(1).replace("-", "_"), flag_message))

    def as_flag(self) -> str:
        return self.flag_message


class SpecError(MuseslangError):
    """A spec with errors: `rendered` is every diagnostic, rendered as `museslang check`
    prints them (file:line:col, the source line, a caret, a hint)."""

    def __init__(self, rendered: str, source: str = ""):
        self.rendered = rendered
        self.source = source
        super().__init__(f"{source or 'the spec'} has errors:\n{rendered}".rstrip())


class RunError(MuseslangError):
    """A run that could not go on: an endpoint, a backend, the cluster, the run folder."""
