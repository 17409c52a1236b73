"""`museslang loop`: the experiment file's checks, every stage's outputs, resuming after a
failure at each stage, and (with the [hf] and [train] extras) the whole loop on the tiny
local model the training tests use.

The CI tests run the real `generate`, `eval`, `table` and report code with reference
agents standing in for the base model and its adapter, and a stand-in trainer; the
extras test runs the real trainer and `hf:` on the tiny model.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from museslang import cli
from museslang.cli import app
from museslang.loop.plan import PlanError, read_plan
from museslang.loop.stages import MARKER, Commands, Loop, StageFailed
from museslang.runtime.agents.registry import AGENTS
from museslang.runtime.engine import AgentTurn, EpisodeView, WrappingAgent
from museslang.train import Trained
from tests.conftest import ROOT

runner = CliRunner()
SPECS = ROOT / "specs"


def experiment(tmp_path: Path, *, train_seeds: str = "[1]", eval_seeds: str = "[7]",
               extra: str = "", base: str = "some/model", backend: str = "hf") -> Path:  # fmt: skip
    text = f"""\
out = "out"
base = "{base}"
backend = "{backend}"
tool_mode = "text"

[data]
teachers = ["reference:oracle"]
per_family = 6
max_users = 4
{extra}
[[data.specs]]
file = "{SPECS / "shared_queue.muses"}"
seeds = {train_seeds}
n = 8

[[data.specs]]
file = "{SPECS / "instruction_following.muses"}"
seeds = [1]
n = 8

[recipe]
steps = 2
max_length = 1024

[eval]
agents = ["base", "trained"]
max_tokens = 8

[[eval.specs]]
file = "{SPECS / "shared_queue.muses"}"
seeds = {eval_seeds}
sample = 2

[[eval.specs]]
file = "{SPECS / "budget.muses"}"
seeds = [7]
sample = 2
"""
    path = tmp_path / "exp.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the experiment file ---------------------------------------------------------------


def test_the_example_experiment_reads() -> None:
    plan = read_plan(ROOT / "experiments" / "smollm2-cpu.toml")
    assert plan.recipe.lora_r == 16 and plan.recipe.lora_alpha == 32
    assert plan.recipe.lora_dropout == 0.05 and plan.recipe.lora_targets == "all-linear"
    assert [p.name for p in plan.held_out_specs()] == ["budget.muses"]
    assert plan.agent("base") == f"vllm:{plan.base}"
    assert plan.base == str(Path("~/.cache/museslang/models/smollm2-135m-instruct").expanduser())


def test_overlapping_seeds_are_refused_with_the_line(tmp_path: Path) -> None:
    path = experiment(tmp_path, train_seeds="[1, 7]", eval_seeds="[7, 8]")
    result = runner.invoke(app, ["loop", str(path)])
    assert result.exit_code == 2
    lines = path.read_text().splitlines()
    seeds_line = next(i + 1 for i, line in enumerate(lines) if line == "seeds = [7, 8]")
    assert (
        f"{path}:{seeds_line}: error: seed 7 of shared_queue.muses is both a training "
        "seed and a held-out seed" in result.output
    )
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ('teacher = ["reference:oracle"]', "unknown key 'teacher' in [data]"),
        ("max_users = 0", "'max_users' must be positive"),
        ("val = [", "not valid TOML"),
    ],
)
def test_a_bad_file_is_one_diagnostic(tmp_path: Path, extra: str, says: str) -> None:
    path = experiment(tmp_path, extra=extra)
    if extra.startswith("max_users"):
        path.write_text(path.read_text().replace("max_users = 4\n", ""))
    with pytest.raises(PlanError) as info:
        read_plan(path)
    first = str(info.value).splitlines()[0]
    assert first.startswith(f"{path}:") and says in first
    if "unknown key" in says:
        assert "did you mean 'teachers'" in str(info.value)
    result = runner.invoke(app, ["loop", str(path)])
    assert result.exit_code == 2 and says in result.output


def test_missing_spec_and_unknown_agent(tmp_path: Path) -> None:
    path = experiment(tmp_path)
    path.write_text(path.read_text().replace('"base", "trained"', '"base", "tuned"'))
    with pytest.raises(PlanError, match="unknown agent 'tuned'"):
        read_plan(path)
    path.write_text(
        path.read_text()
        .replace('"base", "tuned"', '"base", "trained"')
        .replace(str(SPECS / "budget.muses"), "nope.muses")
    )
    with pytest.raises(PlanError, match=r"no spec file at nope\.muses"):
        read_plan(path)


# --- the stages, with reference agents and a stand-in trainer ---------------------------


class Recorder:
    """The CLI's command bodies, counted; reference agents play base and trained (the
    oracle as the trained model, refuse as the base), and `fail` makes one stage fail."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail: str | None = None

    def generate(self, **kw):
        if kw.get("lora") is not None:  # rejection sampling: the adapter plays
            self.calls.append("sample")
            assert kw["temperature"] == 0.7 and kw["val"] == 0.0
            return cli.generate(**{**kw, "teacher": "reference:oracle", "lora": None})
        self.calls.append("generate")
        if self.fail == "generate" and len([c for c in self.calls if c == "generate"]) == 2:
            raise StageFailed("stopped")
        return cli.generate(**kw)

    def evaluate(self, **kw):
        trained = kw["lora"] is not None
        self.calls.append("eval-trained" if trained else "eval-base")
        if self.fail == self.calls[-1]:
            raise KeyboardInterrupt
        agent = "reference:oracle" if trained else "reference:refuse"
        return cli.eval_cmd(**{**kw, "agent": agent, "lora": None})

    def train(self, data: Path, base: str, out: Path, settings) -> Trained:
        self.calls.append("train")
        if self.fail == "train":
            raise StageFailed("stopped")
        rows = (data / "train.jsonl").read_text().splitlines()
        assert rows and settings.lora_alpha == 32 and settings.assistant_only
        (out / "adapter_config.json").write_text(json.dumps({"r": settings.lora_rank}))
        (out / "museslang-train.json").write_text(json.dumps(
            {"tokens": 1234, "examples": len(rows)}))  # fmt: skip
        return Trained(out, settings.max_steps, 1.5, 1.25)

    def commands(self) -> Commands:
        return Commands(generate=self.generate, evaluate=self.evaluate, load_runs=cli._runs,
                        write_report=cli._write_report, train=self.train)  # fmt: skip


