"""Synthetic training data from Python: `generate()` lets a teacher play a spec's episodes
with the ground truth as privileged guidance and keeps the perfectly scored ones as chat
SFT data. The command line's `generate` is this plus printing; nothing here prints,
exits or reads argv, and the checks come in the command's order with its words."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from museslang.api.compile import load
from museslang.api.errors import MuseslangError, OptionError, RunError
from museslang.api.evaluate import Notice, Progress, served_here, where
from museslang.api.options import ModelOptions, RayOptions, cluster

if TYPE_CHECKING:
    from museslang.datagen.generate import Written
    from museslang.datagen.mixes import TurnMix
    from museslang.ir.models import CompiledSpec, EpisodeGraph
    from museslang.run.runner import RunOutcome
    from museslang.runtime.engine import Agent, UserBackend
    from museslang.runtime.options import BackendOptions


@dataclass(frozen=True)
class GenerateOptions:
    """One generation: the teacher (several, comma-separated, take conversations in turn),
    the folder it writes, and which episodes it plays."""

    teacher: str
    out: Path
    users: str = "scripted"
    n: int | None = None  # episodes drawn by the seed (None: all)
    seed: int | None = None
    tags: tuple[str, ...] = ()
    val: float = 0.1  # share of episodes for validation
    concurrency: int = 16
    resume: bool = False
    turn_mix: str | None = None
    data_format: str = "chat"
    ray: RayOptions | None = None

    def teachers(self) -> list[str]:
        return [t.strip() for t in self.teacher.split(",") if t.strip()]

    def check(self, model: ModelOptions) -> TurnMix | None:
        """Every check `museslang generate` makes of its options, in its order; the turn
        mix, parsed."""
        from museslang.datagen.generate import FORMATS
        from museslang.datagen.mixes import MixError, TurnMix

        if self.data_format not in FORMATS:
            choose = " or ".join(FORMATS)
            raise OptionError("data_format", f"--format {self.data_format}: choose {choose}")
        try:
            mix = TurnMix.parse(self.turn_mix) if self.turn_mix is not None else None
        except MixError as exc:
            raise MuseslangError(str(exc)) from None
        if not self.teachers():
            raise OptionError("teacher", "--teacher names no agent")
        if len(self.teachers()) > 1 and self.ray is not None:
            several = "several --teacher agents cannot run on --ray yet; give one"
            raise OptionError("teacher", several)
        if self.n is not None and self.n < 1:
            raise OptionError("n", "--n must be at least 1")
        if not 0 <= self.val < 1:
            raise OptionError("val", "--val must be at least 0 and below 1")
        if self.concurrency < 1:
            raise OptionError("concurrency", "--concurrency must be at least 1")
        if model.max_tokens < 1:
            raise OptionError("max_tokens", "--max-tokens must be positive")
        model.check_lora(self.teacher)
        if self.resume and not (self.out / "episodes").exists():
            raise OptionError("resume", f"nothing to resume in {self.out}")
        return mix


@dataclass
class Generated:
    """A finished generation: what was played now and kept, and where the data went."""

    outcome: RunOutcome
    stats: Written
    resumed: int  # conversations kept from an earlier run of the folder (--resume)
    out: Path


def backend(model: ModelOptions, out: Path) -> BackendOptions:
    """The teacher's and users' backend options (generate's: no request limits of eval's);
    the secrets they carry are registered with the redactor."""
    from museslang.runtime.options import BackendOptions

    options = BackendOptions(
        **model.settings(),
        base_url=model.base_url,
        api_key_env=model.api_key_env,
        temperature=model.temperature,
        max_tokens=model.max_tokens,
        tool_mode=model.tool_mode,
        cache_dir=str(model.cache) if model.cache else None,
        lora=str(model.lora) if model.lora else None,
        log_dir=str(out),  # a server museslang starts logs here
    )
    options.register_secrets()
    return options


def _backends(
    options: GenerateOptions, backend: BackendOptions, here: bool
) -> tuple[Agent | None, UserBackend | None]:
    """The guided teacher (several in turn) and the users; on a cluster, only their names
    are checked, as each actor builds and guides its own."""
    from museslang.datagen.teacher import GuidedAgent
    from museslang.registry import UnknownName
    from museslang.runtime.agents import known_agent, make_agent
    from museslang.runtime.options import BackendError
    from museslang.runtime.users import known_users, make_users

    try:
        if not here:
            return known_agent(options.teacher), known_users(options.users)
        guided: list[Any] = []
        for one in options.teachers():
            agent = GuidedAgent(make_agent(one, backend))
            if backend.tool_mode == "text" and agent.uses_tools:  # an acting teacher: its text
                from museslang.datagen.text_teacher import TextTeacher

                agent = TextTeacher(agent)
            guided.append(agent)
        if len(guided) > 1:
            from museslang.datagen.teacher_mix import TeacherMix

            agent = TeacherMix(guided, options.seed or 0)
        return agent, make_users(options.users, backend)
    except (BackendError, UnknownName) as exc:
        raise MuseslangError(str(exc)) from None


def _episodes(
    compiled: CompiledSpec, options: GenerateOptions, mix: TurnMix | None, agent: Agent | None,
    file: Path,
) -> list[EpisodeGraph]:  # fmt: skip
    """The episodes to play: by tag, drawn by the seed, their turns drawn by the mix."""
    from museslang.datagen.generate import choose
    from museslang.ir.tags import UnknownTag, with_tags

    try:
        episodes = choose(with_tags(compiled.episodes, options.tags), options.n, compiled.seed)
    except UnknownTag as exc:
        raise OptionError("tags", str(exc)) from None
    if not episodes:
        raise MuseslangError(f"{file} has no episodes")
    if mix is not None:  # the same draw on a resumed run: seed and episode id only
        episodes = mix.apply(episodes, compiled.seed)
    if agent is not None:  # on a cluster, each actor's teacher is asked
        unsupported = sorted({e.family for e in episodes if not agent.supports(e.family)})
        if unsupported:
            raise MuseslangError(f"{options.teacher} cannot play the "
                                 f"{', '.join(unsupported)} family")  # fmt: skip
    return episodes


def generate(
    spec: str | Path,
    options: GenerateOptions,
    model: ModelOptions | None = None,
    progress: Progress | None = None,
    notice: Notice | None = None,
    *,
    actors: int | None = None,
    gpus_per_actor: float = 0.0,
) -> Generated:
    """Play the episodes with the guided teacher and write train.jsonl and val.jsonl into
    `options.out`; the run folder is kept (closed) whatever happens, so it resumes.

    `actors`/`gpus_per_actor` are the command line's flags given without Ray."""
    from museslang import __version__
    from museslang.api.evaluate import Job, run_job
    from museslang.datagen.generate import write_dataset
    from museslang.datagen.teacher_mix import TeacherMix
    from museslang.run.belongs import belongs
    from museslang.run.cluster import ClusterError
    from museslang.run.runner import RunPlan
    from museslang.run.store import ResultsStore, StoreError
    from museslang.runtime.chat import ChatError
    from museslang.runtime.options import BackendError

    model = model or ModelOptions()
    file, out = Path(spec), options.out
    mix = options.check(model)
    settings = backend(model, out)
    ray = cluster(options.ray, ModelOptions(base_url=model.base_url), actors=actors,
                  gpus_per_actor=gpus_per_actor)  # fmt: skip
    served_here(ray, options.teacher, options.users)
    agent, users = _backends(options, settings, ray is None)
    loaded = load(file, seed=options.seed)
    if loaded.warnings and notice is not None:
        notice(loaded.warnings)
    compiled = loaded.spec
    episodes = _episodes(compiled, options, mix, agent, file)
    store = ResultsStore(out / "episodes")
    meta = {
        "museslang": __version__, "spec": where(file), "spec_sha256": compiled.spec_sha256,
        "seed": compiled.seed, "agent": options.teacher, "users": options.users,
        "episodes": len(episodes), "metrics": "default", "purpose": "generate",
        "temperature": model.temperature,
        **({"tags": list(options.tags)} if options.tags else {}),
    }  # fmt: skip
    if mix is not None:  # a resumed run must draw the same turns
        meta["turn_mix"] = options.turn_mix
    try:
        kept = store.prepare(meta, options.resume, belongs(compiled.episodes))
    except (StoreError, OSError) as exc:
        raise RunError(str(exc)) from None
    ids = {e.id for e in episodes}
    done = {r.key: r for r in kept if r.id in ids and r.conversation}
    plan = RunPlan(compiled, episodes, store, options.concurrency, done, keep_conversation=True)
    job = Job(plan, cluster=ray, options=settings, guided=True,
              names=(options.teacher, options.users))  # fmt: skip
    try:
        outcome = asyncio.run(run_job(job, agent, users, progress))
    except (ChatError, BackendError, ClusterError) as exc:
        raise RunError(str(exc)) from None
    finally:  # KeyboardInterrupt too: what finished is kept
        store.close()
    store.write_summary(outcome.summary.model_dump_json(indent=2) + "\n")
    mixed = isinstance(agent, TeacherMix)
    played = {e.id: agent.pick(e.id).spec for e in episodes} if mixed else None
    stats = write_dataset(
        outcome.results, {e.id: e for e in episodes}, out, spec_sha256=compiled.spec_sha256,
        teacher=options.teacher, val_share=options.val, teachers=played,
        form=options.data_format,
    )  # fmt: skip
    return Generated(outcome, stats, len(done), out)
