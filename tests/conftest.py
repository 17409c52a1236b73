from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from museslang.diagnostics import Diagnostics
from museslang.source import SourceFile
from museslang.syntax import ast
from museslang.syntax.parser import parse_source

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
SHARED = ROOT.parent / "shared"
UPDATE_GOLDEN = os.environ.get("MUSESLANG_UPDATE_GOLDEN") == "1"
SAMPLE = SHARED / "muses-bench-sample"
NO_SAMPLE = (
    f"needs the official MUSES Bench sample at {SAMPLE} (../shared beside the clone; "
    "a fresh clone has none)"
)


PLUGINS = ROOT / "tests" / "plugins"


def install_plugin(where: Path, dist: str, group: str, entries: str) -> dict[str, str]:
    """A test plug-in as pip would leave it: distribution `dist`'s metadata with its entry
    points under `group` on the path (its package is under tests/plugins); the environment
    for a museslang subprocess that sees it."""
    info = where / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{group}]\n{entries}\n")
    path = os.pathsep.join([str(where), str(PLUGINS), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path}


def museslang_in(env: dict[str, str], *args: str):
    """`python -m museslang ARGS` in its own process, from the project root."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "museslang", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    """Compiles the tests cache go to a folder of this session, not the user's cache (the
    subprocesses the tests start inherit it)."""
    import tempfile

    if "MUSESLANG_CACHE" not in os.environ:
        os.environ["MUSESLANG_CACHE"] = tempfile.mkdtemp(prefix="museslang-cache-")
        config.add_cleanup(lambda: shutil.rmtree(os.environ.pop("MUSESLANG_CACHE"), True))


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Diagnostics name files relative to the working directory: pin it."""
    monkeypatch.chdir(ROOT)


def parse(text: str) -> tuple[ast.Module, Diagnostics]:
    diags = Diagnostics()
    module = parse_source(SourceFile(Path("t.muses"), "t.muses", text), diags)
    return module, diags


def parse_ok(text: str) -> ast.Module:
    module, diags = parse(text)
    assert not diags.items, [d.message for d in diags]
    return module


def field_value(text: str, key: str = "v") -> ast.Value:
    """Parse `x { v: <text> }` and return the value node."""
    module = parse_ok(f"x {{ {key}: {text} }}")
    return module.decls[0].fields[0].value


def check_golden(path: Path, actual: str) -> None:
    if UPDATE_GOLDEN or not path.exists():
        if not UPDATE_GOLDEN:
            pytest.fail(f"missing golden file {path}; run with MUSESLANG_UPDATE_GOLDEN=1")
        path.write_text(actual, encoding="utf-8")
        return
    assert actual == path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def meeting_spec():
    """The compiled meeting benchmark (216 episodes), compiled once per test session."""
    from museslang.compiler import compile_path

    result = compile_path(ROOT / "specs" / "meeting.muses")
    assert result.compiled is not None
    return result.compiled


def run_episodes(episodes, agent: str = "reference:oracle", users: str = "scripted", **options):
    """Run episodes through the engine in-process and score them; returns results by id."""
    import asyncio

    from museslang.run.runner import to_result
    from museslang.runtime.agents import make_agent
    from museslang.runtime.engine import Engine
    from museslang.runtime.options import BackendOptions
    from museslang.runtime.users import make_users

    opts = BackendOptions(**options)

    async def go():
        a, u = make_agent(agent, opts), make_users(users, opts)
        engine = Engine(a, u)
        try:
            runs = await asyncio.gather(*(engine.run(e) for e in episodes))
        finally:
            await a.aclose()
            await u.aclose()
        return {e.id: to_result(e, r, agent, users) for e, r in zip(episodes, runs, strict=True)}

    return asyncio.run(go())


def result_with(episode, *actions, transcript=(), turns: int = 1):
    """A hand-built ok result of an episode: the actions and messages a test wants scored."""
    from museslang.ir.results import EpisodeResult

    return EpisodeResult(
        id=episode.id, scenario=episode.scenario, family=episode.family, cell=episode.cell,
        sample=episode.sample, seed=episode.seed, agent="test", users="test", status="ok",
        ending="done" if actions else "limit", turns=turns, transcript=list(transcript),
        actions=list(actions), latency_s=0.0,
    )  # fmt: skip