def _folders(out: Path) -> dict[str, Path]:
    return {p.name.rsplit("-", 1)[0]: p for p in out.iterdir() if p.is_dir()}


def test_every_stage_writes_its_outputs(tmp_path: Path) -> None:
    plan = read_plan(experiment(tmp_path))
    rec = Recorder()
    said: list[str] = []
    stages = Loop(plan, rec.commands(), said.append, progress=False).run()
    assert rec.calls.count("generate") == 2 and rec.calls.count("train") == 1
    out = _folders(plan.out)
    assert set(out) == {"generate", "train", "eval-base", "eval-trained", "table"}
    assert all((f / MARKER).exists() for f in out.values())
    gen = json.loads((out["generate"] / MARKER).read_text())["info"]
    assert set(gen["by_family"]) == {"shared_queue", "instruction_following"}
    assert all(c["train"] <= 6 for c in gen["by_family"].values())  # per_family
    rows = [json.loads(x) for x in (out["generate"] / "train.jsonl").read_text().splitlines()]
    assert all(int(r["metadata"]["cell"]["users"]) <= 4 for r in rows)  # max_users
    assert all("tool_calls" not in m for r in rows for m in r["messages"])  # text protocol
    for label in ("base", "trained"):
        for run in ("shared_queue-s7", "budget-s7"):
            assert (out[f"eval-{label}"] / run / "summary.json").exists()
    results = (out["table"] / "results.md").read_text()
    assert "| budget (held-out spec) | base |" in results
    assert "| shared queue | trained | accuracy | 1.000" in results
    assert "2 steps" in results and "1,234 tokens seen" in results
    assert "training loss 1.500, validation loss 1.250" in results
    assert (out["table"] / "table.md").exists() and (out["table"] / "report.html").exists()
    table = (out["table"] / "table.md").read_text()
    assert "| trained |" in table and "| base |" in table
    assert any("[loop 5/5] table: finished" in line for line in said)
    assert stages["trained" and "eval-trained"].inputs["adapter"] == stages["train"].key


