"""The commands that train: `train` (one fine-tune) and `loop` (a declared experiment,
generate -> train -> eval -> table, resumable stage by stage)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from museslang.cli.options import ShowProgress
from museslang.cli.run_cmds import eval_cmd, generate
from museslang.cli.shared import _fail, _runs, _write_report


def train_cmd(
    data: Annotated[Path, typer.Argument(help="A folder written by museslang generate.")],
    base: Annotated[str, typer.Option(help="The base model: a local folder or a hub id.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where the adapter or model goes.")],
    lora: Annotated[
        bool, typer.Option("--lora/--full", help="Train a LoRA adapter (default) or every weight.")
    ] = True,
    epochs: Annotated[float, typer.Option(help="Passes over the training data.")] = 1.0,
    max_steps: Annotated[int, typer.Option(help="Stop after N steps (overrides --epochs).")] = -1,
    learning_rate: Annotated[float, typer.Option(help="Peak learning rate.")] = 2e-4,
    batch_size: Annotated[int, typer.Option(help="Examples per device and step.")] = 1,
    max_length: Annotated[int, typer.Option(help="Tokens per example (longer: cut).")] = 8192,
    seed: Annotated[int, typer.Option(help="Training seed.")] = 0,
    cpu: Annotated[bool, typer.Option(help="Train on the CPU even where a GPU exists.")] = False,
) -> None:
    """Fine-tune a base model on generated data with TRL's SFTTrainer (+ PEFT LoRA).

    Needs the [train] extra (pip install 'museslang[train]'). Evaluate the result with
    `museslang eval SPEC --agent vllm:BASE --lora OUT` (docs/training.md).
    """
    from museslang.runtime.options import BackendError
    from museslang.train import TrainSettings
    from museslang.train import train as run_training

    if not data.is_dir():
        raise _fail(f"{data} is not a folder (give the --out of museslang generate)")
    settings = TrainSettings(
        lora=lora, epochs=epochs, max_steps=max_steps, learning_rate=learning_rate,
        batch_size=batch_size, max_length=max_length, seed=seed, cpu=cpu,
    )  # fmt: skip
    try:
        done = run_training(data, base, out, settings)
    except BackendError as exc:
        raise _fail(str(exc)) from None
    evaluated = f", eval loss {done.eval_loss:.4f}" if done.eval_loss is not None else ""
    typer.echo(
        f"trained {done.steps} steps: train loss {done.train_loss:.4f}{evaluated}\n"
        f"saved: {done.out} (evaluate with --agent "
        f"{'hf' if cpu or base.endswith('.gguf') else 'vllm'}:{base} --lora {done.out})",
        err=True,
    )


def loop_cmd(
    file: Annotated[Path, typer.Argument(help="An experiment file (TOML): docs/training.md.")],
    until: Annotated[
        str | None,
        typer.Option(help="Stop after this stage: generate, train, eval-LABEL or table."),
    ] = None,
    progress: ShowProgress = True,
) -> None:
    """The whole loop from one declared experiment: generate -> train -> eval(base) ->
    eval(trained) -> table and report.

    Each stage's outputs go to OUT/STAGE-KEY, keyed by a hash of its inputs: run the
    same file again to continue after a failure or Ctrl-C (finished stages are skipped);
    a changed input re-runs that stage and those after it. Needs the [train] extra and
    the backend's ([vllm] or [hf]) for models.
    """
    from museslang.loop.engine import shared_vllm
    from museslang.loop.plan import PlanError, read_plan
    from museslang.loop.stages import Commands, Loop, StageFailed
    from museslang.runtime.options import BackendError

    try:
        plan = read_plan(file)
    except PlanError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    commands = Commands(generate=generate, evaluate=eval_cmd, load_runs=_runs,
                        write_report=_write_report, engine=shared_vllm)  # fmt: skip
    loop = Loop(plan, commands, lambda line: typer.echo(line, err=True), progress)
    known = list(loop.plan_stages())
    if until is not None and until not in known:
        raise _fail(f"--until: no stage '{until}' (stages: {', '.join(known)})")
    try:
        stages = Loop(plan, commands, loop.echo, progress).run(until)
    except (StageFailed, BackendError) as exc:
        raise _fail(f"{exc}; run the same command again to continue", 1) from None
    except KeyboardInterrupt:
        typer.echo("museslang: interrupted; run the same command again to continue", err=True)
        raise typer.Exit(130) from None
    table = stages["table"].folder
    if (table / "DONE.json").exists():
        typer.echo((table / "results.md").read_text(encoding="utf-8"))
        typer.echo(f"results: {table / 'results.md'}\nreport: {table / 'report.html'}", err=True)
