"""The language reference and the README stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

from museslang.compiler import compile_path
from museslang.diagnostics import CODES
from museslang.semantics.model import KINDS
from museslang.semantics.reference import replace_reference
from tests.conftest import ROOT, UPDATE_GOLDEN


def test_language_reference_lists_every_kind_field_and_code() -> None:
    path = ROOT / "docs" / "language.md"
    doc = path.read_text(encoding="utf-8")
    regenerated = replace_reference(doc)
    if UPDATE_GOLDEN:
        path.write_text(regenerated, encoding="utf-8")
        doc = regenerated
    assert doc == regenerated, "docs/language.md: run MUSESLANG_UPDATE_GOLDEN=1 pytest"
    for kind, spec in KINDS.items():
        assert f"### `{kind}`" in doc, kind
        for name in spec.fields:
            assert f"| `{name}` |" in doc, (kind, name)
    for code in CODES:
        assert f"| {code} |" in doc, code


def test_readme_example_compiles(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```\n(import std\.identity.*?)```", readme, re.S)
    assert example is not None
    spec = tmp_path / "example.muses"
    spec.write_text(example.group(1), encoding="utf-8")
    result = compile_path(spec)
    assert result.ok, [d.message for d in result.diagnostics]
    assert not result.diagnostics.items


def test_eval_guide_lists_every_backend_action_and_metric() -> None:
    from museslang import family as families
    from museslang.actions import catalogue
    from museslang.metrics.registry import METRICS
    from museslang.metrics.scoring import _load
    from museslang.runtime.agents import AGENTS, make_agent
    from museslang.runtime.agents.reference import POLICIES
    from museslang.runtime.options import BackendOptions
    from museslang.runtime.users import USERS, make_users

    make_agent("reference:oracle", BackendOptions())
    make_users("scripted", BackendOptions())
    _load()
    from museslang.authored.install import INSTALLED

    doc = (ROOT / "docs" / "eval.md").read_text(encoding="utf-8")
    # museslang's own kinds and the installed families' (families written in museslang
    # document themselves)
    for name in catalogue(*(families.get(n) for n in families.installed())):
        assert f"| `{name}` |" in doc, name
    for name in POLICIES:
        assert f"`reference:{name}`" in doc, name
    for scheme in AGENTS.names():
        assert f"`{scheme}:" in doc, scheme
    for scheme in USERS.names():
        assert f"`{scheme}" in doc, scheme
    for key in METRICS.names():
        metric = METRICS.get(key)
        if metric.family in INSTALLED:
            continue
        assert f"| `{metric.name}` |" in doc, key
        for output in metric.outputs:
            assert f"`{output}`" in doc, output


def test_readme_main_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(.*?)\n```", readme, re.S)
    assert commands[0] in ci and "museslang eval specs/meeting.muses" in commands[0]
    assert commands[1] == "python -m pytest" and "python -m pytest" in ci