@pytest.mark.parametrize("stage", ["generate", "train", "eval-base", "eval-trained"])
def test_a_failed_stage_resumes_and_earlier_stages_are_skipped(tmp_path: Path,
                                                               stage: str) -> None:  # fmt: skip
    plan = read_plan(experiment(tmp_path))
    rec = Recorder()
    rec.fail = stage
    with pytest.raises((StageFailed, KeyboardInterrupt)):
        Loop(plan, rec.commands(), lambda _: None, progress=False).run()
    order = ["generate", "train", "eval-base", "eval-trained", "table"]
    before = {n: (f / MARKER).exists() for n, f in _folders(plan.out).items()}
    assert all(before.get(n) for n in order[: order.index(stage)])
    assert not before.get(stage)
    rec.fail, rec.calls = None, []
    said: list[str] = []
    Loop(plan, rec.commands(), said.append, progress=False).run()
    for name in order[: order.index(stage)]:  # finished before: skipped
        assert any(f"] {name}: done already" in line for line in said), said
        assert name not in rec.calls
    assert any(f"] {stage}: continuing" in line for line in said)
    assert all((f / MARKER).exists() for f in _folders(plan.out).values())
    if stage == "generate":  # the part that finished is not played again
        assert rec.calls.count("generate") == 1


class DyingEngine(WrappingAgent):
    """The oracle, played as `vllm:` plays once its engine process has died: while
    `dead`, every turn raises (what an EngineDeadError does to each episode)."""

    dead = True

    async def act(self, view: EpisodeView) -> AgentTurn:
        if self.dead:
            raise RuntimeError("the vLLM engine failed: EngineDeadError")
        return await self.inner.act(view)


def test_an_evaluation_with_errored_episodes_is_not_finished(tmp_path: Path) -> None:
    # an engine that dies mid-stage errors every episode after it; the stage must stop
    # and stay unfinished (a table of errored plays is no measurement), and the rerun
    # plays exactly the errored episodes again
    plan = read_plan(experiment(tmp_path))
    rec = Recorder()

    def dying(**kw):
        if kw["lora"] is None:
            return rec.evaluate(**kw)
        rec.calls.append("eval-trained")
        return cli.eval_cmd(**{**kw, "agent": "dying:oracle", "lora": None})

    commands = replace(rec.commands(), evaluate=dying)
    AGENTS.register("dying")(
        lambda arg, options: DyingEngine(AGENTS.get("reference")(arg, options))
    )
    DyingEngine.dead = True
    try:
        with pytest.raises(StageFailed, match=r"eval trained on shared_queue\.muses seed 7"):
            Loop(plan, commands, lambda _: None, progress=False).run()
        out = _folders(plan.out)
        assert not (out["eval-trained"] / MARKER).exists() and "table" not in out
        first = out["eval-trained"] / "shared_queue-s7" / "summary.json"
        summary = json.loads(first.read_text())
        assert summary["errored"] == summary["results"] > 0
        DyingEngine.dead, rec.calls = False, []
        said: list[str] = []
        Loop(plan, commands, said.append, progress=False).run()
    finally:
        AGENTS.remove("dying")
    assert rec.calls == ["eval-trained", "eval-trained"]  # each held-out run once
    assert any("] eval-trained: continuing" in line for line in said)
    again = json.loads(first.read_text())
    assert again["errored"] == 0 and again["results"] == summary["results"]
    assert (out["eval-trained"] / MARKER).exists()


def test_a_plan_checks_its_error_rule(tmp_path: Path) -> None:
    path = experiment(tmp_path)
    path.write_text(path.read_text().replace("[eval]\n", '[eval]\nfail_on_error = "often"\n'))
    with pytest.raises(PlanError, match="fail_on_error takes any, never, a count or a share"):
        read_plan(path)


