"""The commands that run and read runs: eval and generate (which play episodes), rescore,
table, report and show (which read what a run wrote)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from museslang.cli.options import (
    MODEL_FLAGS,
    ApiKeyEnv,
    Cache,
    Concurrency,
    JudgeBaseUrl,
    Judges,
    MaxRequests,
    Metrics,
    ModelFlags,
    Seed,
    ShowProgress,
    Tags,
    Temperature,
    Users,
    with_model_flags,
)
from museslang.cli.shared import (
    _api,
    _Bar,
    _emit,
    _error_limit,
    _fail,
    _first_error,
    _notice,
    _print_actors,
    _print_summary,
    _runs,
)

if TYPE_CHECKING:
    from museslang.api import Evaluation, Generated


@with_model_flags
def eval_cmd(
    file: Annotated[Path, typer.Argument(help="A .muses spec, or its compiled .json.")],
    agent: Annotated[
        str | None,
        typer.Option(
            help="reference:oracle|comply|refuse, openai:MODEL (any OpenAI-compatible "
            "endpoint), vllm:MODEL (in-process vLLM; GPU or its CPU build), vllm-serve:MODEL "
            "(a vLLM server museslang starts and stops) or hf:PATH (transformers; CPU or "
            "GPU). Default: reference:oracle."
        ),
    ] = None,
    users: Users = "scripted",
    users_verify: Annotated[
        int,
        typer.Option(
            help="Ask a simulated user again, up to N times, when the simulated-user audit "
            "flags their message (tau-bench's verify); what is still wrong is recorded."
        ),
    ] = 0,
    fail_on_error: Annotated[
        str,
        typer.Option(
            help="Exit 1 when errored results reach this: any (the default), never, a count "
            "N, or a share (0.1 or 10%) of the results."
        ),
    ] = "any",
    concurrency: Concurrency = 16,
    max_requests: MaxRequests = None,
    limit: Annotated[int | None, typer.Option(help="Run only the first N episodes.")] = None,
    sample: Annotated[
        int | None,
        typer.Option(help="Run N episodes drawn across the sweep by the seed (not the first N)."),
    ] = None,
    seed: Seed = None,
    tag: Tags = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Run directory (default: runs/SPEC-AGENT-TIME)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue the run in --out: skip finished episodes.")
    ] = False,
    model: ModelFlags = MODEL_FLAGS,  # --base-url, --top-p, --ray, ...: one per field
    users_base_url: Annotated[
        str | None, typer.Option(help="Endpoint for openai: users (default: --base-url).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 60.0,
    retries: Annotated[int, typer.Option(help="Retries on 429, 5xx and connection errors.")] = 4,
    backoff: Annotated[float, typer.Option(help="First retry delay in seconds (doubles).")] = 0.5,
    temperature: Temperature = 0.0,
    trials: Annotated[
        int, typer.Option(help="Run each episode K times, each trial with its own derived seed.")
    ] = 1,
    lora: Annotated[
        Path | None,
        typer.Option(help="A LoRA adapter folder for vllm:, vllm-serve: and hf: agents."),
    ] = None,
    metrics: Metrics = "default",
    progress: ShowProgress = True,
    judge: Judges = None,
    judge_base_url: JudgeBaseUrl = None,
    guard: Annotated[
        list[str] | None,
        typer.Option(
            help="Guards between the agent and the users, stacked in order: NAME[,NAME...] "
            "(repeatable; `museslang guards` lists them). The run's results, summary and "
            "tables carry the setting as the `guards` axis."
        ),
    ] = None,
) -> None:
    """Run a benchmark against an agent and score it; results go to a run directory."""
    from museslang import api
    from museslang.api.evaluate import default_out
    from museslang.runtime.agents import DEFAULT_AGENT

    models = model.model(
        users_base_url=users_base_url, timeout=timeout, retries=retries, backoff=backoff,
        temperature=temperature, max_requests=max_requests, lora=lora,
    )  # fmt: skip
    options = api.EvalOptions(
        users=users, users_verify=users_verify, concurrency=concurrency, limit=limit,
        sample=sample, seed=seed, out=out, resume=resume, trials=trials, metrics=metrics,
        judge=tuple(judge or ()), judge_base_url=judge_base_url, ray=model.ray_options(),
        tags=tuple(tag or ()), guard=tuple(guard or ()),
    )  # fmt: skip
    with _api():
        options.check(models)
    too_many = _error_limit(fail_on_error)
    if out is None:
        options = replace(options, out=default_out(file, agent or DEFAULT_AGENT))
    try:
        with _api():
            done = api.evaluate(file, agent, options, models, _Bar(progress), _notice,
                                **model.loose_ray_flags())  # fmt: skip
    except KeyboardInterrupt:
        run = options.out
        assert run is not None
        typer.echo(
            f"museslang: interrupted; finished episodes are in {run / 'results.jsonl'} "
            f"(continue with --out {run} --resume)",
            err=True,
        )
        raise typer.Exit(130) from None
    _print_evaluation(done, cached=model.cache is not None, trials=trials)
    summary = done.summary
    if summary.errored and too_many(summary.errored, summary.results):
        typer.echo(
            f"museslang: {summary.errored} of {summary.results} results errored "
            f"(--fail-on-error {fail_on_error}); the first: {_first_error(done.results)}",
            err=True,
        )
        raise typer.Exit(1)


def _print_evaluation(done: Evaluation, cached: bool, trials: int) -> None:
    """What eval prints of a finished run: the tables, the counts, the actors, the files."""
    summary = done.summary
    _print_summary(summary)
    reuse = ""
    if summary.prefix_reuse is not None and summary.prefix_kept is not None:
        reuse = (
            f"; prefix reuse {summary.prefix_reuse:.3f} (append-only: {summary.prefix_kept == 1.0})"
        )
    from_cache = summary.agent_usage.cached + summary.user_usage.cached
    reuse += f"; {from_cache} requests from the cache" if cached else ""
    counted = f"{summary.ok}/{summary.results} episodes ok"
    if trials > 1:
        counted = (
            f"{summary.ok}/{summary.results} results ok ({summary.episodes} × {trials} trials)"
        )
    typer.echo(
        f"{counted}, {summary.errored} errored ({done.ran} run now, {done.resumed} resumed){reuse}",
        err=True,
    )
    _print_actors(summary)
    typer.echo(
        f"results: {done.results_path}\nsummary: {done.summary_path}\nreport: {done.report}",
        err=True,
    )


@with_model_flags
def generate(
    file: Annotated[Path, typer.Argument(help="A .muses spec, or its compiled .json.")],
    teacher: Annotated[
        str,
        typer.Option(
            help="The agent that demonstrates: reference:oracle (offline), "
            "openai:MODEL, vllm:MODEL, vllm-serve:MODEL or hf:PATH; several, comma-separated, "
            "take conversations in turn (one drawn per conversation by the seed)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for train.jsonl, val.jsonl.")],
    users: Users = "scripted",
    n: Annotated[
        int | None, typer.Option("--n", help="Episodes to play, drawn by the seed (default: all).")
    ] = None,
    seed: Seed = None,
    tag: Tags = None,
    val: Annotated[float, typer.Option(help="Share of episodes for validation.")] = 0.1,
    concurrency: Concurrency = 16,
    resume: Annotated[bool, typer.Option(help="Continue a generation in --out.")] = False,
    model: ModelFlags = MODEL_FLAGS,  # --base-url, --top-p, --ray, ...: one per field
    temperature: Temperature = 0.7,
    lora: Annotated[
        Path | None, typer.Option(help="A LoRA adapter for vllm:, vllm-serve: or hf: teachers.")
    ] = None,
    progress: ShowProgress = True,
    turn_mix: Annotated[
        str | None,
        typer.Option(
            help="Agent turns per conversation, drawn by the seed: LOW[-HIGH]:WEIGHT,... or "
            "'official' (1:20,2-5:40,6-10:40); default: the spec's turn limit."
        ),
    ] = None,
    data_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="chat (museslang's chat+tools records) or muses-bench (the official "
            'per-user-role {"messages"} records its train.py reads).',
        ),
    ] = "chat",
) -> None:
    """Synthetic training data: the teacher plays episodes with the ground truth as privileged
    guidance; only perfectly scored episodes are kept, as chat SFT data with tools."""
    from museslang import api

    options = api.GenerateOptions(
        teacher, out, users=users, n=n, seed=seed, tags=tuple(tag or ()), val=val,
        concurrency=concurrency, resume=resume, turn_mix=turn_mix, data_format=data_format,
        ray=model.ray_options(),
    )  # fmt: skip
    models = model.model(temperature=temperature, lora=lora)
    try:
        with _api():
            done = api.generate(file, options, models, _Bar(progress), _notice,
                                **model.loose_ray_flags())  # fmt: skip
    except KeyboardInterrupt:
        typer.echo(f"museslang: interrupted; continue with --out {out} --resume", err=True)
        raise typer.Exit(130) from None
    _print_generated(done)
    if done.stats.kept == 0:
        raise typer.Exit(1)


def _print_generated(done: Generated) -> None:
    """What generate prints of a finished generation: what each family kept and why the
    rest was dropped, and where the data went."""
    from museslang.datagen.generate import STATS

    stats, out = done.stats, done.out
    typer.echo(f"played {done.outcome.ran} episodes now, {done.resumed} resumed", err=True)
    _print_actors(done.outcome.summary)
    for family, c in stats.by_family.items():
        typer.echo(f"{family}: kept {c.get('kept', 0)}/{c['total']}", err=True)
        for problem, seen in stats.counted.get(family, {}).items():
            typer.echo(f"  {problem}: {seen['total']:g} in {seen['conversations']:g} "
                       "conversations (dropped)", err=True)  # fmt: skip
    textless = f", {stats.textless} with no agent text" if stats.textless else ""
    typer.echo(
        f"kept {stats.kept}/{stats.total} episodes ({stats.ratio:.1%}; {stats.errored} errored, "
        f"{stats.duplicates} duplicate conversations and {stats.unrevealed} acting on unrevealed "
        f"facts dropped{textless}): {stats.train} train, "
        f"{stats.val} val\ndata: {out / 'train.jsonl'}, {out / 'val.jsonl'}\n"
        f"stats: {out / STATS}",
        err=True,
    )


def rescore(
    run: Annotated[Path, typer.Argument(help="A run directory written by museslang eval.")],
    metrics: Metrics = "default",
    spec: Annotated[
        Path | None,
        typer.Option(help="The spec the run used, when it is no longer where run.json says."),
    ] = None,
    judge: Judges = None,
    judge_base_url: JudgeBaseUrl = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    cache: Cache = None,
) -> None:
    """Recompute every metric from stored transcripts and actions, without calling a model.

    Rewrites results.jsonl and summary.json in place (each in one step). With --judge, the
    leak judge is asked again (the one model call rescore makes; --cache makes a repeat free);
    without it, the judge's stored verdicts are kept.
    """
    from museslang import api

    options = api.RescoreOptions(metrics, spec, tuple(judge or ()), judge_base_url, api_key_env,
                                 cache)  # fmt: skip
    with _api():
        done = api.rescore(run, options, _notice)
    _print_summary(done.summary)
    typer.echo(
        f"rescored {len(done.results)} results ({metrics} metrics); "
        f"{done.changed} changed\nsummary: {run / 'summary.json'}",
        err=True,
    )


def table(
    runs: Annotated[list[Path], typer.Argument(help="Run directories written by museslang eval.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="markdown, latex or csv.")
    ] = "markdown",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the table here instead of stdout.")
    ] = None,
    percent: Annotated[
        bool, typer.Option("--percent", help="Write values x100 with one decimal, as the paper.")
    ] = False,
    names: Annotated[
        Path | None,
        typer.Option(
            "--names",
            help="A TOML or JSON file of display names and groups per agent "
            '(["openai:gpt-4o"] name = "GPT-4o", group = "Proprietary").',
        ),
    ] = None,
    pivot: Annotated[
        str | None,
        typer.Option(
            "--pivot",
            help="guards: the guard settings as columns (`Privacy [none]`, `Privacy [acl]`) "
            "instead of a row per model x guard.",
        ),
    ] = None,
) -> None:
    """The paper's results table: one row per agent, its runs pooled.

    Columns: the paper's (each family names its own: `museslang families --json`) and
    their average, then a success column for each other family the runs cover; each
    mean ± standard error over episodes. Best in bold, second best marked (values that
    print alike are ties: neither is second).
    """
    from museslang.diagnostics import did_you_mean
    from museslang.metrics import paper_table

    if fmt not in paper_table.FORMATS:
        hint = did_you_mean(fmt, paper_table.FORMATS)
        raise _fail(f"unknown --format '{fmt}'{'; ' + hint if hint else ''} (markdown, latex, csv)")
    labels = None
    if names is not None:
        try:
            labels = paper_table.load_names(names)
        except (OSError, ValueError) as exc:
            raise _fail(f"--names: {exc}") from None
    if pivot is not None and pivot != "guards":
        hint = did_you_mean(pivot, ("guards",))
        raise _fail(f"unknown --pivot '{pivot}'{'; ' + hint if hint else ''} (guards)")
    rows = paper_table.build(_runs(runs), labels)
    if pivot == "guards":
        rows = paper_table.pivot_guards(rows)
    _emit(paper_table.RENDER[fmt](rows, paper_table.Style(percent=percent)), out)
    split = paper_table.split_agents(rows)
    if split:
        typer.echo("rows are one per agent and benchmark: " + ", ".join(split) + " ran several "
                   "specs of one family, each shown on its own row", err=True)  # fmt: skip


def report(
    runs: Annotated[list[Path], typer.Argument(help="Run directories written by museslang eval.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder for report.md and report.html "
            "(default: the run directory, or ./report for several runs).",
        ),
    ] = None,
) -> None:
    """A Markdown report and one self-contained HTML file with tables and plots.

    Several runs (an oracle, a baseline, a model) are shown side by side, one
    series per agent: each family's own figures (privacy vs utility, success and
    turns vs users, ...; a family without figures of its own: its metrics vs users),
    priority stability, pass^k, and the paper's table.
    """
    from museslang import api

    with _api():
        done = api.report(runs, api.ReportOptions(out), _notice)
    md, html = done.markdown, done.html
    typer.echo(f"report: {html}\n        {md}", err=True)


def show(
    run: Annotated[Path, typer.Argument(help="A run directory written by museslang eval.")],
    episode: Annotated[
        str | None, typer.Argument(help="An episode id (default: list the run's episodes).")
    ] = None,
    trial: Annotated[int, typer.Option(help="The episode's trial.")] = 0,
    failed: Annotated[bool, typer.Option("--failed", help="Only failed or errored ones.")] = False,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric", help="A metric test, e.g. privacy<1 or accuracy>=0.5 (repeatable)."
        ),
    ] = None,
    grep: Annotated[
        str | None, typer.Option(help="Only episodes with a message containing TEXT.")
    ] = None,
    attack: Annotated[str | None, typer.Option(help="Only this attack (sweep axis).")] = None,
    users: Annotated[str | None, typer.Option(help="Only teams of N users, or N..M.")] = None,
    cell: Annotated[
        list[str] | None,
        typer.Option("--cell", help="Only this sweep cell value, AXIS=VALUE (repeatable)."),
    ] = None,
    family: Annotated[str | None, typer.Option(help="Only this family.")] = None,
    limit: Annotated[int | None, typer.Option(help="List at most N episodes.")] = None,
    layout: Annotated[
        str, typer.Option(help="An episode's transcript: auto, lanes or timeline.")
    ] = "auto",
    spec: Annotated[
        Path | None,
        typer.Option(help="The run's spec, when it is no longer where run.json says."),
    ] = None,
) -> None:
    """Look at a run's episodes: list them (filtered) with why each failed, or show one.

    An episode is shown as lanes, one per sender: each message with who received it,
    the agent's tool calls and what they did, the ground truth beside it, each failed
    goal or metric with its values, each leak, audit flag and guard intervention, and
    its errors. The same view as the report's episode browser.
    """
    from rich.console import Console

    from museslang import show as shown
    from museslang.report.episodes import Filters, metric_test, team_range
    from museslang.run.store import StoreError

    if layout not in ("auto", "lanes", "timeline"):
        raise _fail(f"unknown --layout '{layout}' (auto, lanes or timeline)")
    tests = [metric_test(m) for m in metric or []]
    if None in tests:
        bad = next(m for m, t in zip(metric or [], tests, strict=True) if t is None)
        raise _fail(f"--metric '{bad}' is not a test such as privacy<1 (<, <=, >, >=, ==, !=)")
    axes = dict(c.partition("=")[::2] for c in cell or [])
    if any(not k or not v for k, v in axes.items()):
        raise _fail("--cell takes AXIS=VALUE, e.g. --cell difficulty=consensus")
    if attack is not None:
        axes["attack"] = attack
    team = team_range(users) if users is not None else None
    if users is not None and team is None:
        raise _fail(f"--users '{users}' is not a number or a range N..M")
    if limit is not None and limit < 1:
        raise _fail("--limit must be at least 1")
    try:
        loaded = shown.load(run, spec)
    except (StoreError, OSError) as exc:
        raise _fail(str(exc)) from None
    if loaded.unread:
        typer.echo(f"museslang: warning: {loaded.unread}; those lines are left out", err=True)
    console = Console(width=None if sys.stdout.isatty() else 140, highlight=False, markup=False)
    if episode is None:
        filters = Filters(failed=failed, metrics=[t for t in tests if t], grep=grep, cell=axes,
                          team=team, family=family)  # fmt: skip
        shown.listing(loaded, filters, console, limit)
        return
    try:
        chosen = shown.find(loaded, episode, trial)
    except shown.ShowError as exc:
        raise _fail(str(exc)) from None
    shown.episode(chosen, console, layout)
