"""`museslang author`: a model writes specs of a family, and museslang keeps those its
checker, oracle gate and mutation audit accept."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from museslang.cli.options import (
    ApiKeyEnv,
    BaseUrl,
    KvCacheSpace,
    MaxModelLen,
    MaxTokens,
    Threads,
)
from museslang.cli.shared import _fail, _model_settings


def author_cmd(
    family: Annotated[
        str,
        typer.Option(
            help="The family to write (built in, a plug-in or "
            "written in museslang: give --example)."
        ),
    ],
    model: Annotated[
        str,
        typer.Option(
            help="The author: openai:MODEL, vllm:MODEL, "
            "vllm-serve:MODEL, hf:PATH or scripted:FILE.json."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the kept .muses files.")],
    count: Annotated[int, typer.Option(help="Scenarios to ask for (attempts).")] = 10,
    category: Annotated[
        list[str] | None,
        typer.Option(help="A category (repeatable, or comma-separated), taken in turn."),
    ] = None,
    brief: Annotated[str, typer.Option(help="What the scenarios are for (@FILE reads it).")] = "",
    example: Annotated[
        Path | None,
        typer.Option(help="A spec of the family shown as the pattern (default: one under specs/)."),
    ] = None,
    rounds: Annotated[int, typer.Option(help="Repair rounds after the first draft.")] = 3,
    users: Annotated[str, typer.Option(help="Users to ask for per attempt: N or N..M.")] = "2..6",
    conflicts: Annotated[float, typer.Option(help="Share of attempts asked for a conflict.")] = 0.5,
    attack: Annotated[
        list[str] | None,
        typer.Option(help="Attacks to ask for, one drawn per attempt (repeatable)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the requested properties and sampling.")] = 0,
    resume: Annotated[bool, typer.Option(help="Continue an author run in --out.")] = False,
    base_url: BaseUrl = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.7,
    max_tokens: MaxTokens = 1024,
    threads: Threads = None,
    max_model_len: MaxModelLen = None,
    kv_cache_space: KvCacheSpace = None,
) -> None:
    """A model writes scenarios; each is checked, gated by the reference oracle and
    mutation-audited, its diagnostics (as `check` prints them) go back for repair rounds,
    and it is kept only when museslang accepts it and no kept one repeats it. Kept files
    carry their provenance in a comment header; `author.json` is the yield report."""
    from museslang.author import AuthorError, AuthorRequest, author, described, make_author
    from museslang.author import example as example_of
    from museslang.runtime.options import BackendOptions

    span = _team(users)
    if not 0 <= conflicts <= 1:
        raise _fail("--conflicts must be between 0 and 1")
    brief = _brief(brief)
    given = [c.strip() for c in ",".join(category or ["general"]).split(",")]
    cats = tuple(c for c in given if c) or ("general",)
    settings = _model_settings(1.0, 1.0, None, threads, 1, None, max_model_len, kv_cache_space)
    options = BackendOptions(
        **settings,  # type: ignore[arg-type]
        base_url=base_url, api_key_env=api_key_env, temperature=temperature,
        max_tokens=max_tokens, log_dir=str(out),
    )  # fmt: skip
    options.register_secrets()
    try:
        summary, fields = described(family)
        request = AuthorRequest(
            family, out, count, example_of(family, example), categories=cats, brief=brief,
            rounds=rounds, users=span, conflict_share=conflicts, attacks=tuple(attack or ()),
            seed=seed, resume=resume, summary=summary, fields=fields,
        )  # fmt: skip
        writer = make_author(model, options, seed)

        def shown(a) -> None:
            what = (
                f"kept {a.kept}"
                if a.kept
                else f"rejected ({a.rejected}"
                + (f" of {a.duplicate_of})" if a.duplicate_of else ")")
            )
            typer.echo(
                f"[author {a.attempt + 1}/{count}] {a.category}: {what} after "
                f"{a.rounds} round{'s' * (a.rounds != 1)}",
                err=True,
            )

        report = author(request, writer, shown)
    except AuthorError as exc:
        raise _fail(str(exc)) from None
    typer.echo("\n".join(report.lines()), err=True)
    typer.echo(f"kept files: {out}; report: {out / 'author.json'}", err=True)
    if not report.kept:
        raise typer.Exit(1)


def _team(users: str) -> tuple[int, int]:
    """--users N or N..M: the fewest and most users an attempt asks for."""
    low, _, high = users.partition("..")
    try:
        span = (int(low), int(high or low))
    except ValueError:
        raise _fail(f"--users {users}: give N or N..M") from None
    if not 1 <= span[0] <= span[1]:
        raise _fail(f"--users {users}: need 1 <= N <= M")
    return span


def _brief(brief: str) -> str:
    """--brief TEXT, or @FILE: the file's text."""
    if not brief.startswith("@"):
        return brief
    try:
        return Path(brief[1:]).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"--brief {brief}: {exc}") from None