def test_a_changed_input_reruns_that_stage_and_those_after(tmp_path: Path) -> None:
    path = experiment(tmp_path)
    plan = read_plan(path)
    rec = Recorder()
    Loop(plan, rec.commands(), lambda _: None, progress=False).run()
    rec.calls = []
    changed = replace(plan, recipe=replace(plan.recipe, learning_rate=1e-4))
    said: list[str] = []
    Loop(changed, rec.commands(), said.append, progress=False).run()
    assert "generate" not in rec.calls and rec.calls.count("train") == 1
    assert "eval-base" not in rec.calls and "eval-trained" in rec.calls
    assert any("] generate: done already" in line for line in said)
    assert any("] eval-base: done already" in line for line in said)
    assert len([p for p in plan.out.iterdir() if p.name.startswith("train-")]) == 2


def test_rejection_sampling_trains_again_on_the_perfect_plays(tmp_path: Path) -> None:
    path = experiment(tmp_path)
    path.write_text(path.read_text().replace("steps = 2\n", 'steps = 2\nkind = "rft"\n'))
    plan = read_plan(path)
    rec = Recorder()
    said: list[str] = []
    stages = Loop(plan, rec.commands(), said.append, progress=False).run()
    assert rec.calls.count("train") == 2 and rec.calls.count("sample") == 2
    assert [n for n in stages if n != "trained"] == [
        "generate",
        "train",
        "sample1",
        "train1",
        "eval-base",
        "eval-trained",
        "table",
    ]
    assert stages["trained"] is stages["train1"]
    assert stages["eval-trained"].info["lora"] == str(stages["train1"].folder)
    teacher = (stages["generate"].folder / "train.jsonl").read_text().splitlines()
    both = (stages["train1"].folder / "data" / "train.jsonl").read_text().splitlines()
    sampled = json.loads((stages["sample1"].folder / MARKER).read_text())["info"]
    assert sampled["kept"] == sampled["episodes"] == 16  # the oracle plays perfectly
    assert len(both) > len(teacher) and both[: len(teacher)] == teacher
    assert any("the adapter played 16/16 training episodes perfectly" in x for x in said)
    results = (stages["table"].folder / "results.md").read_text()
    assert "## Training cost" in results
    rerun: list[str] = []
    Loop(plan, rec.commands(), rerun.append, progress=False).run()
    assert sum("done already" in x for x in rerun) == 7


def test_the_cli_runs_the_loop_until_a_stage(tmp_path: Path) -> None:
    path = experiment(tmp_path)
    result = runner.invoke(app, ["loop", str(path), "--until", "generate", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "[loop 1/5] generate: finished" in result.output
    assert [p.name.split("-")[0] for p in (tmp_path / "out").iterdir()] == ["generate"]
    bad = runner.invoke(app, ["loop", str(path), "--until", "nope"])
    assert bad.exit_code == 2 and "no stage 'nope'" in bad.output


# --- the whole loop on the tiny model ---------------------------------------------------


@pytest.mark.extras
def test_the_whole_loop_on_the_tiny_model(tmp_path: Path) -> None:
    for module in ("torch", "transformers", "trl", "peft", "datasets"):
        pytest.importorskip(module)
    from museslang.testing.tiny_model import build_tiny_model

    corpus = [(ROOT / p).read_text(encoding="utf-8") for p in
              ("specs/shared_queue.muses", "stdlib/people.muses")]  # fmt: skip
    tiny = build_tiny_model(tmp_path / "tiny", corpus)
    path = experiment(tmp_path, base=str(tiny), backend="hf")
    result = runner.invoke(app, ["loop", str(path), "--no-progress"])
    assert result.exit_code == 0, result.output
    out = _folders(tmp_path / "out")
    summary = json.loads((out["train"] / "museslang-train.json").read_text())
    assert summary["steps"] == 2 and math.isfinite(summary["train_loss"])
    assert summary["assistant_only"] and summary["tokens"]
    assert (out["train"] / "adapter_config.json").exists()
    assert "| shared queue | trained |" in result.output
    again = runner.invoke(app, ["loop", str(path), "--no-progress"])
    assert again.exit_code == 0 and again.output.count("done already") == 5
