"""The loop's stages, each in its own folder keyed by a hash of its inputs.

A stage's key hashes everything its outputs depend on: the spec files' bytes, seeds,
teachers, the recipe, the base model's name, the evaluation settings, and the keys of
the stages it reads from. Its folder is `OUT/<stage>-<key>/`; a `DONE.json` marker is
written last, when everything else in the folder is in place. A run therefore skips a
stage whose marker is there, redoes one that was interrupted (generation and evaluation
continue their episodes with `--resume`; training starts again), and a changed input
gives new keys to that stage and every stage after it, leaving the old folders as they
were (nothing already written is lost).

The stages call the CLI's command bodies (`Commands`, handed in by `museslang loop`, since
the loop sits below the CLI) and `museslang.train.train`: the loop is `generate`,
`train`, `eval`, `table` and `report` run in order, with the same code paths.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from museslang.loop.plan import MODEL_AGENTS, Plan, SpecSeeds
from museslang.run.error_limit import error_limit

MARKER = "DONE.json"


class StageFailed(RuntimeError):
    """A stage stopped; what it finished stays in its folder for the next run."""


@dataclass
class Commands:
    """What the loop runs: the CLI's command functions and the training function."""

    generate: Callable[..., Any]
    evaluate: Callable[..., Any]
    load_runs: Callable[[list[Path]], list]
    write_report: Callable[..., Any]
    train: Callable[..., Any] | None = None  # default: museslang.train.train
    engine: Callable[..., Any] | None = None  # a context manager sharing one vllm engine


@dataclass
class Stage:
    name: str
    key: str
    folder: Path
    inputs: dict[str, Any]
    skipped: bool = False
    info: dict[str, Any] = field(default_factory=dict)


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _key(inputs: dict[str, Any]) -> str:
    text = json.dumps(inputs, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _specs(specs: tuple[SpecSeeds, ...]) -> list[dict[str, Any]]:
    return [
        {"file": s.file.name, "sha256": _file_hash(s.file), "seeds": list(s.seeds), "n": s.n,
         "max_tokens": s.max_tokens}
        for s in specs
    ]  # fmt: skip


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "-" for c in text)
    return keep.strip("-")[-60:] or "x"


def _exit_code(exc: BaseException) -> int | None:
    """The status of a command body that ended by raising typer's Exit (click's)."""
    return getattr(exc, "exit_code", None)


class Loop:
    """Runs one plan; `only` stops after the named stage (for tests and for looking)."""

    def __init__(self, plan: Plan, commands: Commands, echo: Callable[[str], None],
                 progress: bool = True) -> None:  # fmt: skip
        self.plan, self.commands, self.echo, self.progress = plan, commands, echo, progress
        self.stages: list[Stage] = []

    # --- keys ----------------------------------------------------------------------------
    def _stage(self, name: str, inputs: dict[str, Any]) -> Stage:
        key = _key({"stage": name, **inputs})
        stage = Stage(name, key, self.plan.out / f"{name}-{key}", inputs)
        self.stages.append(stage)
        return stage

    def plan_stages(self) -> dict[str, Stage]:
        p = self.plan
        gen = self._stage("generate", {
            "specs": _specs(p.train_specs), "teachers": list(p.teachers), "val": p.val,
            "tool_mode": p.tool_mode, "max_users": p.max_users, "per_family": p.per_family,
            "seed": p.recipe.seed,
        })  # fmt: skip
        sft = {k: v for k, v in asdict(p.recipe).items() if not k.startswith("rft_")}
        train = self._stage("train", {"data": gen.key, "base": p.base, "recipe": sft})
        out = {"generate": gen, "train": train}
        if p.recipe.kind == "rft":
            rft = {k: v for k, v in asdict(p.recipe).items() if k.startswith("rft_")}
            for k in range(1, p.recipe.rft_rounds + 1):
                sample = self._stage(f"sample{k}", {
                    "adapter": train.key, "adapter_stage": train.name,
                    "specs": _specs(p.train_specs), "rft": rft,
                    "tool_mode": p.tool_mode,
                })  # fmt: skip
                train = self._stage(f"train{k}", {
                    "data": gen.key, "samples": [s.key for n, s in out.items()
                                                 if n.startswith("sample")] + [sample.key],
                    "base": p.base, "recipe": sft,
                })  # fmt: skip
                out[f"sample{k}"], out[f"train{k}"] = sample, train
        out["trained"] = train  # the adapter the trained agent is: the last round's
        ev = asdict(p.evaluation)
        ev.pop("agents")
        ev.pop("fail_on_error")  # what fails a stage, not what its results depend on
        for label in p.evaluation.agents:
            inputs: dict[str, Any] = {
                "agent": p.agent(label), "specs": _specs(p.eval_specs), "eval": ev,
                "tool_mode": p.tool_mode,
            }  # fmt: skip
            if label == "trained":
                inputs["adapter"] = train.key
            out[f"eval-{label}"] = self._stage(f"eval-{_slug(label)}", inputs)
        evals = [s.key for n, s in out.items() if n.startswith("eval-")]
        out["table"] = self._stage("table", {
            "evals": evals, "labels": list(p.evaluation.agents), "train": train.key,
        })  # fmt: skip
        return out

    def order(self, stages: dict[str, Stage]) -> list[str]:
        """The stages to run, in order: training only when the trained model is compared."""
        needs_train = "trained" in self.plan.evaluation.agents
        training = ("train", "sample", "trained")
        return [n for n in stages if n != "trained" and (needs_train or not n.startswith(training))]

    # --- running -------------------------------------------------------------------------
    def run(self, stop_after: str | None = None) -> dict[str, Stage]:
        """Every stage in order (up to `stop_after`); the shared engine starts at the first
        model evaluation to run, when the adapter it may serve exists."""
        stages = self.plan_stages()
        self.plan.out.mkdir(parents=True, exist_ok=True)
        names = self.order(stages)
        with contextlib.ExitStack() as stack:
            engine = False
            for i, name in enumerate(names, 1):
                if name.startswith("eval-") and not engine:
                    stack.enter_context(self._engine(stages, names))
                    engine = True
                self._run_one(i, len(names), stages[name], stages)
                if stop_after == name:
                    break
        return stages

    def _run_one(self, i: int, total: int, stage: Stage, stages: dict[str, Stage]) -> None:
        marker = stage.folder / MARKER
        if marker.exists():
            stage.skipped = True
            stage.info = json.loads(marker.read_text(encoding="utf-8")).get("info", {})
            self.echo(f"[loop {i}/{total}] {stage.name}: done already ({stage.folder.name})")
            return
        again = stage.folder.exists()
        self.echo(f"[loop {i}/{total}] {stage.name}: {'continuing' if again else 'running'} "
                  f"in {stage.folder}")  # fmt: skip
        start = time.monotonic()
        stage.folder.mkdir(parents=True, exist_ok=True)
        if stage.name == "generate":
            stage.info = self._generate(stage)
        elif stage.name.startswith("train"):
            stage.info = self._train(stage, stages)
        elif stage.name.startswith("sample"):
            stage.info = self._sample(stage, stages)
        elif stage.name.startswith("eval-"):
            stage.info = self._evaluate(stage, stages)
        else:
            stage.info = self._table(stage, stages)
        minutes = (time.monotonic() - start) / 60
        stage.info.setdefault("minutes", round(minutes, 2))
        body = {"stage": stage.name, "key": stage.key, "inputs": stage.inputs, "info": stage.info}
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, indent=2, default=str) + "\n", encoding="utf-8")
        tmp.replace(marker)
        self.echo(f"[loop {i}/{total}] {stage.name}: finished in {minutes:.1f} min")

    def _call(self, what: str, fn: Callable[..., Any], **kwargs: Any) -> None:
        try:
            fn(**kwargs)
        except Exception as exc:  # a command body ends by raising typer's Exit
            code = _exit_code(exc)
            if code == 0:
                return
            if code is None and not isinstance(exc, StageFailed):
                raise
            raise StageFailed(f"{what} failed (exit {code})") from None

    # --- generate ------------------------------------------------------------------------
    def _generate(self, stage: Stage) -> dict[str, Any]:
        p = self.plan
        parts: list[Path] = []
        for teacher in p.teachers:
            for spec in p.train_specs:
                for seed in spec.seeds:
                    sub = stage.folder / "parts" / f"{_slug(teacher)}-{spec.file.stem}-s{seed}"
                    parts.append(sub)
                    if (sub / "generate.json").exists():
                        continue  # this part finished in an earlier, interrupted run
                    resume = (sub / "episodes").exists()
                    self.echo(f"  generate {spec.file.name} seed {seed} with {teacher}")
                    self._call(f"generate {spec.file.name} seed {seed}", self.commands.generate,
                               file=spec.file, teacher=teacher, out=sub, n=spec.n, seed=seed,
                               val=p.val, tool_mode=p.tool_mode, resume=resume,
                               progress=self.progress)  # fmt: skip
        return merge_datasets(parts, stage.folder, p.max_users, p.per_family, p.recipe.seed)

    # --- train ---------------------------------------------------------------------------
    def _sample(self, stage: Stage, stages: dict[str, Stage]) -> dict[str, Any]:
        """Rejection sampling: the current adapter plays the training episodes (sampled at
        `rft_temperature`, with the teacher's guidance, which the recorded conversation
        never holds) and `generate` keeps the plays its scorer rates perfect."""
        p, r = self.plan, self.plan.recipe
        adapter = stages[stage.inputs["adapter_stage"]].folder
        kept = total = 0
        for spec in p.train_specs:
            for seed in spec.seeds:
                sub = stage.folder / f"{spec.file.stem}-s{seed}"
                if not (sub / "generate.json").exists():
                    self.echo(f"  sample {spec.file.name} seed {seed} with the adapter")
                    try:
                        self._call(
                            f"sample {spec.file.name} seed {seed}", self.commands.generate,
                            file=spec.file, teacher=p.agent("trained"), out=sub,
                            n=r.rft_n or spec.n, seed=seed, val=0.0, tool_mode=p.tool_mode,
                            resume=(sub / "episodes").exists(), lora=adapter,
                            temperature=r.rft_temperature, progress=self.progress,
                        )  # fmt: skip
                    except StageFailed:
                        if not (sub / "generate.json").exists():
                            raise  # not "none was perfect": a real failure
                stats = json.loads((sub / "generate.json").read_text(encoding="utf-8"))
                kept, total = kept + int(stats["kept"]), total + int(stats["episodes"])
        self.echo(f"  the adapter played {kept}/{total} training episodes perfectly")
        return {"kept": kept, "episodes": total}

    def _train(self, stage: Stage, stages: dict[str, Stage]) -> dict[str, Any]:
        from museslang.train import TrainSettings

        train = self.commands.train
        if train is None:
            from museslang.train import train
        r = self.plan.recipe
        for leftover in stage.folder.iterdir():  # an interrupted training starts again
            if leftover.is_dir():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()
        settings = TrainSettings(
            lora=r.lora, epochs=r.epochs, max_steps=r.steps, learning_rate=r.learning_rate,
            batch_size=r.batch_size, max_length=r.max_length, lora_rank=r.lora_r,
            lora_alpha=r.lora_alpha, lora_dropout=r.lora_dropout,
            lora_targets=r.lora_targets if isinstance(r.lora_targets, str)
            else list(r.lora_targets),
            assistant_only=r.assistant_only, seed=r.seed, cpu=not _gpu(),
        )  # fmt: skip
        data = stages["generate"].folder
        samples = [s for s in stages.values() if s.key in stage.inputs.get("samples", [])]
        if samples:  # an RFT round: the teacher's examples and every kept play so far
            data = stage.folder / "data"
            data.mkdir()
            teacher = _read_jsonl(stages["generate"].folder / "train.jsonl")
            own = [row for s in samples for part in sorted(s.folder.iterdir()) if part.is_dir()
                   for row in _read_jsonl(part / "train.jsonl")]  # fmt: skip
            (data / "train.jsonl").write_text(
                "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in teacher + own),
                encoding="utf-8",
            )
            shutil.copy(stages["generate"].folder / "val.jsonl", data / "val.jsonl")
        start = time.monotonic()
        done = train(data, self.plan.base, stage.folder, settings)
        minutes = (time.monotonic() - start) / 60
        summary_path = stage.folder / "museslang-train.json"
        summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
        return {"steps": done.steps, "train_loss": done.train_loss, "eval_loss": done.eval_loss,
                "tokens": summary.get("tokens"), "loss_tokens": summary.get("loss_tokens"),
                "examples": summary.get("examples"), "minutes": round(minutes, 2)}  # fmt: skip

    # --- eval ----------------------------------------------------------------------------
    def _evaluate(self, stage: Stage, stages: dict[str, Stage]) -> dict[str, Any]:
        p, e = self.plan, self.plan.evaluation
        label = next(n for n, s in stages.items() if s is stage).removeprefix("eval-")
        lora = stages["trained"].folder if label == "trained" else None
        runs = []
        for spec in p.eval_specs:
            for seed in spec.seeds:
                sub = stage.folder / f"{spec.file.stem}-s{seed}"
                runs.append(sub.name)
                if self._evaluated(sub):
                    continue
                self.echo(f"  eval {label} on {spec.file.name} seed {seed}")
                self._call(f"eval {label} on {spec.file.name} seed {seed}", self.commands.evaluate,
                           file=spec.file, agent=p.agent(label), seed=seed, sample=spec.n,
                           out=sub, resume=(sub / "results.jsonl").exists(), lora=lora,
                           tool_mode=p.tool_mode, max_tokens=spec.max_tokens or e.max_tokens,
                           trials=e.trials, temperature=e.temperature,
                           fail_on_error=e.fail_on_error,
                           kv_cache_space=e.kv_cache_space if label in MODEL_AGENTS else None,
                           threads=e.threads if label in MODEL_AGENTS else None,
                           max_model_len=e.max_model_len if label in MODEL_AGENTS else None,
                           progress=self.progress)  # fmt: skip
        return {"agent": p.agent(label), "lora": str(lora) if lora else None, "runs": runs}

    def _evaluated(self, run: Path) -> bool:
        """A run finished in an earlier pass: its summary is written and holds no more
        errored results than `fail_on_error` allows (a run over it plays again with
        `--resume`, which re-runs exactly its errored episodes)."""
        try:
            summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        too_many = error_limit(self.plan.evaluation.fail_on_error)
        return not too_many(int(summary.get("errored", 0)), int(summary.get("results", 0)))

    @contextmanager
    def _engine(self, stages: dict[str, Stage], names: list[str]) -> Iterator[None]:
        """One vLLM engine for every model evaluation still to run (an engine start costs
        minutes on a CPU); a plan with none to run, or the hf backend, starts nothing."""
        pending = [n for n in names if n.startswith("eval-") and n.removeprefix("eval-")
                   in MODEL_AGENTS and not (stages[n].folder / MARKER).exists()]  # fmt: skip
        if self.plan.backend != "vllm" or not pending or self.commands.engine is None:
            yield None
            return
        adapter = stages["trained"].folder if "eval-trained" in pending else None
        with self.commands.engine(self.plan, adapter):
            yield None

    # --- table and report ----------------------------------------------------------------
    def _table(self, stage: Stage, stages: dict[str, Stage]) -> dict[str, Any]:
        from museslang.loop.measure import write_results

        runs: dict[str, list[Path]] = {}
        for name, s in stages.items():
            if name.startswith("eval-"):
                info = json.loads((s.folder / MARKER).read_text(encoding="utf-8"))["info"]
                runs[name.removeprefix("eval-")] = [s.folder / r for r in info["runs"]]
        train_info = None
        if (stages["trained"].folder / MARKER).exists():
            train_info = json.loads((stages["trained"].folder / MARKER).read_text())["info"]
            rounds = [n for n in stages if n.startswith("sample")]
            if rounds:  # the cost of every round, and what each sampling kept
                names = [n for n in self.order(stages) if n.startswith(("train", "sample"))]
                infos = [json.loads((stages[n].folder / MARKER).read_text())["info"] for n in names]
                minutes = round(sum(i.get("minutes", 0) for i in infos), 2)
                train_info = {**train_info, "rounds": infos, "minutes": minutes}
        loaded = {label: self.commands.load_runs(paths) for label, paths in runs.items()}
        held = {f.stem for f in self.plan.held_out_specs()}
        return write_results(stage.folder, loaded, train_info, held, self.commands.write_report)


def _gpu() -> bool:
    """Whether torch sees a GPU (train there); without torch the trainer says what is missing."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


# --- the training data -----------------------------------------------------------------


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def merge_datasets(parts: list[Path], out: Path, max_users: int | None, per_family: int | None,
                   seed: int) -> dict[str, Any]:  # fmt: skip
    """One train.jsonl and val.jsonl from every part: examples from episodes of more than
    `max_users` users dropped (shorter contexts for a small model), then at most
    `per_family` examples per family (drawn by the seed), so no family drowns the others."""
    counts: dict[str, dict[str, int]] = {}
    for split in ("train", "val"):
        rows, seen = [], set()
        for row in (row for part in parts for row in _read_jsonl(part / f"{split}.jsonl")):
            text = json.dumps(row.get("messages"), sort_keys=True)
            if text not in seen:  # two teachers or seeds can write the same conversation
                seen.add(text)
                rows.append(row)
        if max_users is not None:
            rows = [r for r in rows if _users(r) <= max_users]
        by_family: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_family.setdefault(str(row.get("metadata", {}).get("family", "?")), []).append(row)
        kept: list[dict[str, Any]] = []
        for family in sorted(by_family):
            mine = by_family[family]
            random.Random(f"{seed}:{family}:{split}").shuffle(mine)
            cap = per_family if split == "train" else None
            if cap is not None:
                mine = mine[:cap]
            counts.setdefault(family, {})[split] = len(mine)
            kept += mine
        random.Random(f"{seed}:{split}").shuffle(kept)
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept)
        (out / f"{split}.jsonl").write_text(text, encoding="utf-8")
    if not any(c.get("train") for c in counts.values()):
        raise StageFailed("no training example is left (check max_users and the teachers)")
    return {"by_family": counts, "train": sum(c.get("train", 0) for c in counts.values()),
            "val": sum(c.get("val", 0) for c in counts.values())}  # fmt: skip


def _users(row: dict[str, Any]) -> int:
    cell = row.get("metadata", {}).get("cell", {}) or {}
    try:
        return int(cell.get("users", 0))
    except (TypeError, ValueError):
        return 0
